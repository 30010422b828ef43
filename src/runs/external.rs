//! Runs spawned through a supervisor other than this process's singleton are
//! persisted as `<runsRoot>/<runId>/run.json`, so later calls (even from another
//! process) can map a public run id or label to the daemon's runtime id
//! (core-spec §6.4).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::{Map, Value};

use super::paths::{path_str, run_paths};
use super::RunInfo;
use crate::discovery::runs_root;
use crate::error::{CoreError, CoreResult};
use crate::policy::validate::is_safe_id;
use crate::regular_file::open_regular;

pub const RUN_METADATA_FILE: &str = "run.json";
const SCHEMA_VERSION: u64 = 1;

/// What one supervisor's external runs are known as, in memory.
#[derive(Default)]
struct Index {
    by_id: HashMap<String, RunInfo>,
    /// label or runtime id → public run id.
    aliases: HashMap<String, String>,
}

impl Index {
    fn remember(&mut self, info: RunInfo) {
        self.aliases.insert(info.label.clone(), info.run_id.clone());
        if let Some(rt) = &info.runtime_id {
            self.aliases.insert(rt.clone(), info.run_id.clone());
        }
        self.by_id.insert(info.run_id.clone(), info);
    }
}

static INDEXES: Mutex<Option<HashMap<String, Index>>> = Mutex::new(None);

fn with_index<T>(supervisor_id: &str, f: impl FnOnce(&mut Index) -> T) -> T {
    let mut guard = INDEXES.lock().unwrap_or_else(|p| p.into_inner());
    f(guard
        .get_or_insert_with(HashMap::new)
        .entry(supervisor_id.to_string())
        .or_default())
}

/// `externalRunMetadataPath(runId)`.
pub fn external_run_metadata_path(run_id: &str) -> CoreResult<PathBuf> {
    if !is_safe_id(run_id) {
        return Err(CoreError::plain(format!(
            "unsafe external run reference: {run_id}"
        )));
    }
    Ok(run_paths(run_id).dir.join(RUN_METADATA_FILE))
}

/// Writes `run.json` atomically (exclusive temp file, mode 0600, rename), without
/// `parentToken`, and remembers the run.
pub fn persist_external_run(info: &RunInfo, supervisor_id: &str) -> CoreResult<()> {
    let path = external_run_metadata_path(&info.run_id)?;
    let mut stored = info.clone();
    stored.parent_token = None;
    let text = run_record_text(&stored, supervisor_id)?;
    let tmp = path.with_file_name(format!(
        "{RUN_METADATA_FILE}.{}.{}.tmp",
        std::process::id(),
        uuid::Uuid::new_v4()
    ));
    let write = || -> std::io::Result<()> {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&tmp, &path)
    };
    if let Err(e) = write() {
        let _ = std::fs::remove_file(&tmp);
        return Err(CoreError::plain(format!("write {}: {e}", path.display())));
    }
    with_index(supervisor_id, |idx| idx.remember(stored));
    Ok(())
}

/// Loads `runs/<run_id>/run.json` if it belongs to `supervisor_id`.
fn load(run_id: &str, supervisor_id: &str) -> Option<RunInfo> {
    let path = external_run_metadata_path(run_id).ok()?;
    let mut info = parse_run_record(&read_record_text(&path)?, run_id, supervisor_id)?;
    // Paths are derived from the run directory, never trusted from the file.
    let paths = run_paths(run_id);
    info.sentinel_path = path_str(&paths.sentinel);
    info.event_log_path = path_str(&paths.event_log);
    Some(info)
}

/// A `run.json` text; `None` when unreadable, not UTF-8 or not a regular
/// file: a FIFO left in a run directory would block every lookup for ever
/// and a device such as `/dev/zero` would fill memory.
fn read_record_text(path: &Path) -> Option<String> {
    let mut text = String::new();
    open_regular(path).ok()?.read_to_string(&mut text).ok()?;
    Some(text)
}

/// The text of `run.json` for `info` (written as is: the caller drops the
/// parent token). Public (hidden) so the run.json fuzz target can round-trip.
#[doc(hidden)]
pub fn run_record_text(info: &RunInfo, supervisor_id: &str) -> CoreResult<String> {
    let mut record = Map::new();
    record.insert("schemaVersion".into(), Value::from(SCHEMA_VERSION));
    if let Value::Object(fields) = serde_json::to_value(info).unwrap_or_default() {
        record.extend(fields);
    }
    record.insert("supervisorId".into(), Value::from(supervisor_id));
    let mut text = serde_json::to_string_pretty(&Value::Object(record))
        .map_err(|e| CoreError::plain(e.to_string()))?;
    text.push('\n');
    Ok(text)
}

/// A `run.json` text → its `RunInfo` (paths as written, no parent token),
/// when it is this schema, this run's and this supervisor's. Public (hidden)
/// for the run.json fuzz target.
#[doc(hidden)]
pub fn parse_run_record(text: &str, run_id: &str, supervisor_id: &str) -> Option<RunInfo> {
    let record: Value = serde_json::from_str(text).ok()?;
    let obj = record.as_object()?;
    let accepted = obj.get("schemaVersion").and_then(Value::as_u64) == Some(SCHEMA_VERSION)
        && obj.get("runId").and_then(Value::as_str) == Some(run_id)
        && obj.get("supervisorId").and_then(Value::as_str) == Some(supervisor_id)
        && obj.get("label").is_some_and(Value::is_string);
    if !accepted {
        return None;
    }
    let mut info: RunInfo = serde_json::from_value(record).ok()?;
    info.parent_token = None;
    Some(info)
}

/// Every persisted run of `supervisor_id`, remembered in memory.
pub fn list_external_runs(supervisor_id: &str) -> Vec<RunInfo> {
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(runs_root()) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(info) = load(&name, supervisor_id) {
                found.push(info);
            }
        }
    }
    found.sort_by(|a, b| a.run_id.cmp(&b.run_id));
    with_index(supervisor_id, |idx| {
        for info in &found {
            idx.remember(info.clone());
        }
    });
    found
}

/// `findExternalRun`: exact id (memory, then disk), then all runs on disk and
/// the label/runtime-id aliases. An alias never shadows an exact id.
pub fn find_external_run(supervisor_id: &str, reference: &str) -> Option<RunInfo> {
    if let Some(info) = with_index(supervisor_id, |idx| idx.by_id.get(reference).cloned()) {
        return Some(info);
    }
    if let Some(info) = load(reference, supervisor_id) {
        with_index(supervisor_id, |idx| idx.remember(info.clone()));
        return Some(info);
    }
    list_external_runs(supervisor_id);
    with_index(supervisor_id, |idx| {
        if let Some(info) = idx.by_id.get(reference) {
            return Some(info.clone());
        }
        let id = idx.aliases.get(reference)?;
        idx.by_id.get(id).cloned()
    })
}

/// `clearExternalRuns`: the persisted runs of `supervisor_id`, forgotten in memory.
pub fn clear_external_runs(supervisor_id: &str) -> Vec<RunInfo> {
    let runs = list_external_runs(supervisor_id);
    with_index(supervisor_id, |idx| *idx = Index::default());
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_references_are_refused() {
        for bad in [
            "",
            ".",
            "..",
            "../escape",
            "nested/run",
            "/absolute",
            "nested\\run",
        ] {
            assert_eq!(
                external_run_metadata_path(bad).unwrap_err().to_string(),
                format!("unsafe external run reference: {bad}")
            );
        }
        assert!(external_run_metadata_path("safe_run-1")
            .unwrap()
            .ends_with("runs/safe_run-1/run.json"));
    }

    #[test]
    fn a_fifo_run_json_reads_as_none_without_blocking() {
        let dir = std::env::temp_dir().join(format!("avenor-run-json-fifo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let p = dir.join(RUN_METADATA_FILE);
        crate::regular_file::make_fifo(&p);
        let (tx, rx) = std::sync::mpsc::channel();
        let fifo = p.clone();
        std::thread::spawn(move || {
            let _ = tx.send(read_record_text(&fifo).is_none());
        });
        let none = rx.recv_timeout(std::time::Duration::from_secs(5));
        std::fs::remove_dir_all(&dir).ok();
        assert_eq!(none, Ok(true), "reading a FIFO run.json blocked");
        assert_eq!(read_record_text(Path::new("/dev/zero")), None);
        assert_eq!(read_record_text(&dir), None);
    }

    #[test]
    fn records_round_trip_and_are_checked() {
        let info = RunInfo {
            run_id: "r1".into(),
            label: "my-run".into(),
            sentinel_path: "/s".into(),
            event_log_path: "/e".into(),
            auto_approve: Some(false),
            ..RunInfo::default()
        };
        let text = run_record_text(&info, "sup").expect("text");
        assert!(text.starts_with("{\n  \"schemaVersion\": 1,\n  \"runId\": \"r1\""));
        assert!(text.ends_with("\"supervisorId\": \"sup\"\n}\n"));
        assert_eq!(parse_run_record(&text, "r1", "sup"), Some(info.clone()));
        assert_eq!(parse_run_record(&text, "r2", "sup"), None);
        assert_eq!(parse_run_record(&text, "r1", "other"), None);
        let with_token = text.replace("\"label\"", "\"parentToken\": \"t\",\n  \"label\"");
        assert_eq!(parse_run_record(&with_token, "r1", "sup"), Some(info));
        assert_eq!(parse_run_record("[]", "r1", "sup"), None);
    }
}
