//! A validated workflow request in its two forms: the RPC the Rust client sends
//! (built by `client::methods`), and the `Client` method call a factory makes on
//! the JS client its `getSupervisorClient` returned (core-spec §4.2 names).

use serde_json::{json, Map, Value};

use crate::client::methods::{self, Rpc};

#[derive(Clone, Debug, PartialEq)]
pub enum Request {
    Status(String),
    Inspect(String),
    Wait {
        workflow_id: String,
        timeout_ms: f64,
    },
    /// `opts` is `{afterSeq?, limit?}` as the caller gave them.
    Events {
        workflow_id: String,
        opts: Map<String, Value>,
    },
    /// The snake_case params without `supervisorId`.
    Complete(Map<String, Value>),
    Gate(Map<String, Value>),
    ControllerStatus(String),
    ControllerList,
    /// `{controller_id, max_inflight}`.
    ControllerCreate(Value),
    ControllerEnable(String),
    ControllerDisable {
        controller_id: String,
        reason: String,
    },
    /// `limit` as the caller gave it (`None`: not given).
    Ready {
        controller_id: String,
        limit: Option<Value>,
    },
}

/// One argument of a JS call. `Undefined` is what JSON cannot say: an absent
/// `limit` is still passed, as `undefined` (`client.workflowReady(id, undefined)`).
#[derive(Clone, Debug, PartialEq)]
pub enum CallArg {
    Json(Value),
    Undefined,
}

impl From<Value> for CallArg {
    fn from(v: Value) -> Self {
        CallArg::Json(v)
    }
}

/// A JS method call: `client[method](...args)`.
#[derive(Debug, PartialEq)]
pub struct ClientCall {
    pub method: &'static str,
    pub args: Vec<CallArg>,
}

fn call(method: &'static str, args: Vec<Value>) -> ClientCall {
    ClientCall {
        method,
        args: args.into_iter().map(CallArg::Json).collect(),
    }
}

impl Request {
    pub fn rpc(&self) -> Rpc {
        match self {
            Request::Status(id) => methods::workflow_status(id),
            Request::Inspect(id) => methods::workflow_inspect(id),
            Request::Wait {
                workflow_id,
                timeout_ms,
            } => methods::workflow_wait(workflow_id, Some(*timeout_ms)),
            Request::Events { workflow_id, opts } => {
                methods::workflow_events(workflow_id, Some(&Value::Object(opts.clone())))
            }
            Request::Complete(p) => methods::workflow_complete(p),
            Request::Gate(p) => methods::workflow_gate(p),
            Request::ControllerStatus(id) => methods::workflow_controller_status(id),
            Request::ControllerList => methods::workflow_controller_list(),
            Request::ControllerCreate(p) => methods::workflow_controller_create(p),
            Request::ControllerEnable(id) => methods::workflow_controller_enable(id),
            Request::ControllerDisable {
                controller_id,
                reason,
            } => methods::workflow_controller_disable(controller_id, reason),
            Request::Ready {
                controller_id,
                limit,
            } => methods::workflow_ready(controller_id, limit.as_ref()),
        }
    }

    pub fn client_call(&self) -> ClientCall {
        match self {
            Request::Status(id) => call("workflowStatus", vec![json!(id)]),
            Request::Inspect(id) => call("workflowInspect", vec![json!(id)]),
            Request::Wait {
                workflow_id,
                timeout_ms,
            } => call(
                "workflowWait",
                vec![json!(workflow_id), crate::jsval::number_value(*timeout_ms)],
            ),
            Request::Events { workflow_id, opts } => call(
                "workflowEvents",
                vec![json!(workflow_id), Value::Object(opts.clone())],
            ),
            Request::Complete(p) => call("workflowComplete", vec![Value::Object(p.clone())]),
            Request::Gate(p) => call("workflowGate", vec![Value::Object(p.clone())]),
            Request::ControllerStatus(id) => call("workflowControllerStatus", vec![json!(id)]),
            Request::ControllerList => call("workflowControllerList", Vec::new()),
            Request::ControllerCreate(p) => call("workflowControllerCreate", vec![p.clone()]),
            Request::ControllerEnable(id) => call("workflowControllerEnable", vec![json!(id)]),
            Request::ControllerDisable {
                controller_id,
                reason,
            } => call(
                "workflowControllerDisable",
                vec![json!(controller_id), json!(reason)],
            ),
            Request::Ready {
                controller_id,
                limit,
            } => ClientCall {
                method: "workflowReady",
                args: vec![
                    CallArg::Json(json!(controller_id)),
                    limit.clone().map_or(CallArg::Undefined, CallArg::Json),
                ],
            },
        }
    }
}
