//! `Supervisor.spawn(params, runId, metadata)` (core-spec §5.4): validate the
//! selector, create the run's artefact paths, send `spawn`, and register the
//! resulting `RunInfo` under its public id and label.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::Supervisor;
use crate::error::CoreResult;
use crate::policy::spawn_selection::validate_spawn_selection;
use crate::runs::paths::{ensure_run_paths, path_str};
use crate::runs::RunInfo;

/// Identity a caller already resolved (follow-ups pass the original run's).
#[derive(Debug, Clone, Default)]
pub struct SpawnMetadata {
    pub roster_file: Option<String>,
    pub roster_entry: Option<String>,
    pub effective_agent: Option<String>,
    pub effective_model: Option<String>,
    pub effective_backend: Option<String>,
}

const SELECTOR_FIELDS: [&str; 5] = ["agent", "model", "backend", "roster_file", "roster_entry"];

/// The selector part of spawn params (present keys only).
pub fn selector_of(params: &Map<String, Value>) -> Value {
    let mut sel = Map::new();
    for k in SELECTOR_FIELDS {
        if let Some(v) = params.get(k) {
            sel.insert(k.into(), v.clone());
        }
    }
    Value::Object(sel)
}

/// `a ?? b ?? …` over optional JSON members, as a string, `""` treated as absent
/// afterwards (RunInfo keeps non-empty strings only).
fn first_defined(candidates: &[Option<&Value>]) -> Option<String> {
    let v = candidates.iter().flatten().find(|v| !v.is_null())?;
    v.as_str().filter(|s| !s.is_empty()).map(str::to_string)
}

fn str_member<'a>(m: &'a Map<String, Value>, k: &str) -> Option<&'a Value> {
    m.get(k)
}

pub async fn spawn_run(
    sup: &Arc<Supervisor>,
    mut params: Map<String, Value>,
    run_id: String,
    metadata: Option<SpawnMetadata>,
) -> CoreResult<RunInfo> {
    let workflow_mode = ["loop_file", "team_file"]
        .iter()
        .any(|k| params.get(*k).is_some_and(Value::is_string));
    if !workflow_mode {
        validate_spawn_selection(&selector_of(&params), None)?;
    }
    let client = sup.get_client()?;
    let paths = ensure_run_paths(&run_id)?;
    let label = match params.get("label") {
        Some(Value::String(l)) => l.clone(),
        _ => run_id.clone(),
    };
    params.insert("label".into(), Value::from(label.clone()));
    params.insert(
        "sentinel_file".into(),
        Value::from(path_str(&paths.sentinel)),
    );
    params.insert("on_event".into(), Value::from(path_str(&paths.event_log)));
    let roster_mode = params
        .get("roster_entry")
        .is_some_and(crate::jsval::is_truthy);
    if roster_mode {
        for k in ["agent", "model", "backend"] {
            if params.get(k).and_then(Value::as_str) == Some("") {
                params.remove(k);
            }
        }
    }
    let mut reply = match client
        .call("spawn", Some(Value::Object(params.clone())))
        .await?
    {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    if roster_mode && !has_identity(&reply) {
        if let Some(rt) = reply
            .get("runtime_id")
            .and_then(Value::as_str)
            .map(str::to_string)
        {
            if let Ok(Some(Value::Object(live))) = client
                .call("status", Some(serde_json::json!({ "runtime_id": rt })))
                .await
            {
                reply.extend(live);
            }
        }
    }
    let info = run_info(
        &run_id,
        label,
        &params,
        &reply,
        metadata.unwrap_or_default(),
        &paths,
    );
    sup.runs
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .register(info.clone());
    Ok(info)
}

/// A non-empty backend and a non-empty agent or model.
fn has_identity(reply: &Map<String, Value>) -> bool {
    let s = |k: &str| {
        reply
            .get(k)
            .and_then(Value::as_str)
            .is_some_and(|v| !v.is_empty())
    };
    (s("effective_backend") || s("backend"))
        && (s("effective_agent") || s("agent") || s("effective_model") || s("model"))
}

fn run_info(
    run_id: &str,
    label: String,
    params: &Map<String, Value>,
    reply: &Map<String, Value>,
    meta: SpawnMetadata,
    paths: &crate::runs::paths::RunPaths,
) -> RunInfo {
    let meta_v = |s: &Option<String>| s.clone().map(Value::from);
    let effective = |meta: Option<Value>, field: &str| {
        first_defined(&[
            meta.as_ref(),
            str_member(reply, &format!("effective_{field}")),
            str_member(reply, field),
            str_member(params, field),
        ])
    };
    let agent = effective(meta_v(&meta.effective_agent), "agent");
    let model = effective(meta_v(&meta.effective_model), "model");
    let backend = effective(meta_v(&meta.effective_backend), "backend");
    let roster = |meta: Option<Value>, field: &str| {
        first_defined(&[
            meta.as_ref(),
            str_member(reply, field),
            str_member(params, field),
        ])
    };
    let reply_str = |k: &str| first_defined(&[str_member(reply, k)]);
    RunInfo {
        run_id: run_id.to_string(),
        label,
        sentinel_path: reply_str("sentinel_file").unwrap_or_else(|| path_str(&paths.sentinel)),
        event_log_path: reply_str("on_event").unwrap_or_else(|| path_str(&paths.event_log)),
        runtime_id: reply_str("runtime_id"),
        session_id: reply_str("session_id"),
        agent: agent.clone(),
        agent_profile: first_defined(&[
            str_member(reply, "agent_profile"),
            str_member(params, "agent_profile"),
        ]),
        backend: backend.clone(),
        model: model.clone(),
        effective_agent: agent,
        effective_model: model,
        effective_backend: backend,
        roster_file: roster(meta_v(&meta.roster_file), "roster_file"),
        roster_entry: roster(meta_v(&meta.roster_entry), "roster_entry"),
        thinking: first_defined(&[str_member(params, "thinking")]),
        dir: first_defined(&[str_member(params, "dir")]),
        broker_url: reply_str("broker_url"),
        parent_token: reply_str("parent_token"),
        auto_approve: params.get("auto_approve").and_then(Value::as_bool),
    }
}
