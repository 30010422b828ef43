//! `spawnTool(args)` [LATE] (core-spec §7.3).

use serde_json::{json, Map, Value};

use super::args::{member, new_run_id, string, supervisor_id, text, Args};
use super::supervisor_client::{get_supervisor_client, singleton_supervisor};
use crate::error::CoreResult;
use crate::jsval::is_truthy_opt;
use crate::policy::spawn_selection::validate_spawn_selection;
use crate::policy::validate::validate_timeout;
use crate::runs::external::persist_external_run;
use crate::runs::paths::{ensure_run_paths, path_str};
use crate::runs::RunInfo;
use crate::supervisor::run_spawn::spawn_run;

const SELECTOR_ARGS: [(&str, &str); 5] = [
    ("agent", "agent"),
    ("model", "model"),
    ("backend", "backend"),
    ("rosterFile", "roster_file"),
    ("rosterEntry", "roster_entry"),
];

/// The daemon `spawn` params of §7.3 step 3, in the original's key order
/// (selector and timeout validated first, so nothing is sent for bad input).
fn base_params(args: &Args, label: &str) -> CoreResult<Map<String, Value>> {
    let mut selector = Map::new();
    for (arg, key) in SELECTOR_ARGS {
        if let Some(v) = member(args, arg) {
            selector.insert(key.into(), v.clone());
        }
    }
    validate_spawn_selection(&Value::Object(selector), None)?;
    let timeout = text(args, "timeout")
        .map(|t| validate_timeout(&t))
        .transpose()?;

    let mut p = Map::new();
    let forward = |p: &mut Map<String, Value>, arg: &str, key: &str| {
        if let Some(v) = member(args, arg) {
            p.insert(key.into(), v.clone());
        }
    };
    forward(&mut p, "prompt", "prompt");
    forward(&mut p, "promptFile", "prompt_file");
    p.insert("label".into(), Value::from(label));
    forward(&mut p, "dir", "dir");
    if let Some(t) = timeout {
        p.insert("timeout".into(), Value::from(t));
    }
    for (arg, key) in [
        ("model", "model"),
        ("agentProfile", "agent_profile"),
        ("backend", "backend"),
        ("serverUrl", "server_url"),
        ("sessionId", "session_id"),
        ("parent_run_id", "parent_run_id"),
    ] {
        forward(&mut p, arg, key);
    }
    // Roster selectors and the agent only when truthy: an empty agent is never sent.
    for (arg, key) in [
        ("rosterFile", "roster_file"),
        ("rosterEntry", "roster_entry"),
        ("agent", "agent"),
    ] {
        if is_truthy_opt(args.get(arg)) {
            p.insert(key.into(), args[arg].clone());
        }
    }
    forward(&mut p, "thinking", "thinking");
    Ok(p)
}

/// `{ run_id, label, supervisor_id, runtime_id?, broker_url?, parent_token? }`.
fn result(info: &RunInfo, supervisor_id: &str) -> Value {
    let mut out = Map::new();
    out.insert("run_id".into(), json!(info.run_id));
    out.insert("label".into(), json!(info.label));
    out.insert("supervisor_id".into(), json!(supervisor_id));
    for (key, value) in [
        ("runtime_id", &info.runtime_id),
        ("broker_url", &info.broker_url),
        ("parent_token", &info.parent_token),
    ] {
        if let Some(v) = value {
            out.insert(key.into(), json!(v));
        }
    }
    Value::Object(out)
}

pub async fn spawn_tool(args: Args) -> CoreResult<Value> {
    let run_id = new_run_id();
    let label = string(&args, "label").unwrap_or_else(|| run_id.clone());
    let params = base_params(&args, &label)?;
    let Some(id) = supervisor_id(&args) else {
        let sup = singleton_supervisor().await?;
        let info = spawn_run(&sup, params, run_id, None).await?;
        return Ok(result(&info, sup.supervisor_id()));
    };
    let target = get_supervisor_client(Some(&id)).await?;
    if let Some(sup) = &target.sup {
        let info = spawn_run(sup, params, run_id, None).await?;
        return Ok(result(&info, &target.supervisor_id));
    }
    let outcome = spawn_external(
        &target.client,
        params,
        &run_id,
        &label,
        &target.supervisor_id,
    )
    .await;
    target.finish().await;
    Ok(result(&outcome?, &target.supervisor_id))
}

/// Spawns on another supervisor's daemon and persists the run as `run.json`.
pub async fn spawn_external(
    client: &crate::client::ControlClient,
    mut params: Map<String, Value>,
    run_id: &str,
    label: &str,
    supervisor_id: &str,
) -> CoreResult<RunInfo> {
    let paths = ensure_run_paths(run_id)?;
    params.insert(
        "sentinel_file".into(),
        Value::from(path_str(&paths.sentinel)),
    );
    params.insert("on_event".into(), Value::from(path_str(&paths.event_log)));
    let reply = match client
        .call("spawn", Some(Value::Object(params.clone())))
        .await?
    {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    let s = |m: &Map<String, Value>, k: &str| {
        m.get(k)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let identity = |field: &str| {
        s(&reply, &format!("effective_{field}"))
            .or_else(|| s(&reply, field))
            .or_else(|| s(&params, field))
    };
    let info = RunInfo {
        run_id: run_id.to_string(),
        label: label.to_string(),
        sentinel_path: path_str(&paths.sentinel),
        event_log_path: path_str(&paths.event_log),
        runtime_id: s(&reply, "runtime_id"),
        session_id: s(&reply, "session_id"),
        agent: identity("agent"),
        model: identity("model"),
        backend: identity("backend"),
        effective_agent: identity("agent"),
        effective_model: identity("model"),
        effective_backend: identity("backend"),
        agent_profile: s(&reply, "agent_profile").or_else(|| s(&params, "agent_profile")),
        roster_file: s(&params, "roster_file"),
        roster_entry: s(&params, "roster_entry"),
        thinking: s(&params, "thinking"),
        dir: s(&params, "dir"),
        broker_url: s(&reply, "broker_url"),
        parent_token: s(&reply, "parent_token"),
        auto_approve: params.get("auto_approve").and_then(Value::as_bool),
    };
    persist_external_run(&info, supervisor_id)?;
    Ok(info)
}
