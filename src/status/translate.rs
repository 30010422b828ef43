//! Daemon phase + sentinel → the public run status (core-spec §8.2, LATE).

use crate::runs::sentinel::{sentinel_str, Sentinel, STATUS_KEY};

/// One of `running, waiting, done, failed, timeout, killed`. The phase is
/// matched lower-cased; sentinel words are case-sensitive.
pub fn translate_status(raw_phase: &str, sentinel: Option<&Sentinel>) -> &'static str {
    let from_sentinel = || sentinel.map_or("running", sentinel_status);
    match raw_phase.to_lowercase().as_str() {
        // A terminal sentinel overrides a live "running"/"idle"/"ended".
        "running" | "idle" | "ended" => from_sentinel(),
        // A pending permission is never overridden: the run is not finished.
        "waiting" => "waiting",
        "done" => "done",
        "failed" | "blocked" => "failed",
        "timeout" => "timeout",
        "killed" => "killed",
        _ => "running",
    }
}

/// The status word of a sentinel; unknown words mean the run is still going.
fn sentinel_status(sentinel: &Sentinel) -> &'static str {
    match sentinel_str(sentinel, STATUS_KEY).unwrap_or_default() {
        "DONE" => "done",
        "FAILED" | "BLOCKED" => "failed",
        "TIMEOUT" => "timeout",
        "KILLED" => "killed",
        _ => "running",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn sentinel(word: &str) -> Sentinel {
        let mut s = Sentinel::new();
        s.insert(STATUS_KEY.into(), Value::String(word.into()));
        s
    }

    #[test]
    fn conformance_case_16() {
        assert_eq!(translate_status("waiting", None), "waiting");
        assert_eq!(
            translate_status("waiting", Some(&sentinel("DONE"))),
            "waiting"
        );
        assert_eq!(translate_status("running", Some(&sentinel("DONE"))), "done");
        assert_eq!(
            translate_status("running", Some(&sentinel("FAILED"))),
            "failed"
        );
        assert_eq!(translate_status("running", None), "running");
        assert_eq!(
            translate_status("waiting", Some(&sentinel("RUNNING"))),
            "waiting"
        );
        assert_eq!(translate_status("ended", None), "running");
        assert_eq!(translate_status("blocked", None), "failed");
        assert_eq!(
            translate_status("IDLE", Some(&sentinel("TIMEOUT"))),
            "timeout"
        );
    }

    #[test]
    fn other_rows() {
        assert_eq!(
            translate_status("ended", Some(&sentinel("KILLED"))),
            "killed"
        );
        assert_eq!(
            translate_status("idle", Some(&sentinel("BLOCKED"))),
            "failed"
        );
        assert_eq!(translate_status("idle", Some(&sentinel("done"))), "running");
        assert_eq!(translate_status("DONE", None), "done");
        assert_eq!(
            translate_status("Killed", Some(&sentinel("DONE"))),
            "killed"
        );
        assert_eq!(translate_status("timeout", None), "timeout");
        assert_eq!(
            translate_status("thinking", Some(&sentinel("DONE"))),
            "running"
        );
        assert_eq!(translate_status("", Some(&sentinel("DONE"))), "running");
    }
}
