//! The daemon runs in a process group of its own (its pid is the group id),
//! so a wrapper script's children are stopped with it. A group id stays
//! reserved while the group has a member, and the leader counts until it is
//! reaped: so the group is signalled only before the reap, never after, when
//! the id could belong to someone else. Only calls that exist on Linux and
//! macOS (`killpg`, `waitid`).

use std::io;

/// Sends `signal` to every process of the group `pgid`.
pub fn signal_group(pgid: i32, signal: i32) {
    // SAFETY: plain killpg(2); an empty group only yields ESRCH.
    unsafe { libc::killpg(pgid, signal) };
}

/// Blocks until the child `pid` has exited, leaving it unreaped (a zombie), so
/// its group id cannot be reused yet.
pub fn wait_exited_unreaped(pid: i32) -> io::Result<()> {
    let id = libc::id_t::try_from(pid).map_err(|_| io::Error::other("negative pid"))?;
    loop {
        // SAFETY: siginfo_t is plain data; all zeros is a valid value.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: waitid on our own child, writing into `info`.
        let rc = unsafe { libc::waitid(libc::P_PID, id, &mut info, libc::WEXITED | libc::WNOWAIT) };
        if rc == 0 {
            return Ok(());
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}
