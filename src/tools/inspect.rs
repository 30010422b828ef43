//! `inspectTool(args)` (core-spec §14.2): status, the run's recent events folded
//! through a fresh reducer, and status data laid over the snapshot.

use serde_json::{json, Map, Value};

use super::args::{member, string, supervisor_id, Args};
use super::events::events_tool;
use super::status::status_of;
use crate::error::{CoreError, CoreResult};
use crate::observe::RunReducer;

const INTERNAL_KEYS: [&str; 4] = [
    "_seen_seq_by_scope",
    "_recent_legacy_keys",
    "_last_semantic_fingerprint",
    "_last_source_event",
];

/// Status field → snapshot identity field.
const IDENTITY_OVERLAY: [(&str, &str); 11] = [
    ("runtime_id", "runtime_id"),
    ("session_id", "session_id"),
    ("run_id", "run_id"),
    ("label", "run_label"),
    ("backend", "backend"),
    ("agent", "agent"),
    ("model", "model"),
    ("dir", "dir"),
    ("parent_id", "parent_id"),
    ("children", "children"),
    ("event_path", "event_path"),
];

pub fn run_not_found(run_id: &str) -> CoreError {
    CoreError::plain(format!("run not found: {run_id}"))
}

/// Lays the status over the snapshot and drops the reducer's bookkeeping.
fn overlay(mut snapshot: Map<String, Value>, status: &Map<String, Value>) -> Map<String, Value> {
    if let Some(Value::Object(identity)) = snapshot.get_mut("identity") {
        for (from, to) in IDENTITY_OVERLAY {
            if let Some(v) = status.get(from) {
                identity.insert(to.into(), v.clone());
            }
        }
    }
    for key in ["phase", "phase_label", "latest_seq", "usage", "stop_reason"] {
        if let Some(v) = status.get(key) {
            snapshot.insert(key.into(), v.clone());
        }
    }
    let final_output = status
        .get("final_output")
        .or_else(|| snapshot.get("final_output"))
        .or_else(|| {
            snapshot
                .get("assistant_text")
                .filter(|t| t.as_str() != Some(""))
        })
        .cloned();
    if let Some(f) = final_output {
        snapshot.insert("final_output".into(), f);
    }
    if let Some(p) = status.get("pending_permission") {
        snapshot.insert("pending_permission".into(), p.clone());
    }
    for key in INTERNAL_KEYS {
        snapshot.remove(key);
    }
    snapshot
}

pub async fn inspect_tool(args: Args) -> CoreResult<Value> {
    let run_id = string(&args, "runId").unwrap_or_default();
    let supervisor = supervisor_id(&args);
    let status = status_of(&run_id, supervisor.as_deref())
        .await?
        .ok_or_else(|| run_not_found(&run_id))?;
    let mut events_args = Map::new();
    events_args.insert("runId".into(), Value::from(run_id.clone()));
    for key in ["supervisorId", "limit", "after_seq"] {
        if let Some(v) = member(&args, key) {
            events_args.insert(key.into(), v.clone());
        }
    }
    let events = events_tool(events_args).await?;
    let mut reducer = RunReducer::new(None, None);
    for event in events
        .get("events")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        reducer.apply(event);
    }
    let snapshot = match reducer.snapshot() {
        Value::Object(m) => overlay(m, &status),
        _ => Map::new(),
    };
    let mut out = json!({
        "run_id": status.get("run_id").cloned().unwrap_or(Value::from(run_id.clone())),
        "label": status.get("label").cloned().unwrap_or(Value::from(run_id)),
        "status": Value::Object(status.clone()),
    });
    for key in ["transcript", "tools", "live_tools", "permissions"] {
        out[key] = snapshot.get(key).cloned().unwrap_or(json!([]));
    }
    if let Some(p) = snapshot.get("pending_permission") {
        out["pending_permission"] = p.clone();
    }
    if let Some(f) = snapshot.get("final_output") {
        out["final_output"] = f.clone();
    }
    out["snapshot"] = Value::Object(snapshot);
    Ok(out)
}
