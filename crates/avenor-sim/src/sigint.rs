//! SIGINT handling without a signal handler: SIGINT is blocked in every thread
//! (the mask is set before any thread exists, and threads inherit it) and one
//! thread takes it with `sigwait`, so the daemon never races a handler install.

use tokio::sync::oneshot;

fn sigint_set() -> libc::sigset_t {
    // SAFETY: sigemptyset/sigaddset initialise the set we own.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        set
    }
}

/// Blocks SIGINT in the calling thread and every thread it starts later.
/// Must run before any other thread is started.
pub fn block() -> std::io::Result<()> {
    let set = sigint_set();
    // SAFETY: a valid set; no old mask requested.
    let rc = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
    if rc != 0 {
        return Err(std::io::Error::from_raw_os_error(rc));
    }
    Ok(())
}

/// Resolves once SIGINT arrives (a SIGINT sent earlier is still pending and counts).
pub fn received() -> oneshot::Receiver<()> {
    let (tx, rx) = oneshot::channel();
    let _ = std::thread::Builder::new()
        .name("avenor-sim-sigint".into())
        .spawn(move || {
            let set = sigint_set();
            let mut sig = 0;
            // SAFETY: waits for a signal of `set`, which is blocked in this thread.
            if unsafe { libc::sigwait(&set, &mut sig) } == 0 {
                let _ = tx.send(());
            }
        });
    rx
}
