//! Method table (§2): routes a decoded request to its handler. Ownership is checked here
//! for the mutating methods, in the order §2.1 describes.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::conn_state::Conn;
use crate::events::PREVIEW_CODE_POINTS;
use crate::params::int_param;
use crate::permission;
use crate::rpc::{self, RpcError};
use crate::runtime::Runtime;
use crate::subscription::Subscription;
use crate::sup::Sup;
use crate::util;

pub async fn dispatch(
    sup: &Arc<Sup>,
    conn: &Arc<Conn>,
    method: &str,
    params: &Value,
) -> Result<Value, RpcError> {
    match method {
        "status" => status(sup, params),
        "list" => Ok(Value::Array(
            sup.shuffled_runtimes().iter().map(|r| r.entry()).collect(),
        )),
        "result" => result(sup, params),
        "history" => history(sup, params),
        "subscribe" => subscribe(sup, conn, params),
        "identity" => Ok(json!({ "token": sup.identity_token })),
        "wait_turn" => wait_turn(sup, params).await,
        "tree_budget" => Ok(json!({
            "active": sup.active_count(),
            "capacity": sup.cfg.max_tree_budget,
            "root_id": &*sup.run_id,
            "mode": "active",
        })),
        "wait_for_capacity" => wait_for_capacity(sup, params).await,
        "spawn" => {
            sup.claim_owner(conn.id)?;
            crate::spawn::spawn(sup, params)
        }
        "shutdown" => shutdown(sup, conn, params).await,
        "cancel" => {
            let rt = scoped(sup, conn, params)?;
            if let Some(rt) = rt {
                rt.cancel();
            }
            Ok(json!({ "ok": true }))
        }
        "prompt" => {
            let Some(rt_id) = rpc::runtime_id(params) else {
                // Unscoped form in stable mode: claims ownership, does nothing.
                sup.claim_owner(conn.id)?;
                return Ok(json!({ "accepted": true }));
            };
            sup.claim_owner(conn.id)?;
            let text = required_text(params)?;
            let rt = sup
                .runtime(rt_id)
                .ok_or_else(|| RpcError::not_found(rt_id))?;
            let request_id = params.get("request_id").and_then(Value::as_str);
            rt.enqueue(&text, request_id)?;
            Ok(json!({ "accepted": true }))
        }
        "interrupt_and_prompt" => {
            let Some(rt_id) = rpc::runtime_id(params) else {
                sup.claim_owner(conn.id)?;
                return Ok(json!({ "accepted": true }));
            };
            sup.claim_owner(conn.id)?;
            let text = required_text(params)?;
            let keep_queue = params
                .get("keep_queue")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let rt = sup
                .runtime(rt_id)
                .ok_or_else(|| RpcError::not_found(rt_id))?;
            rt.interrupt(&text, keep_queue)?;
            Ok(json!({ "accepted": true }))
        }
        "answer_permission" => answer_permission(sup, conn, params),
        m if m.starts_with("broker_") => {
            crate::broker_methods::dispatch(sup, conn, m, params).await
        }
        m if m.starts_with("workflow.") => crate::workflow::dispatch(sup, m, params).await,
        _ => Err(RpcError::new(rpc::METHOD_NOT_FOUND, "method not found")),
    }
}

/// Runtime-scoped mutating call: owner check, then lookup. `None` = unscoped form.
fn scoped(sup: &Sup, conn: &Conn, params: &Value) -> Result<Option<Arc<Runtime>>, RpcError> {
    sup.claim_owner(conn.id)?;
    match rpc::runtime_id(params) {
        None => Ok(None),
        Some(id) => sup
            .runtime(id)
            .map(Some)
            .ok_or_else(|| RpcError::not_found(id)),
    }
}

fn required_text(params: &Value) -> Result<String, RpcError> {
    match params.get("text").and_then(Value::as_str) {
        Some(t) if !t.is_empty() => Ok(t.to_string()),
        _ => Err(RpcError::required(&["text"])),
    }
}

fn clamp_limit(limit: i64) -> usize {
    if limit <= 0 {
        64
    } else {
        limit.min(256) as usize
    }
}

fn status(sup: &Sup, params: &Value) -> Result<Value, RpcError> {
    if let Some(id) = rpc::runtime_id(params) {
        let rt = sup.runtime(id).ok_or_else(|| RpcError::not_found(id))?;
        return Ok(rt.entry());
    }
    // Supervisor-wide snapshot (one-shot shape), mixing all runtimes' latest state.
    let mut m = Map::new();
    m.insert("run_id".into(), Value::from(&*sup.run_id));
    m.insert("started_at".into(), Value::from(sup.started_at));
    let mut updated = sup.started_at;
    let mut pending = false;
    for rt in sup.all_runtimes() {
        let st = rt.state();
        if let Some(p) = &st.pending {
            pending = true;
            m.insert("permission".into(), Value::Object(p.object.clone()));
        }
        if !st.final_output.is_empty() {
            let (head, cut) = util::preview(&st.final_output, PREVIEW_CODE_POINTS);
            m.insert("final_output".into(), Value::from(head));
            if cut {
                m.insert("final_output_truncated".into(), Value::Bool(true));
            }
        }
        if !st.phase.is_empty() {
            m.insert("phase".into(), Value::from(st.phase.as_str()));
            if !st.phase_label.is_empty() {
                m.insert("phase_label".into(), Value::from(st.phase_label.as_str()));
            }
        }
    }
    if let Some(last) = sup.hub.last_event() {
        let ev = last.value();
        updated = updated.max(ev.get("ts").and_then(Value::as_u64).unwrap_or(0));
        if let Some(name) = ev.get("event") {
            m.insert("last_event".into(), name.clone());
        }
        m.insert("latest_seq".into(), Value::from(last.seq));
        if let Some(s) = ev.get("session_id") {
            m.insert("session_id".into(), s.clone());
        }
    }
    m.insert("pending_permission".into(), Value::Bool(pending));
    m.insert("updated_at".into(), Value::from(updated));
    Ok(Value::Object(m))
}

fn result(sup: &Sup, params: &Value) -> Result<Value, RpcError> {
    let Some(id) = rpc::runtime_id(params) else {
        return Ok(json!({ "final_output": "" }));
    };
    let rt = sup.runtime(id).ok_or_else(|| RpcError::not_found(id))?;
    let text = rt.state().final_output.clone();
    Ok(json!({ "final_output": text }))
}

fn history(sup: &Sup, params: &Value) -> Result<Value, RpcError> {
    let Some(id) = rpc::runtime_id(params) else {
        return Err(RpcError::required(&["runtime_id"]));
    };
    let limit = clamp_limit(int_param(params, "limit")?);
    let after = int_param(params, "after_seq")?.max(0) as u64;
    let (events, latest) = match sup.runtime(id) {
        Some(rt) => (
            rt.events
                .window(after, limit)
                .iter()
                .map(|e| e.value())
                .collect(),
            rt.events.latest_seq(),
        ),
        None => (Vec::new(), 0),
    };
    Ok(json!({ "runtime_id": id, "events": events, "latest_seq": latest }))
}

fn subscribe(sup: &Sup, conn: &Arc<Conn>, params: &Value) -> Result<Value, RpcError> {
    let filter = rpc::runtime_id(params).map(str::to_string);
    let replay = match params.get("replay") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(RpcError::detail(
                "json: cannot unmarshal replay into Go struct field of type bool",
            ))
        }
    };
    let limit = clamp_limit(int_param(params, "limit")?);
    let after = int_param(params, "after_seq")?.max(0) as u64;
    if (replay || after > 0) && filter.is_none() {
        return Err(RpcError::required(&["runtime_id"]));
    }
    let rt = filter.as_deref().and_then(|id| sup.runtime(id));
    let sub = match (&rt, replay || after > 0) {
        // Replay and registration happen under the runtime's event lock: no gap, no dup.
        (Some(rt), true) => rt.events.with_replay(after, limit, |events| {
            let sub = Subscription::new(filter.clone(), events);
            sup.hub.add(sub.clone());
            sub
        }),
        _ => {
            let sub = Subscription::new(filter.clone(), Vec::new());
            sup.hub.add(sub.clone());
            sub
        }
    };
    sub.spawn_writer(conn.writer.clone());
    conn.add_subscription(sub);
    Ok(json!({ "subscribed": true }))
}

fn answer_permission(sup: &Sup, conn: &Conn, params: &Value) -> Result<Value, RpcError> {
    let Some(rt_id) = rpc::runtime_id(params) else {
        sup.claim_owner(conn.id)?;
        return Err(RpcError::new(
            rpc::NO_PENDING_PERMISSION,
            "no_pending_permission",
        ));
    };
    sup.claim_owner(conn.id)?;
    let get = |k: &str| params.get(k).and_then(Value::as_str).unwrap_or("");
    let (request_id, option_id) = (get("request_id"), get("option_id"));
    if request_id.is_empty() || option_id.is_empty() {
        return Err(RpcError::required(&["request_id", "option_id"]));
    }
    let message = permission::validate_message(params.get("message"))?;
    let rt = sup
        .runtime(rt_id)
        .ok_or_else(|| RpcError::not_found(rt_id))?;
    rt.answer_permission(request_id, option_id, message)?;
    Ok(json!({ "accepted": true }))
}

async fn shutdown(sup: &Sup, conn: &Conn, params: &Value) -> Result<Value, RpcError> {
    sup.claim_owner(conn.id)?;
    // Malformed params are treated as {} (graceful).
    let kill = match params.get("mode") {
        Some(Value::String(m)) => match m.as_str() {
            "" | "graceful" => false,
            "kill" => true,
            _ => return Err(RpcError::handler("shutdown mode must be graceful or kill")),
        },
        _ => false,
    };
    sup.shutdown(kill).await;
    Ok(json!({ "shutting_down": true }))
}

async fn wait_turn(sup: &Sup, params: &Value) -> Result<Value, RpcError> {
    let Some(id) = rpc::runtime_id(params) else {
        return Err(RpcError::required(&["runtime_id"]));
    };
    let timeout_ms = int_param(params, "timeout_ms")?;
    let rt = sup.runtime(id).ok_or_else(|| RpcError::not_found(id))?;
    let mut turns = rt.turns.subscribe();
    let mut ended = rt.ended.subscribe();
    let start_gen = *turns.borrow_and_update();
    if !*ended.borrow_and_update() {
        let wait = async {
            tokio::select! {
                _ = turns.changed() => {}
                _ = ended.wait_for(|e| *e) => {}
            }
        };
        if timeout_ms > 0 {
            if tokio::time::timeout(Duration::from_millis(timeout_ms as u64), wait)
                .await
                .is_err()
            {
                return Err(RpcError::new(
                    rpc::WAIT_TIMEOUT,
                    format!("wait_turn timed out after {timeout_ms}ms"),
                ));
            }
        } else {
            wait.await;
        }
    }
    let st = rt.state();
    // The first turn that finished after the call, else the latest one.
    let turn = st
        .turn_log
        .iter()
        .find(|(g, _)| *g == start_gen + 1)
        .map(|(_, t)| (**t).clone())
        .unwrap_or_else(|| st.last_turn.clone());
    Ok(json!({
        "runtime_id": rt.id,
        "session_id": rt.info.session_id,
        "stop_reason": turn.stop_reason,
        "final_output": turn.final_output,
    }))
}

/// Only a hint, like the daemon's: returns on capacity or after a 2 s poll tick.
async fn wait_for_capacity(sup: &Sup, params: &Value) -> Result<Value, RpcError> {
    let timeout_ms = match int_param(params, "timeout_ms")? {
        t if t <= 0 => 5000,
        t => t as u64,
    };
    let has_room =
        || sup.cfg.max_runtimes <= 0 || (sup.active_count() as i64) < sup.cfg.max_runtimes;
    let start = tokio::time::Instant::now();
    let tick = Duration::from_millis(timeout_ms.min(2000));
    while start.elapsed() < tick {
        if has_room() {
            return Ok(json!({ "capacity_available": true }));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if has_room() || timeout_ms > 2000 {
        return Ok(json!({ "capacity_available": true }));
    }
    Err(RpcError::handler("timed out waiting for capacity").with_data(json!({ "retryable": true })))
}
