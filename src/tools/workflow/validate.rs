//! Argument checks of the workflow tools, in the original's order and with its
//! messages (core-spec §14.4). Nothing here touches a client.

use serde_json::{json, Map, Value};

use super::request::Request;
use super::WorkflowTool;
use crate::error::{CoreError, CoreResult};
use crate::jsval::{is_truthy, js_template_string, number_value};
use crate::policy::validate::{validate_observed_at, validate_timeout};
use crate::tools::args::{member, required_string, string, text, Args};

/// `timeout_ms` when the caller gives no (or an empty) timeout.
pub const DEFAULT_WAIT_MS: f64 = 30_000.0;

const COMPLETE_REQUIRED: [&str; 7] = [
    "workflow_id",
    "node_id",
    "activation_id",
    "attempt_id",
    "lease_id",
    "owner_token",
    "outcome",
];

const GATE_REQUIRED: [&str; 5] = [
    "workflow_id",
    "node_id",
    "gate_id",
    "activation_id",
    "operation",
];

pub const GATE_OPERATIONS: [&str; 4] = ["satisfy", "reject", "waive", "external_result"];

pub fn request(tool: WorkflowTool, args: &Args) -> CoreResult<Request> {
    let workflow_id = || required_string(args, "workflowId", "workflowId");
    let controller_id = || required_string(args, "controllerId", "controllerId");
    Ok(match tool {
        WorkflowTool::Status => Request::Status(workflow_id()?),
        WorkflowTool::Inspect => Request::Inspect(workflow_id()?),
        WorkflowTool::Wait => Request::Wait {
            workflow_id: workflow_id()?,
            timeout_ms: wait_timeout_ms(args)?,
        },
        WorkflowTool::Events => Request::Events {
            workflow_id: workflow_id()?,
            opts: events_opts(args),
        },
        WorkflowTool::Complete => Request::Complete(command_params(args, &COMPLETE_REQUIRED)?),
        WorkflowTool::Gate => Request::Gate(gate_params(args)?),
        // Without an id: the controller list (module comment in workflow.rs).
        WorkflowTool::ControllerStatus => match string(args, "controllerId") {
            Some(id) if !id.is_empty() => Request::ControllerStatus(id),
            _ => Request::ControllerList,
        },
        WorkflowTool::ControllerList => Request::ControllerList,
        WorkflowTool::ControllerCreate => {
            let id = controller_id()?;
            let max = positive_integer(member(args, "maxInflight"))
                .ok_or_else(|| CoreError::plain("maxInflight must be a positive integer"))?;
            Request::ControllerCreate(json!({ "controller_id": id, "max_inflight": max }))
        }
        WorkflowTool::ControllerEnable => Request::ControllerEnable(controller_id()?),
        WorkflowTool::ControllerDisable => Request::ControllerDisable {
            controller_id: controller_id()?,
            reason: required_string(args, "reason", "reason")?,
        },
        WorkflowTool::Ready => Request::Ready {
            controller_id: controller_id()?,
            limit: args.get("limit").cloned(),
        },
    })
}

/// `timeout` via validateTimeout, in milliseconds; absent or falsy → 30 000.
fn wait_timeout_ms(args: &Args) -> CoreResult<f64> {
    if !member(args, "timeout").is_some_and(is_truthy) {
        return Ok(DEFAULT_WAIT_MS);
    }
    let t = text(args, "timeout").unwrap_or_default();
    Ok(validate_timeout(&t)? as f64 * 1000.0)
}

/// `{afterSeq, limit}` with the members the caller set (null kept, as JSON would).
fn events_opts(args: &Args) -> Map<String, Value> {
    let mut opts = Map::new();
    for key in ["afterSeq", "limit"] {
        if let Some(v) = args.get(key) {
            opts.insert(key.into(), v.clone());
        }
    }
    opts
}

/// The snake_case params (all but `supervisorId`), after checking `required`
/// in order: the first falsy one fails with `<field> is required`.
fn command_params(args: &Args, required: &[&str]) -> CoreResult<Map<String, Value>> {
    if let Some(missing) = required
        .iter()
        .find(|k| !args.get(**k).is_some_and(is_truthy))
    {
        return Err(CoreError::plain(format!("{missing} is required")));
    }
    let mut params = args.clone();
    params.remove("supervisorId");
    Ok(params)
}

fn gate_params(args: &Args) -> CoreResult<Map<String, Value>> {
    let params = command_params(args, &GATE_REQUIRED)?;
    let op = params.get("operation");
    if !op
        .and_then(Value::as_str)
        .is_some_and(|o| GATE_OPERATIONS.contains(&o))
    {
        return Err(CoreError::plain(format!(
            "unknown gate operation \"{}\" (allowed: {})",
            js_template_string(op),
            GATE_OPERATIONS.join(", ")
        )));
    }
    if member(&params, "observed_at").is_some() {
        validate_observed_at(&text(&params, "observed_at").unwrap_or_default())?;
    }
    Ok(params)
}

/// `Number.isInteger(v) && v > 0`, as a JSON integer.
fn positive_integer(v: Option<&Value>) -> Option<Value> {
    let f = v?.as_f64()?;
    (f.is_finite() && f.fract() == 0.0 && f > 0.0).then(|| number_value(f))
}
