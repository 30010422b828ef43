//! JS surface of the workflow and workflow-controller tools (core-spec §14.4):
//! each exported tool plus its `create<Name>Tool(getSupervisorClient)` factory.
//! Validation and requests live in `crate::tools::workflow`; the factory
//! machinery is the shared `tool_call::workflow_factory`.

use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;

use super::promise::Json;
use super::tool_call::{settle_tool, workflow_factory, FactoryTool, GetSupervisorClient};
use crate::tools::args::args_of;
use crate::tools::workflow::{self, WorkflowTool};

fn tool<'env>(
    env: &'env Env,
    args: Option<Value>,
    which: WorkflowTool,
) -> Result<PromiseRaw<'env, Json>> {
    settle_tool(env, workflow::run(which, args_of(args)))
}

/// A workflow's status (`workflow.status`).
#[napi(
    ts_args_type = "args: WorkflowStatusToolArgs",
    ts_return_type = "Promise<WorkflowStatusResult>"
)]
pub fn workflow_status_tool<'env>(
    env: &'env Env,
    args: Option<Value>,
) -> Result<PromiseRaw<'env, Json>> {
    tool(env, args, WorkflowTool::Status)
}

/// `workflowStatusTool` driven through the caller's `getSupervisorClient`.
#[napi(
    ts_args_type = "getSupervisorClient: GetSupervisorClient",
    ts_return_type = "(args: WorkflowStatusToolArgs) => Promise<WorkflowStatusResult>"
)]
pub fn create_workflow_status_tool<'env>(
    env: &'env Env,
    get_supervisor_client: GetSupervisorClient<'env>,
) -> Result<FactoryTool<'env>> {
    workflow_factory(
        env,
        "workflowStatusTool",
        get_supervisor_client,
        WorkflowTool::Status,
    )
}

/// Waits for a workflow (`workflow.wait`, `timeout_ms` default 30 000).
#[napi(
    ts_args_type = "args: WorkflowWaitToolArgs",
    ts_return_type = "Promise<WorkflowWaitResult>"
)]
pub fn workflow_wait_tool<'env>(
    env: &'env Env,
    args: Option<Value>,
) -> Result<PromiseRaw<'env, Json>> {
    tool(env, args, WorkflowTool::Wait)
}

/// `workflowWaitTool` driven through the caller's `getSupervisorClient`.
#[napi(
    ts_args_type = "getSupervisorClient: GetSupervisorClient",
    ts_return_type = "(args: WorkflowWaitToolArgs) => Promise<WorkflowWaitResult>"
)]
pub fn create_workflow_wait_tool<'env>(
    env: &'env Env,
    get_supervisor_client: GetSupervisorClient<'env>,
) -> Result<FactoryTool<'env>> {
    workflow_factory(
        env,
        "workflowWaitTool",
        get_supervisor_client,
        WorkflowTool::Wait,
    )
}

/// A workflow's full record (`workflow.inspect`).
#[napi(
    ts_args_type = "args: WorkflowInspectToolArgs",
    ts_return_type = "Promise<WorkflowInspectResult>"
)]
pub fn workflow_inspect_tool<'env>(
    env: &'env Env,
    args: Option<Value>,
) -> Result<PromiseRaw<'env, Json>> {
    tool(env, args, WorkflowTool::Inspect)
}

/// `workflowInspectTool` driven through the caller's `getSupervisorClient`.
#[napi(
    ts_args_type = "getSupervisorClient: GetSupervisorClient",
    ts_return_type = "(args: WorkflowInspectToolArgs) => Promise<WorkflowInspectResult>"
)]
pub fn create_workflow_inspect_tool<'env>(
    env: &'env Env,
    get_supervisor_client: GetSupervisorClient<'env>,
) -> Result<FactoryTool<'env>> {
    workflow_factory(
        env,
        "workflowInspectTool",
        get_supervisor_client,
        WorkflowTool::Inspect,
    )
}

/// A workflow's events (`workflow.events`).
#[napi(
    ts_args_type = "args: WorkflowEventsToolArgs",
    ts_return_type = "Promise<WorkflowEventsResult>"
)]
pub fn workflow_events_tool<'env>(
    env: &'env Env,
    args: Option<Value>,
) -> Result<PromiseRaw<'env, Json>> {
    tool(env, args, WorkflowTool::Events)
}

/// `workflowEventsTool` driven through the caller's `getSupervisorClient`.
#[napi(
    ts_args_type = "getSupervisorClient: GetSupervisorClient",
    ts_return_type = "(args: WorkflowEventsToolArgs) => Promise<WorkflowEventsResult>"
)]
pub fn create_workflow_events_tool<'env>(
    env: &'env Env,
    get_supervisor_client: GetSupervisorClient<'env>,
) -> Result<FactoryTool<'env>> {
    workflow_factory(
        env,
        "workflowEventsTool",
        get_supervisor_client,
        WorkflowTool::Events,
    )
}

/// Completes a workflow node (`workflow.command` op `complete`).
#[napi(
    ts_args_type = "args: WorkflowCompleteToolArgs",
    ts_return_type = "Promise<WorkflowCompleteResult>"
)]
pub fn workflow_complete_tool<'env>(
    env: &'env Env,
    args: Option<Value>,
) -> Result<PromiseRaw<'env, Json>> {
    tool(env, args, WorkflowTool::Complete)
}

/// `workflowCompleteTool` driven through the caller's `getSupervisorClient`.
#[napi(
    ts_args_type = "getSupervisorClient: GetSupervisorClient",
    ts_return_type = "(args: WorkflowCompleteToolArgs) => Promise<WorkflowCompleteResult>"
)]
pub fn create_workflow_complete_tool<'env>(
    env: &'env Env,
    get_supervisor_client: GetSupervisorClient<'env>,
) -> Result<FactoryTool<'env>> {
    workflow_factory(
        env,
        "workflowCompleteTool",
        get_supervisor_client,
        WorkflowTool::Complete,
    )
}

/// Operates a workflow gate (`workflow.command` op `gate`).
#[napi(
    ts_args_type = "args: WorkflowGateToolArgs",
    ts_return_type = "Promise<WorkflowGateResult>"
)]
pub fn workflow_gate_tool<'env>(
    env: &'env Env,
    args: Option<Value>,
) -> Result<PromiseRaw<'env, Json>> {
    tool(env, args, WorkflowTool::Gate)
}

/// `workflowGateTool` driven through the caller's `getSupervisorClient`.
#[napi(
    ts_args_type = "getSupervisorClient: GetSupervisorClient",
    ts_return_type = "(args: WorkflowGateToolArgs) => Promise<WorkflowGateResult>"
)]
pub fn create_workflow_gate_tool<'env>(
    env: &'env Env,
    get_supervisor_client: GetSupervisorClient<'env>,
) -> Result<FactoryTool<'env>> {
    workflow_factory(
        env,
        "workflowGateTool",
        get_supervisor_client,
        WorkflowTool::Gate,
    )
}

/// A controller's status, or without `controllerId` the controller list.
#[napi(
    ts_args_type = "args: WorkflowControllerStatusToolArgs",
    ts_return_type = "Promise<WorkflowControllerStatusResult>"
)]
pub fn workflow_controller_status_tool<'env>(
    env: &'env Env,
    args: Option<Value>,
) -> Result<PromiseRaw<'env, Json>> {
    tool(env, args, WorkflowTool::ControllerStatus)
}

/// `workflowControllerStatusTool` driven through the caller's `getSupervisorClient`.
#[napi(
    ts_args_type = "getSupervisorClient: GetSupervisorClient",
    ts_return_type = "(args: WorkflowControllerStatusToolArgs) => Promise<WorkflowControllerStatusResult>"
)]
pub fn create_workflow_controller_status_tool<'env>(
    env: &'env Env,
    get_supervisor_client: GetSupervisorClient<'env>,
) -> Result<FactoryTool<'env>> {
    workflow_factory(
        env,
        "workflowControllerStatusTool",
        get_supervisor_client,
        WorkflowTool::ControllerStatus,
    )
}

/// The workflow controllers (`workflow.controller.list`).
#[napi(
    ts_args_type = "args: WorkflowControllerListToolArgs",
    ts_return_type = "Promise<WorkflowControllerListResult>"
)]
pub fn workflow_controller_list_tool<'env>(
    env: &'env Env,
    args: Option<Value>,
) -> Result<PromiseRaw<'env, Json>> {
    tool(env, args, WorkflowTool::ControllerList)
}

/// `workflowControllerListTool` driven through the caller's `getSupervisorClient`.
#[napi(
    ts_args_type = "getSupervisorClient: GetSupervisorClient",
    ts_return_type = "(args: WorkflowControllerListToolArgs) => Promise<WorkflowControllerListResult>"
)]
pub fn create_workflow_controller_list_tool<'env>(
    env: &'env Env,
    get_supervisor_client: GetSupervisorClient<'env>,
) -> Result<FactoryTool<'env>> {
    workflow_factory(
        env,
        "workflowControllerListTool",
        get_supervisor_client,
        WorkflowTool::ControllerList,
    )
}

/// Creates a workflow controller.
#[napi(
    ts_args_type = "args: WorkflowControllerCreateToolArgs",
    ts_return_type = "Promise<WorkflowControllerRecord>"
)]
pub fn workflow_controller_create_tool<'env>(
    env: &'env Env,
    args: Option<Value>,
) -> Result<PromiseRaw<'env, Json>> {
    tool(env, args, WorkflowTool::ControllerCreate)
}

/// `workflowControllerCreateTool` driven through the caller's `getSupervisorClient`.
#[napi(
    ts_args_type = "getSupervisorClient: GetSupervisorClient",
    ts_return_type = "(args: WorkflowControllerCreateToolArgs) => Promise<WorkflowControllerRecord>"
)]
pub fn create_workflow_controller_create_tool<'env>(
    env: &'env Env,
    get_supervisor_client: GetSupervisorClient<'env>,
) -> Result<FactoryTool<'env>> {
    workflow_factory(
        env,
        "workflowControllerCreateTool",
        get_supervisor_client,
        WorkflowTool::ControllerCreate,
    )
}

/// Enables a workflow controller.
#[napi(
    ts_args_type = "args: WorkflowControllerEnableToolArgs",
    ts_return_type = "Promise<WorkflowControllerRecord>"
)]
pub fn workflow_controller_enable_tool<'env>(
    env: &'env Env,
    args: Option<Value>,
) -> Result<PromiseRaw<'env, Json>> {
    tool(env, args, WorkflowTool::ControllerEnable)
}

/// `workflowControllerEnableTool` driven through the caller's `getSupervisorClient`.
#[napi(
    ts_args_type = "getSupervisorClient: GetSupervisorClient",
    ts_return_type = "(args: WorkflowControllerEnableToolArgs) => Promise<WorkflowControllerRecord>"
)]
pub fn create_workflow_controller_enable_tool<'env>(
    env: &'env Env,
    get_supervisor_client: GetSupervisorClient<'env>,
) -> Result<FactoryTool<'env>> {
    workflow_factory(
        env,
        "workflowControllerEnableTool",
        get_supervisor_client,
        WorkflowTool::ControllerEnable,
    )
}

/// Disables a workflow controller (a reason is required).
#[napi(
    ts_args_type = "args: WorkflowControllerDisableToolArgs",
    ts_return_type = "Promise<WorkflowControllerRecord>"
)]
pub fn workflow_controller_disable_tool<'env>(
    env: &'env Env,
    args: Option<Value>,
) -> Result<PromiseRaw<'env, Json>> {
    tool(env, args, WorkflowTool::ControllerDisable)
}

/// `workflowControllerDisableTool` driven through the caller's `getSupervisorClient`.
#[napi(
    ts_args_type = "getSupervisorClient: GetSupervisorClient",
    ts_return_type = "(args: WorkflowControllerDisableToolArgs) => Promise<WorkflowControllerRecord>"
)]
pub fn create_workflow_controller_disable_tool<'env>(
    env: &'env Env,
    get_supervisor_client: GetSupervisorClient<'env>,
) -> Result<FactoryTool<'env>> {
    workflow_factory(
        env,
        "workflowControllerDisableTool",
        get_supervisor_client,
        WorkflowTool::ControllerDisable,
    )
}

/// The ready work of a controller (`workflow.ready`); `limit` is passed as given.
#[napi(
    ts_args_type = "args: WorkflowReadyToolArgs",
    ts_return_type = "Promise<WorkflowReadyResult>"
)]
pub fn workflow_ready_tool<'env>(
    env: &'env Env,
    args: Option<Value>,
) -> Result<PromiseRaw<'env, Json>> {
    tool(env, args, WorkflowTool::Ready)
}

/// `workflowReadyTool` driven through the caller's `getSupervisorClient`.
#[napi(
    ts_args_type = "getSupervisorClient: GetSupervisorClient",
    ts_return_type = "(args: WorkflowReadyToolArgs) => Promise<WorkflowReadyResult>"
)]
pub fn create_workflow_ready_tool<'env>(
    env: &'env Env,
    get_supervisor_client: GetSupervisorClient<'env>,
) -> Result<FactoryTool<'env>> {
    workflow_factory(
        env,
        "workflowReadyTool",
        get_supervisor_client,
        WorkflowTool::Ready,
    )
}
