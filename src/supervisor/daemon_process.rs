//! Starting the daemon child and watching it: a dedicated thread spawns it (so
//! Linux's `PR_SET_PDEATHSIG`, which fires when the *spawning thread* dies, lasts
//! as long as the child), waits for it, and publishes its exit. stdout is drained
//! and stderr's tail is kept for startup-failure errors, so no pipe ever fills.
//!
//! The child leads a process group of its own and every stop signal goes to
//! the whole group; when the leader exits, what is left of its group is
//! killed before the leader is reaped. So a daemon that is a wrapper script
//! (`avenor` → `sh` → the real binary) leaves no grandchild behind.

use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::process_group::{signal_group, wait_exited_unreaped};

/// The fd number the daemon finds its readiness pipe on.
pub const READY_FD: i32 = 3;
const STDERR_TAIL_BYTES: usize = 4096;

/// How a child ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExitInfo {
    pub code: Option<i32>,
    pub signal: Option<i32>,
}

impl ExitInfo {
    /// `code <n>[ signal <NAME>]`, as Node's `exit` event printed it.
    pub fn describe(&self) -> String {
        let code = self
            .code
            .map_or_else(|| "null".to_string(), |c| c.to_string());
        match self.signal {
            Some(sig) => format!("code {code} signal {}", signal_name(sig)),
            None => format!("code {code}"),
        }
    }

    /// `code ?? -1`.
    pub fn crash_code(&self) -> i64 {
        self.code.map_or(-1, i64::from)
    }
}

pub fn signal_name(sig: i32) -> String {
    match sig {
        libc::SIGINT => "SIGINT".into(),
        libc::SIGTERM => "SIGTERM".into(),
        libc::SIGKILL => "SIGKILL".into(),
        libc::SIGHUP => "SIGHUP".into(),
        libc::SIGQUIT => "SIGQUIT".into(),
        libc::SIGABRT => "SIGABRT".into(),
        libc::SIGSEGV => "SIGSEGV".into(),
        libc::SIGPIPE => "SIGPIPE".into(),
        other => format!("SIG{other}"),
    }
}

/// A running (or finished) daemon child.
pub struct DaemonProcess {
    /// Also the id of the child's process group.
    pid: i32,
    exit: watch::Receiver<Option<ExitInfo>>,
    stderr_tail: Arc<Mutex<Vec<u8>>>,
    /// Set, under the lock, when the child is reaped: after that its pid and
    /// group id may name other processes and must not be signalled.
    reaped: Arc<Mutex<bool>>,
}

/// A launched child and the read end of its readiness pipe.
pub struct Launched {
    pub process: DaemonProcess,
    pub ready: OwnedFd,
}

fn pipe_cloexec() -> std::io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // Linux creates both ends close-on-exec atomically.
    #[cfg(target_os = "linux")]
    // SAFETY: pipe2 fills two fds we then own.
    let created = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    // macOS has no pipe2. Between pipe() and fcntl() a fork elsewhere in the
    // process could inherit an end; that only delays the readiness EOF for a
    // daemon that dies, and the exit watcher reports that death anyway.
    #[cfg(not(target_os = "linux"))]
    // SAFETY: pipe fills two fds we then own.
    let created = unsafe { libc::pipe(fds.as_mut_ptr()) };
    if created != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let fds = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    #[cfg(not(target_os = "linux"))]
    for fd in [&fds.0, &fds.1] {
        // SAFETY: fcntl on an fd we own.
        if unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(fds)
}

/// Spawns `binary args…` with the readiness pipe on fd 3. Fails only if the
/// process could not be started (the error text is the OS reason).
pub fn launch(binary: &Path, args: &[String]) -> std::io::Result<Launched> {
    let (ready_read, ready_write) = pipe_cloexec()?;
    let mut command = Command::new(binary);
    // The daemon gets JS's `process.env`, as Node's child_process.spawn gives it.
    if let Some(vars) = crate::environment::snapshot() {
        command.env_clear().envs(vars.iter());
    }
    command
        .args(args)
        .env("AVENOR_CONTROL_READY_FD", READY_FD.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // A group of its own (id = the child's pid), stopped as a whole.
        .process_group(0);
    let write_fd = ready_write.as_raw_fd();
    // Only Linux has a parent-death signal; on macOS the host's exit hooks
    // are what stop the daemon (README, "The supervisor").
    #[cfg(target_os = "linux")]
    let parent_pid = std::process::id() as i32;
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(move || {
            #[cfg(target_os = "linux")]
            {
                // SIGINT lets the daemon shut down gracefully (it stops its agents).
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGINT) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // The parent may have died before prctl took effect.
                if libc::getppid() != parent_pid {
                    libc::raise(libc::SIGINT);
                }
            }
            if write_fd == READY_FD {
                libc::fcntl(READY_FD, libc::F_SETFD, 0);
            } else if libc::dup2(write_fd, READY_FD) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }

    let (spawned_tx, spawned_rx) = std::sync::mpsc::channel();
    let (exit_tx, exit_rx) = watch::channel(None);
    let stderr_tail = Arc::new(Mutex::new(Vec::new()));
    let tail = stderr_tail.clone();
    let reaped = Arc::new(Mutex::new(false));
    let reaped_by_watcher = reaped.clone();
    std::thread::Builder::new()
        .name("avenor-daemon-watch".into())
        .spawn(move || {
            let mut child = match command.spawn() {
                Ok(child) => child,
                Err(e) => {
                    let _ = spawned_tx.send(Err(e));
                    return;
                }
            };
            drop(command);
            if let Some(out) = child.stdout.take() {
                drain(out, None);
            }
            let stderr_done = child.stderr.take().map(|err| drain(err, Some(tail)));
            let pid = child.id() as i32;
            let _ = spawned_tx.send(Ok(pid));
            // While the exited leader is unreaped its group id is still ours:
            // kill whatever of the group outlived it (a wrapper's children).
            let status = if wait_exited_unreaped(pid).is_ok() {
                signal_group(pid, libc::SIGKILL);
                let mut reaped = lock(&reaped_by_watcher);
                let status = child.wait();
                *reaped = true;
                status
            } else {
                // Cannot tell when it is reaped: stop signalling it now.
                *lock(&reaped_by_watcher) = true;
                child.wait()
            };
            let info = match status {
                Ok(status) => ExitInfo {
                    code: status.code(),
                    signal: status.signal(),
                },
                Err(_) => ExitInfo {
                    code: None,
                    signal: None,
                },
            };
            // Let the stderr reader catch up before the exit is published, so a
            // startup failure carries the whole tail. Bounded: a grandchild may
            // hold the pipe open after the daemon itself is gone.
            if let Some(done) = stderr_done {
                let _ = done.recv_timeout(std::time::Duration::from_millis(200));
            }
            let _ = exit_tx.send(Some(info));
        })?;
    let pid = spawned_rx
        .recv()
        .map_err(|_| std::io::Error::other("daemon watcher thread ended"))??;
    // Our copy of the write end must close, so EOF tells us the child dropped it.
    drop(ready_write);
    Ok(Launched {
        process: DaemonProcess {
            pid,
            exit: exit_rx,
            stderr_tail,
            reaped,
        },
        ready: ready_read,
    })
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Reads `stream` to its end on a thread of its own; the receiver hears once it has.
fn drain(
    mut stream: impl Read + Send + 'static,
    tail: Option<Arc<Mutex<Vec<u8>>>>,
) -> std::sync::mpsc::Receiver<()> {
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let _ = std::thread::Builder::new()
        .name("avenor-daemon-output".into())
        .spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = stream.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Some(tail) = &tail {
                    let mut t = lock(tail);
                    t.extend_from_slice(&buf[..n]);
                    let excess = t.len().saturating_sub(STDERR_TAIL_BYTES);
                    t.drain(..excess);
                }
            }
            let _ = done_tx.send(());
        });
    done_rx
}

impl DaemonProcess {
    pub fn pid(&self) -> i32 {
        self.pid
    }

    pub fn exit_info(&self) -> Option<ExitInfo> {
        *self.exit.borrow()
    }

    /// Waits until the child has exited.
    pub async fn exited(&self) -> ExitInfo {
        let mut rx = self.exit.clone();
        loop {
            if let Some(info) = *rx.borrow_and_update() {
                return info;
            }
            if rx.changed().await.is_err() {
                return ExitInfo {
                    code: None,
                    signal: None,
                };
            }
        }
    }

    /// The last few KiB the child wrote to stderr.
    pub fn stderr_tail(&self) -> String {
        let tail = lock(&self.stderr_tail);
        String::from_utf8_lossy(&tail).trim().to_string()
    }

    /// Sends `signal` to the child's process group unless the child has been
    /// reaped (its ids may be reused by then).
    pub fn signal(&self, signal: i32) {
        let reaped = lock(&self.reaped);
        if !*reaped {
            signal_group(self.pid, signal);
        }
    }

    /// Synchronous stop for exit paths: SIGINT, up to `grace` for a clean exit,
    /// then SIGKILL. Returns whether the child is gone.
    pub fn stop_blocking(&self, grace: Duration) -> bool {
        self.signal(libc::SIGINT);
        if self.wait_blocking(grace) {
            return true;
        }
        self.signal(libc::SIGKILL);
        self.wait_blocking(Duration::from_millis(500))
    }

    fn wait_blocking(&self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while self.exit_info().is_none() {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        true
    }

    /// Async stop: `signal`, then SIGKILL if it has not exited within `grace`.
    pub async fn stop(&self, signal: i32, grace: Duration) {
        self.signal(signal);
        if tokio::time::timeout(grace, self.exited()).await.is_err() {
            self.signal(libc::SIGKILL);
            let _ = tokio::time::timeout(Duration::from_secs(2), self.exited()).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supervisor::wrapper_daemon::{gone_within, kill_leftover, Child, WrapperDaemon};

    #[tokio::test]
    async fn child_exit_and_ready_pipe() {
        let script = "printf '\\001' >&3; echo oops >&2; exit 7".to_string();
        let launched = launch(Path::new("/bin/sh"), &["-c".into(), script]).unwrap();
        let info = launched.process.exited().await;
        assert_eq!(
            info,
            ExitInfo {
                code: Some(7),
                signal: None
            }
        );
        assert_eq!(info.describe(), "code 7");
        let mut ready = std::fs::File::from(launched.ready);
        let mut byte = Vec::new();
        ready.read_to_end(&mut byte).unwrap();
        assert_eq!(byte, vec![1]);
        assert_eq!(launched.process.stderr_tail(), "oops");
    }

    #[tokio::test]
    async fn stop_kills_a_child_that_ignores_sigint() {
        let launched = launch(
            Path::new("/bin/sh"),
            &["-c".into(), "trap '' INT; sleep 30".into()],
        )
        .unwrap();
        assert!(launched.process.exit_info().is_none());
        // Let the shell install its trap before signalling.
        std::thread::sleep(Duration::from_millis(150));
        assert!(launched.process.stop_blocking(Duration::from_millis(100)));
        let info = launched.process.exit_info().unwrap();
        assert_eq!(info.signal, Some(libc::SIGKILL));
        assert_eq!(info.describe(), "code null signal SIGKILL");
        assert_eq!(info.crash_code(), -1);
    }

    #[tokio::test]
    async fn stop_ends_the_child_of_a_wrapper_script() {
        let wrapper = WrapperDaemon::start("stop", Child::Foreground);
        let grandchild = wrapper.grandchild();
        wrapper
            .launched
            .process
            .stop(libc::SIGINT, Duration::from_secs(1))
            .await;
        let gone = gone_within(grandchild, Duration::from_secs(2));
        kill_leftover(grandchild);
        assert!(gone, "the wrapper's child {grandchild} outlived the stop");
        assert!(wrapper.launched.process.exit_info().is_some());
    }

    #[tokio::test]
    async fn a_grandchild_that_ignores_sigint_dies_with_its_leader() {
        // A background job of a non-interactive shell ignores SIGINT, so the
        // group's SIGINT ends only the wrapper; the rest dies with it.
        let wrapper = WrapperDaemon::start("ignores", Child::Background);
        let grandchild = wrapper.grandchild();
        let started = Instant::now();
        wrapper
            .launched
            .process
            .stop(libc::SIGINT, Duration::from_secs(5))
            .await;
        let gone = gone_within(grandchild, Duration::from_secs(2));
        kill_leftover(grandchild);
        assert!(gone, "the wrapper's child {grandchild} outlived the stop");
        // The wrapper itself ended on SIGINT, well before the grace ran out.
        let info = wrapper.launched.process.exit_info().expect("exited");
        assert_eq!(info.signal, Some(libc::SIGINT));
        assert!(started.elapsed() < Duration::from_secs(4));
    }

    #[tokio::test]
    async fn a_wrapper_that_exits_by_itself_takes_its_child_along() {
        let pid_file =
            std::env::temp_dir().join(format!("avenor-exits-{}.pid", std::process::id()));
        let script = "sleep 100 & echo $! > \"$1\"; exit 1".to_string();
        let args = [
            "-c".into(),
            script,
            "wrapper".into(),
            pid_file.to_string_lossy().into_owned(),
        ];
        let launched = launch(Path::new("/bin/sh"), &args).unwrap();
        let info = launched.process.exited().await;
        assert_eq!(info.code, Some(1));
        let grandchild: i32 = std::fs::read_to_string(&pid_file)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        std::fs::remove_file(&pid_file).ok();
        let gone = gone_within(grandchild, Duration::from_secs(2));
        kill_leftover(grandchild);
        assert!(gone, "the wrapper's child {grandchild} outlived it");
    }

    #[test]
    fn missing_binary_fails_to_launch() {
        let err = launch(Path::new("/nonexistent/avenor"), &[]).err().unwrap();
        assert_eq!(err.raw_os_error(), Some(libc::ENOENT));
    }
}
