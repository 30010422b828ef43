//! The `workflow.*` methods (protocol §2.15), read-only and in memory: they read the
//! params and call the workflow store and controllers (`workflow`), which know nothing
//! of requests or of the supervisor.

use std::time::Duration;

use serde_json::{json, Value};

use crate::params::{int_param, required};
use crate::rpc::{self, RpcError};
use crate::sup::Sup;
use crate::workflow::Workflows;

/// `workflow.wait` without `timeout_ms` (protocol §2.15).
const DEFAULT_WAIT_MS: u64 = 5000;
const DEFAULT_EVENTS_LIMIT: usize = 100;
const MAX_EVENTS_LIMIT: usize = 1000;
/// `workflow.ready` without (or with a non-positive) `limit`, and its cap.
const DEFAULT_READY_LIMIT: usize = 100;
const MAX_READY_LIMIT: usize = 1000;

pub async fn dispatch(sup: &Sup, method: &str, params: &Value) -> Result<Value, RpcError> {
    let flows = &sup.workflows;
    let ctl = &sup.controllers;
    match method {
        "workflow.instantiate" => flows.instantiate(params),
        "workflow.status" => flows.status(workflow_id(params)?),
        "workflow.inspect" => flows.inspect(workflow_id(params)?),
        "workflow.events" => {
            let id = workflow_id(params)?;
            let after = int_param(params, "after_seq")?.max(0) as u64;
            let limit = match int_param(params, "limit")? {
                l if l <= 0 => DEFAULT_EVENTS_LIMIT,
                l => (l as usize).min(MAX_EVENTS_LIMIT),
            };
            flows.events(id, after, limit)
        }
        "workflow.wait" => wait(flows, params).await,
        "workflow.command" => {
            let id = workflow_id(params)?;
            match params.get("command") {
                Some(cmd @ Value::Object(_)) => flows.command(id, cmd),
                _ => Err(RpcError::required(&["command"])),
            }
        }
        "workflow.controller.create" => ctl.create(params),
        "workflow.controller.enable" => ctl.enable(controller_id(params)?),
        "workflow.controller.disable" => {
            let id = controller_id(params)?;
            let [reason] = required(params, ["reason"])?;
            ctl.disable(id, reason)
        }
        "workflow.controller.status" => ctl.status(controller_id(params)?),
        "workflow.controller.list" => Ok(ctl.list()),
        "workflow.ready" => ready(sup, params),
        _ => Err(RpcError::new(rpc::METHOD_NOT_FOUND, "method not found")),
    }
}

fn workflow_id(params: &Value) -> Result<&str, RpcError> {
    required(params, ["workflow_id"]).map(|[id]| id)
}

fn controller_id(params: &Value) -> Result<&str, RpcError> {
    required(params, ["controller_id"]).map(|[id]| id)
}

/// The ready nodes of the running workflows instantiated for this controller
/// (`metadata.controller_id`), oldest workflow first, at most `limit`.
/// Advisory, as the daemon says: listing claims nothing.
fn ready(sup: &Sup, params: &Value) -> Result<Value, RpcError> {
    let id = controller_id(params)?;
    sup.controllers.require(id)?;
    let limit = match int_param(params, "limit")? {
        l if l <= 0 => DEFAULT_READY_LIMIT,
        l => (l as usize).min(MAX_READY_LIMIT),
    };
    Ok(json!({
        "advisory": true,
        "controller_id": id,
        "candidates": sup.workflows.ready(id, limit),
    }))
}

/// Returns the status once the workflow is no longer running, or when
/// `timeout_ms` has passed.
async fn wait(flows: &Workflows, params: &Value) -> Result<Value, RpcError> {
    let id = workflow_id(params)?;
    let ms = match int_param(params, "timeout_ms")? {
        t if t <= 0 => DEFAULT_WAIT_MS,
        t => t as u64,
    };
    let deadline = tokio::time::Instant::now() + Duration::from_millis(ms);
    let mut changes = flows.changes();
    loop {
        changes.borrow_and_update();
        if !flows.is_running(id)? {
            break;
        }
        if tokio::time::timeout_at(deadline, changes.changed())
            .await
            .is_err()
        {
            break;
        }
    }
    flows.status(id)
}
