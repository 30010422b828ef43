//! Broker tools [LATE] (core-spec §14.3): `askTool`, `peersTool`, `cancelTool`,
//! `brokerReceiveTool`, `brokerReplyTool`. Each runs one RPC over
//! `getSupervisorClient` (§6.2) and closes a connection it opened itself, also
//! when the RPC fails.

use serde_json::{json, Value};

use super::args::{supervisor_id, text, Args};
use super::supervisor_client::get_supervisor_client;
use crate::client::methods::{self, Rpc};
use crate::error::CoreResult;
use crate::jsval::json_stringify;

pub const TIMEOUT_REPLY: &str = "(timeout: no reply received)";
pub const CANCELLED_REPLY: &str = "(cancelled)";

/// Sends one RPC to the target supervisor and closes the connection if we
/// opened it, whatever the outcome.
async fn call(args: &Args, rpc: Rpc) -> CoreResult<Option<Value>> {
    let target = get_supervisor_client(supervisor_id(args).as_deref()).await?;
    let outcome = target.client.call(rpc.method, rpc.params).await;
    target.finish().await;
    outcome
}

/// A string argument as the original passed it on (absent = empty).
fn arg(args: &Args, key: &str) -> String {
    text(args, key).unwrap_or_default()
}

/// The `reply` text of an ask: timeout and cancel markers first, then the
/// reply's `payload.message`, else the whole result as JSON text.
pub fn reply_text(result: &Value) -> String {
    if result.get("timeout") == Some(&Value::Bool(true)) {
        return TIMEOUT_REPLY.to_string();
    }
    if result.get("cancelled") == Some(&Value::Bool(true)) {
        return CANCELLED_REPLY.to_string();
    }
    match result.pointer("/payload/message").and_then(Value::as_str) {
        Some(m) if !m.is_empty() => m.to_string(),
        _ => json_stringify(result),
    }
}

/// `{ reply, from_run_id }` of a `broker_ask` result (`from_run_id ?? ""`).
pub fn ask_result(result: Option<Value>) -> Value {
    let result = result.unwrap_or(Value::Null);
    let from = match result.get("from_run_id") {
        Some(v) if !v.is_null() => v.clone(),
        _ => Value::from(""),
    };
    json!({ "reply": reply_text(&result), "from_run_id": from })
}

pub async fn ask_tool(args: Args) -> CoreResult<Value> {
    let rpc = methods::broker_ask(&arg(&args, "toRunId"), &arg(&args, "message"), None);
    call(&args, rpc).await.map(ask_result)
}

pub async fn peers_tool(args: Args) -> CoreResult<Value> {
    let result = call(&args, methods::broker_peers()).await?;
    Ok(json!({ "peers": methods::peers_of(result) }))
}

pub async fn cancel_tool(args: Args) -> CoreResult<Value> {
    call(&args, methods::broker_cancel(&arg(&args, "messageId"))).await?;
    Ok(json!({ "cancelled": true }))
}

/// Choice: a missing or null result counts as no asks (`[]`); a real daemon
/// always answers with an array.
pub async fn broker_receive_tool(args: Args) -> CoreResult<Value> {
    let asks = match call(&args, methods::broker_receive()).await? {
        None | Some(Value::Null) => json!([]),
        Some(v) => v,
    };
    Ok(json!({ "asks": asks }))
}

pub async fn broker_reply_tool(args: Args) -> CoreResult<Value> {
    let rpc = methods::broker_reply(
        &arg(&args, "toRunId"),
        &arg(&args, "replyTo"),
        &arg(&args, "message"),
    );
    call(&args, rpc).await?;
    Ok(json!({ "ok": true }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_derivation() {
        let r = ask_result(Some(
            json!({"payload": {"message": "hello back"}, "from_run_id": "sender"}),
        ));
        assert_eq!(r, json!({"reply": "hello back", "from_run_id": "sender"}));
        assert_eq!(
            ask_result(Some(json!({"timeout": true})))["reply"],
            json!(TIMEOUT_REPLY)
        );
        assert_eq!(
            ask_result(Some(
                json!({"cancelled": true, "payload": {"message": "x"}})
            ))["reply"],
            json!(CANCELLED_REPLY)
        );
        // Only the boolean true counts as a marker.
        assert_eq!(
            ask_result(Some(json!({"timeout": "true"})))["reply"],
            json!(r#"{"timeout":"true"}"#)
        );
        assert_eq!(
            ask_result(Some(json!({"weird": 1}))),
            json!({"reply": r#"{"weird":1}"#, "from_run_id": ""})
        );
        assert_eq!(
            ask_result(Some(
                json!({"payload": {"message": ""}, "from_run_id": null})
            ))["reply"],
            json!(r#"{"payload":{"message":""},"from_run_id":null}"#)
        );
        assert_eq!(ask_result(None)["reply"], json!("null"));
    }
}
