//! Read-only runtime methods: `list` (§2.4), `status` (§2.5), `result` (§2.6)
//! and `wait_turn` (§2.14).

use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::events::PREVIEW_CODE_POINTS;
use crate::params::int_param;
use crate::rpc::{self, RpcError};
use crate::sup::Sup;
use crate::util;

pub fn list(sup: &Sup) -> Value {
    Value::Array(sup.shuffled_runtimes().iter().map(|r| r.entry()).collect())
}

pub fn status(sup: &Sup, params: &Value) -> Result<Value, RpcError> {
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

pub fn result(sup: &Sup, params: &Value) -> Result<Value, RpcError> {
    let Some(id) = rpc::runtime_id(params) else {
        return Ok(json!({ "final_output": "" }));
    };
    let rt = sup.runtime(id).ok_or_else(|| RpcError::not_found(id))?;
    let text = rt.state().final_output.clone();
    Ok(json!({ "final_output": text }))
}

pub async fn wait_turn(sup: &Sup, params: &Value) -> Result<Value, RpcError> {
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
