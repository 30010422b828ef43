//! Socket setup and teardown exactly as protocol §1.1 / §5.3 describe: parent dir, lock
//! file, stale-socket probe, private bind, readiness byte, tombstone.

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

use crate::util;

/// `<socket><suffix>` — the lock file and tombstone sit next to the socket.
pub fn sibling(socket: &Path, suffix: &str) -> PathBuf {
    let mut s = OsString::from(socket.as_os_str());
    s.push(suffix);
    PathBuf::from(s)
}

/// Steps 1–3 of startup. Returns the lock file, which must stay open for the process
/// lifetime (closing it would release the flock).
pub fn prepare(socket: &Path) -> Result<File, String> {
    if let Some(parent) = socket.parent().filter(|p| !p.as_os_str().is_empty()) {
        util::mkdir_private(parent)
            .map_err(|e| format!("create control socket dir: {}", util::go_err_text(&e)))?;
    }
    let lock_path = sibling(socket, ".control.lock");
    let lock = OpenOptions::new()
        .create(true)
        .read(true)
        .write(true)
        .truncate(false)
        .mode(0o600)
        .open(&lock_path)
        .map_err(|e| format!("open control lock: {}", util::go_err_text(&e)))?;
    // SAFETY: flock on a file descriptor we own; no memory is shared with the kernel.
    let rc = unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc != 0 {
        // Another daemon holds the lock: it owns (or is about to own) this socket.
        return Err(format!(
            "control socket already in use: {}",
            socket.display()
        ));
    }
    // A tombstone from an earlier run is stale now.
    let _ = std::fs::remove_file(sibling(socket, ".dead"));
    if std::fs::symlink_metadata(socket).is_ok() {
        match UnixStream::connect(socket) {
            Ok(_) => {
                return Err(format!(
                    "control socket already in use: {}",
                    socket.display()
                ))
            }
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => {
                let _ = std::fs::remove_file(socket);
            }
            Err(e) => {
                return Err(format!(
                    "probe existing control socket {}: {}",
                    socket.display(),
                    util::go_err_text(&e)
                ))
            }
        }
    }
    Ok(lock)
}

/// Step 4: bind under umask 077, then chmod 0600. Returns the listener and the inode we
/// created, so teardown only unlinks our own socket.
pub fn bind(socket: &Path) -> Result<(UnixListener, u64), String> {
    // SAFETY: umask only swaps the process file-creation mask; we restore it right after.
    let old = unsafe { libc::umask(0o077) };
    let res = UnixListener::bind(socket);
    // SAFETY: as above.
    unsafe { libc::umask(old) };
    let listener = res.map_err(|e| format!("listen control socket: {}", util::go_err_text(&e)))?;
    std::fs::set_permissions(socket, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| format!("chmod control socket: {}", util::go_err_text(&e)))?;
    let ino = std::fs::metadata(socket).map(|m| m.ino()).unwrap_or(0);
    Ok((listener, ino))
}

/// Step 5: write one 0x01 byte to the inherited readiness fd and close it. Any fd
/// below 3 or not open is ignored, as the daemon does.
pub fn signal_ready(fd: i32) {
    if fd < 3 {
        return;
    }
    // SAFETY: F_GETFD only checks that the descriptor exists.
    if unsafe { libc::fcntl(fd, libc::F_GETFD) } < 0 {
        return;
    }
    let byte = [1u8];
    // SAFETY: writing one byte from a valid buffer to an fd we were told we own, then
    // closing it; nothing else in this process uses that descriptor.
    unsafe {
        libc::write(fd, byte.as_ptr().cast(), 1);
        libc::close(fd);
    }
}

/// Clean-exit teardown: unlink the socket only if it is still ours, then the tombstone.
pub fn teardown(socket: &Path, ino: u64, reason: &str) {
    if let Ok(meta) = std::fs::symlink_metadata(socket) {
        if meta.ino() == ino {
            let _ = std::fs::remove_file(socket);
        }
    }
    write_tombstone(socket, reason);
}

/// `<socket>.dead`: `STOPPED reason=<r> pid=<pid> at=<RFC3339>` (mode 0644).
pub fn write_tombstone(socket: &Path, reason: &str) {
    let line = format!(
        "STOPPED reason={reason} pid={} at={}\n",
        std::process::id(),
        util::rfc3339_now()
    );
    let path = sibling(socket, ".dead");
    let res = OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o644)
        .open(&path)
        .and_then(|mut f| f.write_all(line.as_bytes()));
    if let Err(e) = res {
        eprintln!("avenor stable: write tombstone: {}", util::go_err_text(&e));
    }
}
