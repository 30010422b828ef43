//! Bringing a daemon up for a supervisor (core-spec §5.2 step 4): adopt one that
//! already answers on our socket path, or launch `<binary> stable …` and wait
//! until it is ready — on its readiness byte when it writes one, else by dialing.

use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncReadExt;

use super::daemon_process::{launch, DaemonProcess};
use crate::client::{dial, ControlClient, DEFAULT_CALL_TIMEOUT};
use crate::discovery::{ensure_sockets_root, find_avenor_binary, is_read_write};
use crate::error::{CoreError, CoreResult};
use crate::policy::validate_socket_path_length;

pub const STARTUP_DEADLINE: Duration = Duration::from_secs(10);
const PROBE_TIMEOUT: Duration = Duration::from_millis(2000);
pub const TIMED_OUT: &str = "timed out waiting for avenor socket";

pub struct StartOptions {
    pub binary_path: Option<PathBuf>,
    pub call_timeout: Duration,
    /// A daemon child of a supervisor being replaced: if it still answers on the
    /// socket it is adopted together with its process, so it stays owned.
    pub previous_process: Option<Arc<DaemonProcess>>,
}

pub struct Started {
    pub socket: PathBuf,
    pub client: ControlClient,
    pub process: Option<Arc<DaemonProcess>>,
}

/// `<socketsRoot>/avenor-mcp-<pid>.sock`.
pub fn socket_path() -> CoreResult<PathBuf> {
    Ok(ensure_sockets_root()?.join(format!("avenor-mcp-{}.sock", std::process::id())))
}

pub async fn start(opts: StartOptions) -> CoreResult<Started> {
    let binary = match opts.binary_path {
        Some(p) => p,
        None => find_avenor_binary()?,
    };
    let socket = socket_path()?;
    // The daemon cannot bind a longer path and would only exit with code 1.
    validate_socket_path_length(&socket)?;
    if socket.exists() && is_read_write(&socket) {
        if let Some(client) = adopt(&socket).await {
            let process = opts.previous_process.filter(|p| p.exit_info().is_none());
            return Ok(Started {
                socket,
                client,
                process,
            });
        }
        let _ = std::fs::remove_file(&socket);
    }
    let args = vec![
        "stable".to_string(),
        "--control-socket".to_string(),
        socket.to_string_lossy().into_owned(),
        "--idle-timeout".to_string(),
        "30m".to_string(),
    ];
    let launched = launch(&binary, &args).map_err(|e| {
        CoreError::plain(format!(
            "failed to start avenor: {}",
            spawn_error_text(&binary, &e)
        ))
    })?;
    let process = Arc::new(launched.process);
    let client = wait_until_ready(
        &socket,
        &process,
        launched.ready,
        opts.call_timeout,
        STARTUP_DEADLINE,
    )
    .await?;
    Ok(Started {
        socket,
        client,
        process: Some(process),
    })
}

/// Node's wording for a failed spawn: `spawn <path> ENOENT`.
fn spawn_error_text(binary: &Path, e: &std::io::Error) -> String {
    let code = match e.raw_os_error() {
        Some(libc::ENOENT) => "ENOENT",
        Some(libc::EACCES) => "EACCES",
        Some(libc::ENOEXEC) => "ENOEXEC",
        Some(libc::ENOTDIR) => "ENOTDIR",
        _ => return e.to_string(),
    };
    format!("spawn {} {code}", binary.display())
}

/// A daemon already answering `status` on `socket` (the probe uses a 2 s timeout,
/// the adopted client the default 30 s, as the original did).
async fn adopt(socket: &Path) -> Option<ControlClient> {
    let path = socket.to_string_lossy();
    let probe = dial(&path, PROBE_TIMEOUT).await.ok()?;
    let answered = probe.call("status", None).await.is_ok();
    probe.close();
    if !answered {
        return None;
    }
    dial(&path, DEFAULT_CALL_TIMEOUT).await.ok()
}

async fn wait_until_ready(
    socket: &Path,
    process: &Arc<DaemonProcess>,
    ready: OwnedFd,
    call_timeout: Duration,
    limit: Duration,
) -> CoreResult<ControlClient> {
    let path = socket.to_string_lossy().into_owned();
    let deadline = tokio::time::Instant::now() + limit;
    let mut ready = tokio::net::unix::pipe::Receiver::from_owned_fd(ready).ok();
    let mut byte = [0u8; 1];
    loop {
        // While the readiness pipe is open, dialing is only a slow safety net;
        // once it is gone (a daemon without the hand-off), poll briskly.
        let poll = if ready.is_some() {
            Duration::from_millis(50)
        } else {
            Duration::from_millis(10)
        };
        tokio::select! {
            biased;
            info = process.exited() => {
                let message = format!("avenor exited with {} during startup", info.describe());
                let tail = process.stderr_tail();
                return Err(if tail.is_empty() {
                    CoreError::Plain(message)
                } else {
                    CoreError::WithCause { message, cause: tail }
                });
            }
            _ = tokio::time::sleep_until(deadline) => {
                // Unlike the original, a daemon that never became ready is stopped
                // (with its process group), so it cannot outlive its host untracked.
                process.stop(libc::SIGINT, Duration::from_secs(1)).await;
                return Err(CoreError::plain(TIMED_OUT));
            }
            read = async { ready.as_mut().expect("guarded").read(&mut byte).await }, if ready.is_some() => {
                ready = None;
                if matches!(read, Ok(1)) {
                    if let Ok(client) = dial(&path, call_timeout).await {
                        return Ok(client);
                    }
                }
            }
            _ = tokio::time::sleep(poll) => {
                if let Ok(client) = dial(&path, call_timeout).await {
                    return Ok(client);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supervisor::wrapper_daemon::{gone_within, kill_leftover, Child, WrapperDaemon};

    #[tokio::test]
    async fn a_startup_timeout_stops_the_wrapper_and_its_child() {
        let wrapper = WrapperDaemon::start("timeout", Child::Foreground);
        let grandchild = wrapper.grandchild();
        let process = Arc::new(wrapper.launched.process);
        let socket = std::env::temp_dir().join(format!("avenor-never-{}.sock", std::process::id()));
        let err = wait_until_ready(
            &socket,
            &process,
            wrapper.launched.ready,
            Duration::from_secs(1),
            Duration::from_millis(200),
        )
        .await
        .err()
        .expect("never ready");
        assert_eq!(err.to_string(), TIMED_OUT);
        let gone = gone_within(grandchild, Duration::from_secs(2));
        kill_leftover(grandchild);
        assert!(
            gone,
            "the wrapper's child {grandchild} outlived the timeout"
        );
        assert!(
            process.exit_info().is_some(),
            "the wrapper outlived the timeout"
        );
    }
}
