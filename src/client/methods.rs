//! Params of the typed client methods (core-spec §4.2): which RPC each method
//! calls and exactly which keys it sends.

use serde_json::{json, Map, Value};

/// An RPC to send: method name and params (`None` = no params key).
#[derive(Debug, PartialEq)]
pub struct Rpc {
    pub method: &'static str,
    pub params: Option<Value>,
}

fn rpc(method: &'static str, params: Option<Value>) -> Rpc {
    Rpc { method, params }
}

fn runtime_scoped(method: &'static str, runtime_id: Option<&str>) -> Rpc {
    match runtime_id.filter(|s| !s.is_empty()) {
        Some(id) => rpc(method, Some(json!({ "runtime_id": id }))),
        None => rpc(method, None),
    }
}

pub fn status(runtime_id: Option<&str>) -> Rpc {
    runtime_scoped("status", runtime_id)
}

pub fn result(runtime_id: Option<&str>) -> Rpc {
    runtime_scoped("result", runtime_id)
}

pub fn cancel(runtime_id: Option<&str>) -> Rpc {
    runtime_scoped("cancel", runtime_id)
}

pub fn list() -> Rpc {
    rpc("list", None)
}

pub fn spawn(params: Value) -> Rpc {
    rpc("spawn", Some(params))
}

pub fn shutdown(mode: Option<&str>) -> Rpc {
    let mut p = Map::new();
    if let Some(mode) = mode {
        p.insert("mode".into(), json!(mode));
    }
    rpc("shutdown", Some(Value::Object(p)))
}

pub fn answer_permission(
    runtime_id: &str,
    request_id: &str,
    option_id: &str,
    message: Option<&str>,
) -> Rpc {
    let mut p =
        json!({ "runtime_id": runtime_id, "request_id": request_id, "option_id": option_id });
    if let Some(m) = message.filter(|m| !m.is_empty()) {
        p["message"] = json!(m);
    }
    rpc("answer_permission", Some(p))
}

pub fn prompt(runtime_id: &str, text: &str) -> Rpc {
    rpc(
        "prompt",
        Some(json!({ "runtime_id": runtime_id, "text": text })),
    )
}

pub fn interrupt_and_prompt(runtime_id: &str, text: &str, keep_queue: bool) -> Rpc {
    rpc(
        "interrupt_and_prompt",
        Some(json!({ "runtime_id": runtime_id, "text": text, "keep_queue": keep_queue })),
    )
}

pub fn history(opts: Option<&Value>) -> Rpc {
    rpc(
        "history",
        Some(Value::Object(super::normalize_history(opts))),
    )
}

fn workflow_id(method: &'static str, id: &str) -> Rpc {
    rpc(method, Some(json!({ "workflow_id": id })))
}

pub fn workflow_status(id: &str) -> Rpc {
    workflow_id("workflow.status", id)
}

pub fn workflow_inspect(id: &str) -> Rpc {
    workflow_id("workflow.inspect", id)
}

pub fn workflow_wait(id: &str, timeout_ms: Option<f64>) -> Rpc {
    let mut p = json!({ "workflow_id": id });
    if let Some(t) = timeout_ms {
        p["timeout_ms"] = crate::jsval::number_value(t);
    }
    rpc("workflow.wait", Some(p))
}

pub fn workflow_events(id: &str, opts: Option<&Value>) -> Rpc {
    let mut p = json!({ "workflow_id": id });
    if let Some(o) = opts.and_then(Value::as_object) {
        if let Some(a) = o.get("afterSeq") {
            p["after_seq"] = a.clone();
        }
        if let Some(l) = o.get("limit") {
            p["limit"] = l.clone();
        }
    }
    rpc("workflow.events", Some(p))
}

pub fn workflow_command(id: &str, command: Value) -> Rpc {
    rpc(
        "workflow.command",
        Some(json!({ "workflow_id": id, "command": command })),
    )
}

/// Copies the listed keys of `from` that are present (not undefined) into `to`.
fn copy_present(from: &Map<String, Value>, to: &mut Map<String, Value>, keys: &[&str]) {
    for k in keys {
        if let Some(v) = from.get(*k) {
            to.insert((*k).to_string(), v.clone());
        }
    }
}

fn command(op: &str, p: &Map<String, Value>, always: &[&str], optional: &[&str]) -> Rpc {
    let mut cmd = Map::new();
    cmd.insert("op".into(), json!(op));
    for k in always {
        cmd.insert((*k).to_string(), p.get(*k).cloned().unwrap_or(Value::Null));
    }
    copy_present(p, &mut cmd, optional);
    let id = p.get("workflow_id").cloned().unwrap_or(Value::Null);
    rpc(
        "workflow.command",
        Some(json!({ "workflow_id": id, "command": cmd })),
    )
}

pub fn workflow_complete(p: &Map<String, Value>) -> Rpc {
    command(
        "complete",
        p,
        &[
            "node_id",
            "activation_id",
            "attempt_id",
            "lease_id",
            "owner_token",
            "outcome",
        ],
        &["outputs", "artifacts"],
    )
}

pub const GATE_OPTIONAL_FIELDS: [&str; 10] = [
    "actor",
    "reason",
    "outcome",
    "subject",
    "poll_id",
    "source",
    "result",
    "response_hash",
    "observed_at",
    "evidence_ids",
];

pub fn workflow_gate(p: &Map<String, Value>) -> Rpc {
    command(
        "gate",
        p,
        &["node_id", "activation_id", "gate_id", "operation"],
        &GATE_OPTIONAL_FIELDS,
    )
}

pub fn workflow_heartbeat(p: &Map<String, Value>) -> Rpc {
    command(
        "heartbeat",
        p,
        &["node_id", "lease_id", "owner_token"],
        &["activation_id"],
    )
}

fn controller(method: &'static str, id: &str) -> Rpc {
    rpc(method, Some(json!({ "controller_id": id })))
}

pub fn workflow_controller_status(id: &str) -> Rpc {
    controller("workflow.controller.status", id)
}

pub fn workflow_controller_enable(id: &str) -> Rpc {
    controller("workflow.controller.enable", id)
}

pub fn workflow_controller_list() -> Rpc {
    rpc("workflow.controller.list", None)
}

pub fn workflow_controller_create(p: &Value) -> Rpc {
    let mut out = Map::new();
    if let Some(o) = p.as_object() {
        copy_present(o, &mut out, &["controller_id", "max_inflight"]);
    }
    rpc("workflow.controller.create", Some(Value::Object(out)))
}

/// The daemon's query for a controller's ready work. The original client's
/// `workflowReady` was never seen; protocol.md §2.15 lists the daemon's method
/// as `workflow.ready` with `{controller_id, limit?}`. One constant, in case a
/// daemon says otherwise.
pub const WORKFLOW_READY: &str = "workflow.ready";

/// `{controller_id, limit?}`; `limit` as given, absent when not given.
pub fn workflow_ready(id: &str, limit: Option<&Value>) -> Rpc {
    let mut p = json!({ "controller_id": id });
    if let Some(limit) = limit {
        p["limit"] = limit.clone();
    }
    rpc(WORKFLOW_READY, Some(p))
}

pub fn workflow_controller_disable(id: &str, reason: &str) -> Rpc {
    rpc(
        "workflow.controller.disable",
        Some(json!({ "controller_id": id, "reason": reason })),
    )
}

pub fn broker_send(from: &str, to: &str, message: &str, role: Option<&str>) -> Rpc {
    rpc(
        "broker_send",
        Some(
            json!({ "from_run_id": from, "to_run_id": to, "message": message, "role": role.unwrap_or("agent") }),
        ),
    )
}

pub fn broker_ask(to: &str, message: &str, role: Option<&str>) -> Rpc {
    rpc(
        "broker_ask",
        Some(json!({ "to_run_id": to, "message": message, "role": role.unwrap_or("agent") })),
    )
}

pub fn broker_peers() -> Rpc {
    rpc("broker_peers", None)
}

/// `result.sessions ?? []`.
pub fn peers_of(result: Option<Value>) -> Value {
    match result.and_then(|r| r.get("sessions").cloned()) {
        Some(Value::Null) | None => json!([]),
        Some(s) => s,
    }
}

pub fn broker_cancel(message_id: &str) -> Rpc {
    rpc("broker_cancel", Some(json!({ "message_id": message_id })))
}

pub fn broker_receive() -> Rpc {
    rpc("broker_receive", None)
}

pub fn broker_reply(to: &str, reply_to: &str, message: &str) -> Rpc {
    rpc(
        "broker_reply",
        Some(json!({ "to_run_id": to, "reply_to": reply_to, "message": message })),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_scoped_methods_send_params_only_with_an_id() {
        assert_eq!(
            status(None),
            Rpc {
                method: "status",
                params: None
            }
        );
        assert_eq!(
            status(Some("")),
            Rpc {
                method: "status",
                params: None
            }
        );
        assert_eq!(
            status(Some("rt-123")).params,
            Some(json!({"runtime_id":"rt-123"}))
        );
        assert_eq!(cancel(None).params, None);
        assert_eq!(result(Some("rt-123")).method, "result");
    }

    #[test]
    fn exact_params() {
        assert_eq!(
            interrupt_and_prompt("rt-1", "change direction", false).params,
            Some(json!({"runtime_id":"rt-1","text":"change direction","keep_queue":false}))
        );
        assert_eq!(
            answer_permission("rt-1", "req-42", "opt-7", None).params,
            Some(json!({"runtime_id":"rt-1","request_id":"req-42","option_id":"opt-7"}))
        );
        assert_eq!(
            answer_permission("rt-1", "r", "o", Some("why"))
                .params
                .unwrap()["message"],
            json!("why")
        );
        assert_eq!(
            broker_ask("rt_1", "hello", None).params,
            Some(json!({"to_run_id":"rt_1","message":"hello","role":"agent"}))
        );
        assert_eq!(peers_of(Some(json!({}))), json!([]));
        assert_eq!(peers_of(Some(json!({"sessions":[1]}))), json!([1]));
    }

    #[test]
    fn workflow_ready_sends_the_limit_only_when_given() {
        assert_eq!(
            workflow_ready("c1", None),
            Rpc {
                method: "workflow.ready",
                params: Some(json!({"controller_id": "c1"}))
            }
        );
        assert_eq!(
            workflow_ready("c1", Some(&json!(5))).params,
            Some(json!({"controller_id": "c1", "limit": 5}))
        );
    }

    #[test]
    fn workflow_gate_copies_defined_optionals() {
        let p = json!({"workflow_id":"w","node_id":"n","activation_id":"a","gate_id":"g","operation":"satisfy","actor":"me"});
        assert_eq!(
            workflow_gate(p.as_object().unwrap()).params,
            Some(
                json!({"workflow_id":"w","command":{"op":"gate","node_id":"n","activation_id":"a","gate_id":"g","operation":"satisfy","actor":"me"}})
            )
        );
    }
}
