//! `followUpTool(args)` [LATE] (core-spec §10.2): resume a run's backend session
//! with a new prompt, as a new public run with the original's identity.

use serde_json::{json, Map, Value};

use super::args::{new_run_id, string, supervisor_id, text, Args};
use super::resolve::{find_run, live_status};
use super::spawn::spawn_external;
use super::supervisor_client::{get_supervisor_client, SupervisorClient};
use crate::error::{CoreError, CoreResult};
use crate::policy::validate::validate_run_id;
use crate::runs::paths::run_paths;
use crate::runs::sentinel::{read_sentinel, sentinel_str, Sentinel};
use crate::runs::RunInfo;
use crate::status::identity::{live_identity, live_string, stored_identity};
use crate::supervisor::run_spawn::{spawn_run, SpawnMetadata};

pub const NO_SESSION: &str = "run has no session to resume";
pub const CONFLICT: &str = "run is not resumable: session_id_conflict";

fn non_empty(s: Option<&str>) -> Option<String> {
    s.filter(|v| !v.is_empty()).map(str::to_string)
}

fn check_resumable(
    sentinel: Option<&Sentinel>,
    live: Option<&Map<String, Value>>,
) -> CoreResult<()> {
    let from_sentinel = sentinel.and_then(|s| sentinel_str(s, "STOP_REASON"));
    let from_live = live
        .and_then(|l| l.get("stop_reason"))
        .and_then(Value::as_str);
    if from_sentinel == Some("session_id_conflict") || from_live == Some("session_id_conflict") {
        return Err(CoreError::plain(CONFLICT));
    }
    Ok(())
}

/// The follow-up's spawn params (no roster selectors) and its roster metadata.
fn follow_up_params(
    message: Value,
    label: &str,
    session: &str,
    live: Option<&Map<String, Value>>,
    stored: Option<&RunInfo>,
) -> (Map<String, Value>, SpawnMetadata) {
    let empty = Map::new();
    let live_map = live.unwrap_or(&empty);
    let identity = |field: &str| -> Option<String> {
        match live_identity(live_map, field) {
            Some(v) => non_empty(v),
            None => stored.and_then(|s| non_empty(stored_identity(s, field))),
        }
    };
    let live_or_stored = |key: &str, stored_value: Option<&String>| -> Option<String> {
        non_empty(live_map.get(key).and_then(Value::as_str)).or_else(|| stored_value.cloned())
    };
    let agent = identity("agent");
    let model = identity("model");
    let backend = identity("backend");
    let mut p = Map::new();
    p.insert("prompt".into(), message);
    p.insert("label".into(), Value::from(label));
    p.insert("session_id".into(), Value::from(session));
    let optional = [
        ("agent", agent.clone()),
        ("backend", backend.clone()),
        ("model", model.clone()),
        (
            "thinking",
            live_or_stored("thinking", stored.and_then(|s| s.thinking.as_ref())),
        ),
        (
            "dir",
            live_or_stored("dir", stored.and_then(|s| s.dir.as_ref())),
        ),
        (
            "agent_profile",
            live_or_stored(
                "agent_profile",
                stored.and_then(|s| s.agent_profile.as_ref()),
            ),
        ),
    ];
    for (key, value) in optional {
        if let Some(v) = value {
            p.insert(key.into(), Value::from(v));
        }
    }
    let auto_approve = match live_map.get("auto_approve") {
        Some(Value::Bool(b)) => *b,
        _ => stored.and_then(|s| s.auto_approve) == Some(true),
    };
    if auto_approve {
        p.insert("auto_approve".into(), Value::Bool(true));
    }
    let roster = |key: &str, stored_value: Option<&String>| match live_string(live_map, key) {
        Some(v) => non_empty(v),
        None => stored_value.cloned(),
    };
    let meta = SpawnMetadata {
        roster_file: roster("roster_file", stored.and_then(|s| s.roster_file.as_ref())),
        roster_entry: roster("roster_entry", stored.and_then(|s| s.roster_entry.as_ref())),
        effective_agent: agent,
        effective_model: model,
        effective_backend: backend,
    };
    (p, meta)
}

fn result(run_id: &str, label: &str, runtime_id: Option<&String>) -> Value {
    let mut out = json!({ "run_id": run_id, "label": label });
    if let Some(rt) = runtime_id {
        out["runtime_id"] = Value::from(rt.as_str());
    }
    out
}

async fn with_explicit_supervisor(
    target: &SupervisorClient,
    args: &Args,
    run_id: &str,
) -> CoreResult<Value> {
    validate_run_id(run_id)?;
    let info = find_run(target, run_id);
    let runtime_id = info
        .as_ref()
        .and_then(|i| i.runtime_id.clone())
        .unwrap_or_else(|| run_id.to_string());
    let live = live_status(&target.client, &runtime_id).await;
    let sentinel_path = live
        .as_ref()
        .and_then(|l| l.get("sentinel_file"))
        .and_then(Value::as_str)
        .map(std::path::PathBuf::from)
        .or_else(|| info.as_ref().map(|i| i.sentinel_path.clone().into()))
        .unwrap_or_else(|| run_paths(run_id).sentinel);
    let sentinel = read_sentinel(&sentinel_path);
    check_resumable(sentinel.as_ref(), live.as_ref())?;
    let session = sentinel
        .as_ref()
        .and_then(|s| non_empty(sentinel_str(s, "SESSION")))
        .or_else(|| {
            non_empty(
                live.as_ref()
                    .and_then(|l| l.get("session_id"))
                    .and_then(Value::as_str),
            )
        })
        .or_else(|| info.as_ref().and_then(|i| i.session_id.clone()))
        .ok_or_else(|| CoreError::plain(NO_SESSION))?;
    let new_id = new_run_id();
    let label = string(args, "label").unwrap_or_else(|| format!("{run_id}-followup"));
    let message = args.get("message").cloned().unwrap_or(Value::Null);
    let (params, meta) = follow_up_params(message, &label, &session, live.as_ref(), info.as_ref());
    let spawned = match &target.sup {
        Some(sup) => spawn_run(sup, params, new_id, Some(meta)).await?,
        None => {
            spawn_external(
                &target.client,
                params,
                &new_id,
                &label,
                &target.supervisor_id,
            )
            .await?
        }
    };
    Ok(result(
        &spawned.run_id,
        &spawned.label,
        spawned.runtime_id.as_ref(),
    ))
}

async fn with_singleton(target: &SupervisorClient, args: &Args, run_id: &str) -> CoreResult<Value> {
    let sup = target.sup.as_ref().expect("singleton target");
    let info = find_run(target, run_id)
        .ok_or_else(|| CoreError::plain(format!("run not found: {run_id}")))?;
    let sentinel = read_sentinel(std::path::Path::new(&info.sentinel_path));
    check_resumable(sentinel.as_ref(), None)?;
    let session = sentinel
        .as_ref()
        .and_then(|s| non_empty(sentinel_str(s, "SESSION")))
        .or_else(|| info.session_id.clone())
        .ok_or_else(|| CoreError::plain(NO_SESSION))?;
    let live = match &info.runtime_id {
        Some(rt) => live_status(&target.client, rt).await,
        None => None,
    };
    check_resumable(None, live.as_ref())?;
    let label = string(args, "label").unwrap_or_else(|| format!("{}-followup", info.label));
    let message = args.get("message").cloned().unwrap_or(Value::Null);
    let (params, meta) = follow_up_params(message, &label, &session, live.as_ref(), Some(&info));
    let spawned = spawn_run(sup, params, new_run_id(), Some(meta)).await?;
    Ok(result(
        &spawned.run_id,
        &spawned.label,
        spawned.runtime_id.as_ref(),
    ))
}

pub async fn follow_up_tool(args: Args) -> CoreResult<Value> {
    let run_id = text(&args, "runId").unwrap_or_default();
    let explicit = supervisor_id(&args);
    let target = get_supervisor_client(explicit.as_deref()).await?;
    let outcome = if explicit.is_some() {
        with_explicit_supervisor(&target, &args, &run_id).await
    } else {
        with_singleton(&target, &args, &run_id).await
    };
    target.finish().await;
    outcome
}
