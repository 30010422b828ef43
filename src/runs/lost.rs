//! Runs whose daemon died under them (a crash, a kill, or a vanished daemon the
//! supervisor had to replace). Such a run is over: `statusTool` reports it
//! `failed` with the cause, and `resultTool` rejects with it, instead of asking a
//! fresh daemon that never heard of it (which would say `running` forever).
//! Kept for the life of the process; `shutdownTool` forgets them.

use std::sync::{Mutex, OnceLock};

use tokio::sync::Notify;

use super::RunInfo;
use crate::supervisor::daemon_process::{signal_name, ExitInfo};

#[derive(Debug, Clone)]
pub struct LostRun {
    pub info: RunInfo,
    /// Why the run ended, for `error` and the rejection message.
    pub error: String,
}

static LOST: Mutex<Vec<LostRun>> = Mutex::new(Vec::new());

fn lock() -> std::sync::MutexGuard<'static, Vec<LostRun>> {
    LOST.lock().unwrap_or_else(|p| p.into_inner())
}

/// Wakes waits (resultTool) when runs are lost, so they end at once.
pub fn changed() -> &'static Notify {
    static CHANGED: OnceLock<Notify> = OnceLock::new();
    CHANGED.get_or_init(Notify::new)
}

/// The message for runs whose daemon exited as `exit` describes.
pub fn crash_message(exit: &ExitInfo) -> String {
    match (exit.signal, exit.code) {
        (Some(sig), _) => format!(
            "the avenor daemon was killed by {} while the run was active",
            signal_name(sig)
        ),
        (None, Some(0)) => "the avenor daemon exited (code 0) while the run was active".to_string(),
        (None, Some(code)) => {
            format!("the avenor daemon crashed (exit code {code}) while the run was active")
        }
        (None, None) => "the avenor daemon ended while the run was active".to_string(),
    }
}

/// For a daemon that was not this process's child: only its connection was seen to end.
pub const VANISHED: &str =
    "the avenor daemon went away (its connection closed and it no longer answers) while the run was active";

/// Records `runs` as lost for `error` and wakes the waits.
pub fn record(runs: Vec<RunInfo>, error: &str) {
    if runs.is_empty() {
        return;
    }
    lock().extend(runs.into_iter().map(|info| LostRun {
        info,
        error: error.to_string(),
    }));
    changed().notify_waiters();
}

/// By public id, else the latest lost run with that label.
pub fn find(reference: &str) -> Option<LostRun> {
    let lost = lock();
    lost.iter()
        .find(|r| r.info.run_id == reference)
        .or_else(|| lost.iter().rev().find(|r| r.info.label == reference))
        .cloned()
}

pub fn all() -> Vec<LostRun> {
    lock().clone()
}

pub fn forget_all() {
    lock().clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(id: &str, label: &str) -> RunInfo {
        RunInfo {
            run_id: id.into(),
            label: label.into(),
            ..Default::default()
        }
    }

    #[test]
    fn messages_name_the_signal_or_the_exit_code() {
        let killed = ExitInfo {
            code: None,
            signal: Some(libc::SIGKILL),
        };
        assert!(crash_message(&killed).contains("killed by SIGKILL"));
        let crashed = ExitInfo {
            code: Some(3),
            signal: None,
        };
        assert!(crash_message(&crashed).contains("exit code 3"));
    }

    #[test]
    fn found_by_id_then_by_the_latest_label() {
        forget_all();
        record(vec![run("lost-a", "shared")], "first");
        record(vec![run("lost-b", "shared")], "second");
        assert_eq!(find("lost-a").unwrap().error, "first");
        assert_eq!(find("shared").unwrap().info.run_id, "lost-b");
        assert!(find("nope").is_none());
        forget_all();
        assert!(find("lost-a").is_none());
    }
}
