//! Every daemon this process started and still owns, so that exit paths (the
//! JS `exit`/`SIGINT`/`SIGTERM` hooks) can stop them synchronously: `Drop` and
//! env cleanup hooks do not run on `process.exit()` (spec/napi.md §4.2).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::daemon_process::DaemonProcess;

struct Owned {
    process: Arc<DaemonProcess>,
    socket: PathBuf,
}

static LIVE: Mutex<Vec<Owned>> = Mutex::new(Vec::new());

fn live() -> std::sync::MutexGuard<'static, Vec<Owned>> {
    LIVE.lock().unwrap_or_else(|p| p.into_inner())
}

pub fn register(process: Arc<DaemonProcess>, socket: PathBuf) {
    let mut list = live();
    list.retain(|o| o.process.exit_info().is_none());
    list.push(Owned { process, socket });
}

pub fn forget(process: &Arc<DaemonProcess>) {
    live().retain(|o| !Arc::ptr_eq(&o.process, process));
}

/// Stops every owned daemon (SIGINT, then SIGKILL after `grace`) and removes
/// their sockets. Blocking: meant for the process's last moments.
pub fn stop_all_blocking(grace: Duration) {
    let owned: Vec<Owned> = std::mem::take(&mut *live());
    for o in &owned {
        o.process.signal(libc::SIGINT);
    }
    for o in owned {
        o.process.stop_blocking(grace);
        let _ = std::fs::remove_file(&o.socket);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supervisor::wrapper_daemon::{gone_within, kill_leftover, Child, WrapperDaemon};

    #[test]
    fn exit_hooks_stop_the_wrapper_and_its_child() {
        let wrapper = WrapperDaemon::start("exit", Child::Foreground);
        let grandchild = wrapper.grandchild();
        let process = Arc::new(wrapper.launched.process);
        let socket = std::env::temp_dir().join(format!("avenor-exit-{}.sock", std::process::id()));
        register(process.clone(), socket);
        stop_all_blocking(Duration::from_millis(500));
        let gone = gone_within(grandchild, Duration::from_secs(2));
        kill_leftover(grandchild);
        assert!(
            gone,
            "the wrapper's child {grandchild} outlived the host's exit"
        );
        assert!(
            process.exit_info().is_some(),
            "the wrapper outlived the host's exit"
        );
    }
}
