//! Workflow host tools and workflow-controller tools [LATE] (core-spec §14.4).
//!
//! Each tool validates its arguments into a [`Request`] before any client is
//! acquired, then sends one RPC and returns the daemon's result unchanged.
//! The same validation serves the exported tools and the JS
//! `create<Name>Tool(getSupervisorClient)` factories (`src/js/tool_call.rs`),
//! which run the request through a caller-supplied client instead.
//!
//! Choice: `workflowControllerStatusTool` without `controllerId` returns the
//! controller list (`workflow.controller.list`), as the parallel 720aab63 line
//! did and the newer MCP server expects (consumers §2.2, §5.1).
//!
//! `workflowReadyTool` is that line's too; its RPC name is an inference
//! (`client::methods::WORKFLOW_READY`).

mod request;
mod validate;

#[cfg(test)]
mod tests;

use serde_json::Value;

pub use request::{CallArg, ClientCall, Request};

use super::args::Args;
use super::supervisor_client::get_supervisor_client;
use crate::error::CoreResult;

/// The workflow tools, one per export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkflowTool {
    Status,
    Wait,
    Inspect,
    Events,
    Complete,
    Gate,
    ControllerStatus,
    ControllerList,
    ControllerCreate,
    ControllerEnable,
    ControllerDisable,
    /// The parallel 720aab63 line's `workflowReadyTool`.
    Ready,
}

/// A request that passed validation, and where to send it.
#[derive(Debug, PartialEq)]
pub struct Validated {
    pub request: Request,
    pub supervisor_id: Option<String>,
}

impl WorkflowTool {
    /// Checks `args` (errors carry the original messages) and builds the request.
    pub fn validate(self, args: &Args) -> CoreResult<Validated> {
        Ok(Validated {
            request: validate::request(self, args)?,
            supervisor_id: super::args::supervisor_id(args),
        })
    }
}

/// Sends a validated request over `getSupervisorClient` (§6.2): the singleton
/// without a supervisor id, else that supervisor, whose connection is closed
/// afterwards.
pub async fn execute(v: Validated) -> CoreResult<Option<Value>> {
    let target = get_supervisor_client(v.supervisor_id.as_deref()).await?;
    let rpc = v.request.rpc();
    let outcome = target.client.call(rpc.method, rpc.params).await;
    target.finish().await;
    outcome
}

/// The exported tool: validate, then execute.
pub async fn run(tool: WorkflowTool, args: Args) -> CoreResult<Option<Value>> {
    execute(tool.validate(&args)?).await
}
