//! The in-memory `workflow.*` and `workflow.controller.*` methods.

mod common;

use common::*;
use serde_json::{json, Value};

fn instantiate(c: &mut Client, nodes: Value) -> String {
    let st = c.call(
        "workflow.instantiate",
        json!({"template_id": "tpl", "template_version": "1", "metadata": {"who": "test"}, "params": {"nodes": nodes}}),
    );
    st["workflow_id"].as_str().expect("workflow_id").to_string()
}

#[test]
fn instantiate_command_events_and_a_wait_that_sees_completion() {
    let d = Daemon::start();
    let mut c = d.connect();
    let id = instantiate(&mut c, json!(["build", "review"]));
    assert_eq!(id, "wf_1");
    let st = c.call("workflow.status", json!({"workflow_id": id}));
    assert_eq!(
        st,
        json!({"workflow_id": "wf_1", "template_id": "tpl", "template_version": "1", "status": "running",
            "nodes": [{"node_id": "build", "status": "ready", "activation_id": "act_build_1"},
                      {"node_id": "review", "status": "ready", "activation_id": "act_review_1"}],
            "latest_seq": 1})
    );
    // A waiter on its own connection, released by the commands below.
    let socket = d.socket.clone();
    let waiter = std::thread::spawn(move || {
        let mut w = Client::connect(&socket);
        w.call(
            "workflow.wait",
            json!({"workflow_id": "wf_1", "timeout_ms": 10000}),
        )
    });
    let gate = c.call(
        "workflow.command",
        json!({"workflow_id": id, "command": {"op": "gate", "node_id": "review", "activation_id": "act_review_1",
            "gate_id": "g1", "operation": "satisfy", "actor": "me", "observed_at": "2024-05-01T10:00:00Z"}}),
    );
    assert_eq!(
        gate,
        json!({"workflow_id": "wf_1", "op": "gate", "accepted": true, "seq": 2, "status": "running"})
    );
    c.call(
        "workflow.command",
        json!({"workflow_id": id, "command": {"op": "complete", "node_id": "build", "activation_id": "act_build_1",
            "attempt_id": "1", "lease_id": "l", "owner_token": "o", "outcome": "success", "outputs": {"sha": "abc"}}}),
    );
    let done = c.call(
        "workflow.command",
        json!({"workflow_id": id, "command": {"op": "skip", "node_id": "review"}}),
    );
    assert_eq!(done["status"], json!("completed"));
    let waited = waiter.join().expect("waiter thread");
    assert_eq!(waited["status"], json!("completed"));

    let inspect = c.call("workflow.inspect", json!({"workflow_id": id}));
    assert_eq!(inspect["metadata"], json!({"who": "test"}));
    assert_eq!(inspect["nodes"][0]["outputs"], json!({"sha": "abc"}));
    assert_eq!(
        inspect["nodes"][1]["gates"]["g1"],
        json!({"activation_id": "act_review_1", "operation": "satisfy", "actor": "me", "observed_at": "2024-05-01T10:00:00Z"})
    );
    let events = c.call(
        "workflow.events",
        json!({"workflow_id": id, "after_seq": 1, "limit": 2}),
    );
    assert_eq!(
        events,
        json!({"workflow_id": "wf_1", "latest_seq": 5, "events": [
            {"seq": 2, "type": "gate.satisfy", "node_id": "review", "gate_id": "g1"},
            {"seq": 3, "type": "node.completed", "node_id": "build", "outcome": "success"}]})
    );
}

#[test]
fn wait_returns_the_running_status_on_timeout() {
    let d = Daemon::start();
    let mut c = d.connect();
    let id = instantiate(&mut c, json!(["only"]));
    let st = c.call(
        "workflow.wait",
        json!({"workflow_id": id, "timeout_ms": 50}),
    );
    assert_eq!(st["status"], json!("running"));
}

#[test]
fn workflow_errors() {
    let d = Daemon::start();
    let mut c = d.connect();
    let required = |fields: Value| json!({"code": -32602, "message": "invalid params", "data": {"required": fields}});
    assert_eq!(
        c.call_err("workflow.status", Value::Null),
        required(json!(["workflow_id"]))
    );
    assert_eq!(
        c.call_err("workflow.status", json!({"workflow_id": "wf_9"})),
        json!({"code": -32000, "message": "workflow \"wf_9\" not found"})
    );
    assert_eq!(
        c.call_err("workflow.instantiate", json!({"template_id": "t"})),
        required(json!(["template_id", "template_version"]))
    );
    let id = instantiate(&mut c, json!(["n"]));
    assert_eq!(
        c.call_err("workflow.command", json!({"workflow_id": id})),
        required(json!(["command"]))
    );
    assert_eq!(
        c.call_err(
            "workflow.command",
            json!({"workflow_id": id, "command": {"op": "complete", "node_id": "n"}})
        ),
        required(json!([
            "node_id",
            "activation_id",
            "attempt_id",
            "lease_id",
            "owner_token",
            "outcome"
        ]))
    );
    assert_eq!(
        c.call_err(
            "workflow.command",
            json!({"workflow_id": id, "command": {"op": "complete", "node_id": "n", "activation_id": "old",
                "attempt_id": "1", "lease_id": "l", "owner_token": "o", "outcome": "success"}})
        )["message"],
        json!("activation \"old\" is not current for node \"n\"")
    );
    assert_eq!(
        c.call_err("workflow.create", Value::Null)["code"],
        json!(-32601)
    );
}

#[test]
fn ready_lists_the_ready_nodes_of_a_controllers_workflows() {
    let d = Daemon::start();
    let mut c = d.connect();
    assert_eq!(
        c.call_err("workflow.ready", Value::Null),
        json!({"code": -32602, "message": "invalid params", "data": {"required": ["controller_id"]}})
    );
    assert_eq!(
        c.call_err("workflow.ready", json!({"controller_id": "c1"})),
        json!({"code": -32000, "message": "controller \"c1\" not found"})
    );
    c.call(
        "workflow.controller.create",
        json!({"controller_id": "c1", "max_inflight": 2}),
    );
    let empty = c.call("workflow.ready", json!({"controller_id": "c1"}));
    assert_eq!(
        empty,
        json!({"advisory": true, "controller_id": "c1", "candidates": []})
    );
    let owned = c.call(
        "workflow.instantiate",
        json!({"template_id": "tpl", "template_version": "1", "metadata": {"controller_id": "c1"},
            "params": {"nodes": ["build", "test", "ship"]}}),
    );
    instantiate(&mut c, json!(["elsewhere"]));
    c.call(
        "workflow.command",
        json!({"workflow_id": owned["workflow_id"], "command": {"op": "skip", "node_id": "build"}}),
    );
    assert_eq!(
        c.call("workflow.ready", json!({"controller_id": "c1", "limit": 1})),
        json!({"advisory": true, "controller_id": "c1", "candidates": [
            {"workflow_id": "wf_1", "node_id": "test", "activation_id": "act_test_1"}]})
    );
    let all = c.call("workflow.ready", json!({"controller_id": "c1"}));
    let nodes: Vec<&str> = all["candidates"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x["node_id"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(nodes, ["test", "ship"]);
}

#[test]
fn controllers_are_strict_read_only_and_listed() {
    let d = Daemon::start();
    let mut owner = d.connect();
    owner.spawn(json!({"prompt": "say hi"}));
    // workflow.* never needs ownership.
    let mut c = d.connect();
    let detail =
        |d: &str| json!({"code": -32602, "message": "invalid params", "data": {"detail": d}});
    assert_eq!(
        c.call_err(
            "workflow.controller.create",
            json!({"controller_id": "c1", "max_inflight": 2, "extra": true})
        ),
        detail("json: unknown field \"extra\"")
    );
    assert_eq!(
        c.call_err(
            "workflow.controller.create",
            json!({"controller_id": "c1", "max_inflight": 0})
        ),
        detail("max_inflight must be > 0")
    );
    assert_eq!(
        c.call(
            "workflow.controller.create",
            json!({"controller_id": "c1", "max_inflight": 2})
        ),
        json!({"controller_id": "c1", "max_inflight": 2, "enabled": false})
    );
    assert_eq!(
        c.call("workflow.controller.enable", json!({"controller_id": "c1"}))["enabled"],
        json!(true)
    );
    assert_eq!(
        c.call_err(
            "workflow.controller.disable",
            json!({"controller_id": "c1"})
        ),
        json!({"code": -32602, "message": "invalid params", "data": {"required": ["reason"]}})
    );
    c.call(
        "workflow.controller.disable",
        json!({"controller_id": "c1", "reason": "maintenance"}),
    );
    assert_eq!(
        c.call("workflow.controller.status", json!({"controller_id": "c1"})),
        json!({"controller_id": "c1", "max_inflight": 2, "enabled": false, "disabled_reason": "maintenance", "inflight": 0})
    );
    assert_eq!(
        c.call("workflow.controller.list", Value::Null),
        json!({"controllers": [{"controller_id": "c1", "max_inflight": 2, "enabled": false, "disabled_reason": "maintenance"}]})
    );
    assert_eq!(
        c.call_err(
            "workflow.controller.status",
            json!({"controller_id": "nope"})
        ),
        json!({"code": -32000, "message": "controller \"nope\" not found"})
    );
}
