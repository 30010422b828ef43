//! The `broker_*` methods (protocol §2.15). `broker_send`, `broker_ask`,
//! `broker_cancel` and `broker_reply` are owner-only (§2.1): the owner check
//! comes first, then the params.

use std::sync::Arc;

use serde_json::{json, Value};

use crate::broker::{Outcome, SUPERVISOR};
use crate::conn_state::Conn;
use crate::params::{required, str_of};
use crate::rpc::{self, RpcError};
use crate::runtime::Runtime;
use crate::sup::Sup;

pub async fn dispatch(
    sup: &Arc<Sup>,
    conn: &Conn,
    method: &str,
    params: &Value,
) -> Result<Value, RpcError> {
    match method {
        "broker_peers" => Ok(peers(sup)),
        "broker_receive" => Ok(Value::Array(sup.broker.pending_for(SUPERVISOR))),
        "broker_send" => {
            sup.claim_owner(conn.id)?;
            let [_, to, _] = required(params, ["from_run_id", "to_run_id", "message"])?;
            check_target(sup, to)?;
            // No simulated agent reads one-way messages; they are accepted and dropped.
            Ok(json!({ "ok": true }))
        }
        "broker_ask" => {
            sup.claim_owner(conn.id)?;
            ask(sup, params).await
        }
        "broker_cancel" => {
            sup.claim_owner(conn.id)?;
            let [id] = required(params, ["message_id"])?;
            sup.broker.cancel(id).map_err(RpcError::handler)?;
            Ok(json!({ "ok": true }))
        }
        "broker_reply" => {
            sup.claim_owner(conn.id)?;
            let [to, reply_to, message] = required(params, ["to_run_id", "reply_to", "message"])?;
            sup.broker
                .reply(to, reply_to, message)
                .map_err(RpcError::handler)?;
            Ok(json!({ "ok": true }))
        }
        _ => Err(RpcError::new(rpc::METHOD_NOT_FOUND, "method not found")),
    }
}

/// Asks go to the supervisor or to a runtime this daemon knows.
fn check_target(sup: &Sup, to: &str) -> Result<(), RpcError> {
    if to == SUPERVISOR || sup.runtime(to).is_some() {
        Ok(())
    } else {
        Err(RpcError::handler(format!("unknown run {to:?}")))
    }
}

/// Parks until the ask is answered or cancelled, or `--ask-timeout` passes.
async fn ask(sup: &Sup, params: &Value) -> Result<Value, RpcError> {
    let [to, message] = required(params, ["to_run_id", "message"])?;
    check_target(sup, to)?;
    let role = str_of(params, "role").unwrap_or("agent");
    let (id, rx) = sup.broker.ask(SUPERVISOR, to, message, role);
    let limit = sup.cfg.ask_timeout;
    let outcome = if limit.is_zero() {
        Some(rx.await)
    } else {
        tokio::time::timeout(limit, rx).await.ok()
    };
    Ok(match outcome {
        Some(Ok(Outcome::Reply { from, message })) => json!({
            "message_id": id,
            "from_run_id": from,
            "payload": { "message": message },
        }),
        // A dropped sender means the ask was removed without an answer.
        Some(Ok(Outcome::Cancelled)) | Some(Err(_)) => {
            json!({ "message_id": id, "cancelled": true })
        }
        None => {
            sup.broker.withdraw(&id);
            json!({ "message_id": id, "timeout": true })
        }
    })
}

/// `{sessions: [...]}`, one per runtime, in runtime order.
fn peers(sup: &Sup) -> Value {
    let sessions: Vec<Value> = sup.all_runtimes().iter().map(|rt| session(rt)).collect();
    json!({ "sessions": sessions })
}

fn session(rt: &Runtime) -> Value {
    let status = Runtime::status_word(rt.state().stage);
    json!({
        "run_id": rt.id,
        "label": rt.info.label,
        "status": status,
        "backend": rt.info.backend,
        "model": rt.info.model,
        "dir": rt.info.dir,
    })
}
