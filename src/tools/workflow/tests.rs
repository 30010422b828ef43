use serde_json::{json, Value};

use super::validate::DEFAULT_WAIT_MS;
use super::*;
use crate::client::methods;
use crate::tools::args::args_of;

fn validate(tool: WorkflowTool, args: Value) -> CoreResult<Validated> {
    tool.validate(&args_of(Some(args)))
}

fn error(tool: WorkflowTool, args: Value) -> String {
    match validate(tool, args) {
        Err(e) => e.to_string(),
        Ok(v) => panic!("{tool:?} accepted: {v:?}"),
    }
}

fn rpc(tool: WorkflowTool, args: Value) -> (String, Option<Value>) {
    match validate(tool, args) {
        Ok(v) => {
            let rpc = v.request.rpc();
            (rpc.method.to_string(), rpc.params)
        }
        Err(e) => panic!("{tool:?} rejected: {e}"),
    }
}

const COMPLETE: &str = r#"{"workflow_id":"wf","node_id":"n","activation_id":"a","attempt_id":"t",
    "lease_id":"l","owner_token":"o","outcome":"success"}"#;
const GATE: &str =
    r#"{"workflow_id":"wf","node_id":"n","gate_id":"g","activation_id":"a","operation":"satisfy"}"#;

fn parsed(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or(Value::Null)
}

#[test]
fn ids_are_required() {
    for tool in [
        WorkflowTool::Status,
        WorkflowTool::Inspect,
        WorkflowTool::Wait,
        WorkflowTool::Events,
    ] {
        assert_eq!(error(tool, json!({})), "workflowId is required");
        assert_eq!(
            error(tool, json!({"workflowId": ""})),
            "workflowId is required"
        );
    }
    for tool in [
        WorkflowTool::ControllerCreate,
        WorkflowTool::ControllerEnable,
        WorkflowTool::ControllerDisable,
    ] {
        assert_eq!(error(tool, json!({})), "controllerId is required");
    }
    assert_eq!(
        error(
            WorkflowTool::ControllerDisable,
            json!({"controllerId": "c"})
        ),
        "reason is required"
    );
}

#[test]
fn wait_timeout_in_milliseconds() {
    let ms =
        |args: Value| rpc(WorkflowTool::Wait, args).1.unwrap_or(Value::Null)["timeout_ms"].clone();
    assert_eq!(DEFAULT_WAIT_MS, 30_000.0);
    assert_eq!(ms(json!({"workflowId": "wf"})), json!(30000));
    assert_eq!(ms(json!({"workflowId": "wf", "timeout": ""})), json!(30000));
    assert_eq!(
        ms(json!({"workflowId": "wf", "timeout": "5m"})),
        json!(300000)
    );
    assert_eq!(ms(json!({"workflowId": "wf", "timeout": "2"})), json!(2000));
    assert_eq!(
        error(
            WorkflowTool::Wait,
            json!({"workflowId": "wf", "timeout": "5d"})
        ),
        "invalid timeout: 5d"
    );
}

#[test]
fn complete_checks_fields_in_order_and_drops_the_supervisor() {
    let full = parsed(COMPLETE);
    for field in [
        "workflow_id",
        "node_id",
        "activation_id",
        "attempt_id",
        "lease_id",
        "owner_token",
        "outcome",
    ] {
        let mut without = full.clone();
        if let Some(m) = without.as_object_mut() {
            m.remove(field);
        }
        assert_eq!(
            error(WorkflowTool::Complete, without),
            format!("{field} is required")
        );
    }
    // Several missing: the first in the listed order wins.
    let mut two = full.clone();
    if let Some(m) = two.as_object_mut() {
        m.remove("outcome");
        m.insert("attempt_id".into(), json!(""));
    }
    assert_eq!(error(WorkflowTool::Complete, two), "attempt_id is required");
    let mut with_sup = full.clone();
    with_sup["supervisorId"] = json!("/s.sock");
    with_sup["outputs"] = json!({"k": 1});
    let v = validate(WorkflowTool::Complete, with_sup).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v.supervisor_id.as_deref(), Some("/s.sock"));
    assert_eq!(
        v.request.rpc().params,
        Some(
            json!({"workflow_id": "wf", "command": {"op": "complete", "node_id": "n",
            "activation_id": "a", "attempt_id": "t", "lease_id": "l", "owner_token": "o",
            "outcome": "success", "outputs": {"k": 1}}})
        )
    );
    let call = v.request.client_call();
    assert_eq!(call.method, "workflowComplete");
    match &call.args[0] {
        CallArg::Json(p) => assert!(p.get("supervisorId").is_none()),
        other => panic!("workflowComplete got {other:?}"),
    }
}

#[test]
fn gate_operation_and_observed_at() {
    let mut args = parsed(GATE);
    args.as_object_mut().map(|m| m.remove("gate_id"));
    assert_eq!(error(WorkflowTool::Gate, args), "gate_id is required");
    let mut args = parsed(GATE);
    args["operation"] = json!("approve");
    assert_eq!(
        error(WorkflowTool::Gate, args),
        "unknown gate operation \"approve\" (allowed: satisfy, reject, waive, external_result)"
    );
    let mut args = parsed(GATE);
    args["observed_at"] = json!("yesterday");
    assert_eq!(
        error(WorkflowTool::Gate, args.clone()),
        "observed_at must be an RFC3339 timestamp"
    );
    args["observed_at"] = json!("2024-05-01T10:00:00Z");
    args["actor"] = json!("me");
    let (method, params) = rpc(WorkflowTool::Gate, args);
    assert_eq!(method, "workflow.command");
    assert_eq!(
        params,
        Some(
            json!({"workflow_id": "wf", "command": {"op": "gate", "node_id": "n",
            "activation_id": "a", "gate_id": "g", "operation": "satisfy", "actor": "me",
            "observed_at": "2024-05-01T10:00:00Z"}})
        )
    );
}

#[test]
fn controller_requests() {
    assert_eq!(
        rpc(
            WorkflowTool::ControllerStatus,
            json!({"controllerId": "c1"})
        ),
        (
            "workflow.controller.status".into(),
            Some(json!({"controller_id": "c1"}))
        )
    );
    // No id: the list, with no params.
    assert_eq!(
        rpc(
            WorkflowTool::ControllerStatus,
            json!({"supervisorId": "/x"})
        ),
        ("workflow.controller.list".into(), None)
    );
    assert_eq!(
        rpc(
            WorkflowTool::ControllerCreate,
            json!({"controllerId": "c1", "maxInflight": 3.0})
        ),
        (
            "workflow.controller.create".into(),
            Some(json!({"controller_id": "c1", "max_inflight": 3}))
        )
    );
    for bad in [json!(0), json!(-1), json!(1.5), json!("3"), Value::Null] {
        assert_eq!(
            error(
                WorkflowTool::ControllerCreate,
                json!({"controllerId": "c1", "maxInflight": bad})
            ),
            "maxInflight must be a positive integer"
        );
    }
    assert_eq!(
        rpc(
            WorkflowTool::ControllerDisable,
            json!({"controllerId": "c1", "reason": "maintenance"})
        )
        .1,
        Some(json!({"controller_id": "c1", "reason": "maintenance"}))
    );
}

#[test]
fn client_calls_mirror_the_rpcs() {
    let v = validate(
        WorkflowTool::Events,
        json!({"workflowId": "wf", "afterSeq": 4, "limit": 2}),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        v.request.rpc().params,
        Some(json!({"workflow_id": "wf", "after_seq": 4, "limit": 2}))
    );
    assert_eq!(
        v.request.client_call(),
        ClientCall {
            method: "workflowEvents",
            args: vec![
                json!("wf").into(),
                json!({"afterSeq": 4, "limit": 2}).into()
            ]
        }
    );
    let wait =
        validate(WorkflowTool::Wait, json!({"workflowId": "wf"})).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        wait.request.client_call().args,
        vec![json!("wf").into(), json!(30000).into()]
    );
    let list =
        validate(WorkflowTool::ControllerStatus, json!({})).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        list.request.client_call(),
        ClientCall {
            method: "workflowControllerList",
            args: vec![]
        }
    );
}

#[test]
fn ready_requires_a_controller_and_passes_the_limit_as_given() {
    assert_eq!(
        error(WorkflowTool::Ready, json!({})),
        "controllerId is required"
    );
    assert_eq!(
        error(WorkflowTool::Ready, json!({"controllerId": "", "limit": 3})),
        "controllerId is required"
    );
    assert_eq!(
        rpc(
            WorkflowTool::Ready,
            json!({"controllerId": "c1", "limit": 3})
        ),
        (
            methods::WORKFLOW_READY.to_string(),
            Some(json!({"controller_id": "c1", "limit": 3}))
        )
    );
    assert_eq!(
        rpc(WorkflowTool::Ready, json!({"controllerId": "c1"})).1,
        Some(json!({"controller_id": "c1"}))
    );
    let with = validate(
        WorkflowTool::Ready,
        json!({"controllerId": "c1", "limit": 3, "supervisorId": "/s.sock"}),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(with.supervisor_id.as_deref(), Some("/s.sock"));
    assert_eq!(
        with.request.client_call(),
        ClientCall {
            method: "workflowReady",
            args: vec![json!("c1").into(), json!(3).into()]
        }
    );
    // Without a limit the call still has two arguments, the second `undefined`.
    let without = validate(WorkflowTool::Ready, json!({"controllerId": "c1"}))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        without.request.client_call().args,
        vec![json!("c1").into(), CallArg::Undefined]
    );
}
