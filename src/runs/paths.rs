//! A run's directory and artefacts: `<runsRoot>/<runId>/{sentinel.done,events.log}`.

use std::path::PathBuf;

use crate::discovery::{ensure_private_dir, runs_root};
use crate::error::CoreResult;

pub const SENTINEL_FILE: &str = "sentinel.done";
pub const EVENT_LOG_FILE: &str = "events.log";

pub struct RunPaths {
    pub dir: PathBuf,
    pub sentinel: PathBuf,
    pub event_log: PathBuf,
}

/// The paths of run `run_id` (nothing is created).
pub fn run_paths(run_id: &str) -> RunPaths {
    let dir = runs_root().join(run_id);
    RunPaths {
        sentinel: dir.join(SENTINEL_FILE),
        event_log: dir.join(EVENT_LOG_FILE),
        dir,
    }
}

/// The paths of run `run_id`, its directory created with mode 0700.
pub fn ensure_run_paths(run_id: &str) -> CoreResult<RunPaths> {
    let paths = run_paths(run_id);
    ensure_private_dir(&paths.dir)?;
    Ok(paths)
}

pub fn path_str(p: &std::path::Path) -> String {
    p.to_string_lossy().into_owned()
}
