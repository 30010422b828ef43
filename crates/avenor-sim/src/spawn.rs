//! `spawn` (§2.3): Go-style parameter decoding, validation in the daemon's order, artefact
//! files, and starting the runtime's task.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::events::{EventLog, Stamp};
use crate::lifecycle;
use crate::permission;
use crate::rpc::RpcError;
use crate::runtime::{Runtime, RuntimeInfo};
use crate::sup::Sup;
use crate::util;

const BACKENDS: &[&str] = &[
    "opencode-acp",
    "opencode-http",
    "codex-app-server",
    "gemini-acp",
    "cursor-acp",
    "pi",
    "pony",
];
const THINKING: &[&str] = &["off", "minimal", "low", "medium", "high", "xhigh", "max"];

/// Typed access to the params object with encoding/json's error texts.
struct Params<'a> {
    obj: Option<&'a Map<String, Value>>,
}

fn json_kind(v: &Value) -> String {
    match v {
        Value::String(_) => "string".into(),
        Value::Number(n) => format!("number {n}"),
        Value::Bool(_) => "bool".into(),
        Value::Array(_) => "array".into(),
        Value::Object(_) => "object".into(),
        Value::Null => "null".into(),
    }
}

fn type_error(key: &str, v: &Value, go_type: &str) -> RpcError {
    let kind = match v {
        // Go names only the kind for strings/bools/containers, the literal for numbers.
        Value::Number(_) => json_kind(v),
        _ => json_kind(v)
            .split(' ')
            .next()
            .unwrap_or("value")
            .to_string(),
    };
    RpcError::handler(format!(
        "invalid spawn params: json: cannot unmarshal {kind} into Go struct field SpawnParams.{key} of type {go_type}"
    ))
}

impl Params<'_> {
    fn str(&self, key: &str) -> Result<String, RpcError> {
        match self.obj.and_then(|o| o.get(key)) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(v) => Err(type_error(key, v, "string")),
        }
    }

    fn bool(&self, key: &str) -> Result<bool, RpcError> {
        match self.obj.and_then(|o| o.get(key)) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => Err(type_error(key, v, "bool")),
        }
    }

    fn int(&self, key: &str) -> Result<i64, RpcError> {
        match self.obj.and_then(|o| o.get(key)) {
            None | Some(Value::Null) => Ok(0),
            Some(Value::Number(n)) => n.as_i64().ok_or_else(|| {
                RpcError::handler(format!(
                    "invalid spawn params: json: cannot unmarshal number {n} into Go struct field SpawnParams.{key} of type int"
                ))
            }),
            Some(v) => Err(type_error(key, v, "int")),
        }
    }
}

/// Everything the daemon reads from spawn params.
struct SpawnParams {
    prompt: String,
    prompt_file: String,
    loop_file: String,
    team_file: String,
    roster_file: String,
    roster_entry: String,
    dir: String,
    backend: String,
    agent: String,
    model: String,
    thinking: String,
    agent_profile: String,
    label: String,
    on_event: String,
    sentinel_file: String,
    permission_handler: String,
    auto_approve: bool,
    timeout: i64,
    max_retries: i64,
    session_id: String,
    parent_id: String,
}

fn decode(params: &Value) -> Result<SpawnParams, RpcError> {
    let obj = match params {
        Value::Null => None,
        Value::Object(o) => Some(o),
        other => {
            return Err(RpcError::handler(format!(
                "invalid spawn params: json: cannot unmarshal {} into Go value of type stable.SpawnParams",
                json_kind(other).split(' ').next().unwrap_or("value")
            )))
        }
    };
    let p = Params { obj };
    Ok(SpawnParams {
        prompt: p.str("prompt")?,
        prompt_file: p.str("prompt_file")?,
        dir: p.str("dir")?,
        backend: p.str("backend")?,
        agent: p.str("agent")?,
        model: p.str("model")?,
        thinking: p.str("thinking")?,
        agent_profile: p.str("agent_profile")?,
        label: p.str("label")?,
        on_event: p.str("on_event")?,
        sentinel_file: p.str("sentinel_file")?,
        permission_handler: p.str("permission_handler")?,
        auto_approve: p.bool("auto_approve")?,
        timeout: p.int("timeout")?,
        max_retries: p.int("max_retries")?,
        session_id: p.str("session_id")?,
        loop_file: p.str("loop_file")?,
        team_file: p.str("team_file")?,
        roster_file: p.str("roster_file")?,
        roster_entry: p.str("roster_entry")?,
        parent_id: p.str("parent_id")?,
    })
}

fn create_parent(path: &Path) -> Result<(), RpcError> {
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(dir) => util::mkdir_private(dir).map_err(|e| {
            RpcError::handler(format!(
                "create artifact dir: mkdir {}: {}",
                dir.display(),
                util::go_err_text(&e)
            ))
        }),
        None => Ok(()),
    }
}

pub fn spawn(sup: &Arc<Sup>, params: &Value) -> Result<Value, RpcError> {
    let p = decode(params)?;
    if p.prompt.is_empty()
        && p.prompt_file.is_empty()
        && p.loop_file.is_empty()
        && p.team_file.is_empty()
    {
        return Err(RpcError::handler(
            "prompt, prompt_file, loop_file, or team_file is required",
        ));
    }
    if !p.loop_file.is_empty() && !p.team_file.is_empty() {
        return Err(RpcError::handler(
            "loop_file and team_file are mutually exclusive",
        ));
    }
    if !p.roster_entry.is_empty() && (!p.loop_file.is_empty() || !p.team_file.is_empty()) {
        return Err(RpcError::handler(
            "roster_entry is not valid with loop_file or team_file",
        ));
    }
    if !p.loop_file.is_empty() || !p.team_file.is_empty() {
        return Err(RpcError::handler(
            "avenor-sim: loop_file and team_file are not supported by the simulator",
        ));
    }
    if !p.roster_file.is_empty() || !p.roster_entry.is_empty() {
        return Err(RpcError::handler(
            "avenor-sim: roster selection is not supported by the simulator",
        ));
    }
    if !p.thinking.is_empty() && !THINKING.contains(&p.thinking.as_str()) {
        return Err(RpcError::handler(format!(
            "invalid thinking level {:?}: want one of {}",
            p.thinking,
            THINKING.join(", ")
        )));
    }
    let n = sup.reserve_runtime_number()?;
    let rt_id = format!("rt_{n}");

    let prompt = if !p.prompt.is_empty() {
        p.prompt.clone()
    } else {
        std::fs::read_to_string(&p.prompt_file).map_err(|e| {
            RpcError::handler(format!(
                "read prompt file: open {}: {}",
                p.prompt_file,
                util::go_err_text(&e)
            ))
        })?
    };
    let artifact_dir = std::env::temp_dir()
        .join("avenor-stable")
        .join(&*sup.run_id)
        .join(&rt_id);
    let on_event = if p.on_event.is_empty() {
        artifact_dir.join("events.ndjson")
    } else {
        PathBuf::from(&p.on_event)
    };
    let sentinel_file = if p.sentinel_file.is_empty() {
        artifact_dir.join("sentinel.env")
    } else {
        PathBuf::from(&p.sentinel_file)
    };
    create_parent(&on_event)?;
    create_parent(&sentinel_file)?;
    let on_event_s = on_event.to_string_lossy().into_owned();
    let sentinel_s = sentinel_file.to_string_lossy().into_owned();
    let session_id = if p.session_id.is_empty() {
        format!("ses_{n}")
    } else {
        p.session_id.clone()
    };
    let events = EventLog::create(
        &on_event,
        Stamp {
            runtime_id: rt_id.as_str().into(),
            run_id: sup.run_id.clone(),
            session_id: session_id.clone(),
            label: p.label.clone(),
        },
    )
    .map_err(|e| {
        RpcError::handler(format!(
            "open event stream: open {on_event_s}: {}",
            util::go_err_text(&e)
        ))
    })?;
    let perm_base = permission::derive_base(&sentinel_s, Some(&p.permission_handler))
        .map_err(RpcError::handler)?;
    let backend = if p.backend.is_empty() {
        "opencode-acp".to_string()
    } else {
        p.backend.clone()
    };
    if !BACKENDS.contains(&backend.as_str()) {
        return Err(RpcError::handler(format!(
            "create provider: unknown backend {backend:?}"
        )));
    }
    // A `runtime_id` naming an existing runtime makes it the parent.
    let parent_id = if p.parent_id.is_empty() {
        crate::rpc::runtime_id(params)
            .and_then(|id| sup.runtime(id))
            .map(|r| r.id.clone())
            .unwrap_or_default()
    } else {
        p.parent_id.clone()
    };
    let info = RuntimeInfo {
        label: p.label.clone(),
        agent: p.agent.clone(),
        agent_profile: p.agent_profile.clone(),
        model: p.model.clone(),
        thinking: p.thinking.clone(),
        backend: backend.clone(),
        dir: if p.dir.is_empty() {
            ".".into()
        } else {
            p.dir.clone()
        },
        on_event: on_event_s.clone(),
        sentinel_file: sentinel_s.clone(),
        perm_base,
        parent_id: parent_id.clone(),
        auto_approve: p.auto_approve,
        max_retries: p.max_retries.clamp(0, u32::MAX as i64) as u32,
        session_id: session_id.clone(),
        started_at: util::now_ms(),
    };
    let timeout = (p.timeout > 0).then(|| Duration::from_secs(p.timeout as u64));
    let rt = Arc::new(Runtime::new(
        n,
        sup.run_id.clone(),
        info,
        events,
        sup.hub.clone(),
        sup.broker.clone(),
        timeout,
    ));
    sup.insert_runtime(rt.clone())?;
    if let Some(parent) = sup.runtime(&parent_id) {
        parent.state().children.push(rt.id.clone());
    }
    lifecycle::start(rt.clone(), sup.conn_watch(), sup.cfg.parked_timeout, prompt);
    sup.spawned.notify_one();

    let mut out = Map::new();
    out.insert("runtime_id".into(), Value::from(rt.id.as_str()));
    out.insert("session_id".into(), Value::from(session_id));
    out.insert("on_event".into(), Value::from(on_event_s));
    out.insert("sentinel_file".into(), Value::from(sentinel_s));
    // No broker runs in the sim; port 0 says so while keeping the field's shape.
    out.insert("broker_url".into(), "http://127.0.0.1:0".into());
    for (key, val) in [
        ("agent", &p.agent),
        ("agent_profile", &p.agent_profile),
        ("model", &p.model),
        ("backend", &backend),
        ("effective_agent", &p.agent),
        ("effective_model", &p.model),
        ("effective_backend", &backend),
    ] {
        if !val.is_empty() {
            out.insert(key.into(), Value::from(val.as_str()));
        }
    }
    Ok(Value::Object(out))
}
