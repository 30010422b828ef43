//! Runtime-scoped mutating methods (§2.7–§2.10): `cancel`, `prompt`,
//! `interrupt_and_prompt` and `answer_permission`. Each checks ownership first (§2.1),
//! then its params, then looks the runtime up.

use std::sync::Arc;

use serde_json::{json, Value};

use crate::conn_state::Conn;
use crate::permission;
use crate::rpc::{self, RpcError};
use crate::runtime::Runtime;
use crate::sup::Sup;

pub fn cancel(sup: &Sup, conn: &Conn, params: &Value) -> Result<Value, RpcError> {
    let rt = scoped(sup, conn, params)?;
    if let Some(rt) = rt {
        rt.cancel();
    }
    Ok(json!({ "ok": true }))
}

pub fn prompt(sup: &Sup, conn: &Conn, params: &Value) -> Result<Value, RpcError> {
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

pub fn interrupt_and_prompt(sup: &Sup, conn: &Conn, params: &Value) -> Result<Value, RpcError> {
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

pub fn answer_permission(sup: &Sup, conn: &Conn, params: &Value) -> Result<Value, RpcError> {
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
