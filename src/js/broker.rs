//! JS surface of the broker tools (core-spec §14.3).

use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;

use super::promise::Json;
use super::tool_call::run_tool;
use crate::tools::broker;

/// Asks a run and waits for its reply: `{ reply, from_run_id }`.
#[napi(
    ts_args_type = "args: AskToolArgs",
    ts_return_type = "Promise<AskResult>"
)]
pub fn ask_tool<'env>(env: &'env Env, args: Option<Value>) -> Result<PromiseRaw<'env, Json>> {
    run_tool(env, args, broker::ask_tool)
}

/// The broker's sessions: `{ peers }`.
#[napi(
    ts_args_type = "args?: PeersToolArgs",
    ts_return_type = "Promise<PeersResult>"
)]
pub fn peers_tool<'env>(env: &'env Env, args: Option<Value>) -> Result<PromiseRaw<'env, Json>> {
    run_tool(env, args, broker::peers_tool)
}

/// Cancels a pending ask by its message id: `{ cancelled: true }`.
#[napi(
    ts_args_type = "args: CancelToolArgs",
    ts_return_type = "Promise<CancelResult>"
)]
pub fn cancel_tool<'env>(env: &'env Env, args: Option<Value>) -> Result<PromiseRaw<'env, Json>> {
    run_tool(env, args, broker::cancel_tool)
}

/// The pending asks addressed to the supervisor: `{ asks }`.
#[napi(
    ts_args_type = "args?: BrokerReceiveArgs",
    ts_return_type = "Promise<BrokerReceiveResult>"
)]
pub fn broker_receive_tool<'env>(
    env: &'env Env,
    args: Option<Value>,
) -> Result<PromiseRaw<'env, Json>> {
    run_tool(env, args, broker::broker_receive_tool)
}

/// Answers an ask addressed to the supervisor: `{ ok: true }`.
#[napi(
    ts_args_type = "args: BrokerReplyArgs",
    ts_return_type = "Promise<BrokerReplyResult>"
)]
pub fn broker_reply_tool<'env>(
    env: &'env Env,
    args: Option<Value>,
) -> Result<PromiseRaw<'env, Json>> {
    run_tool(env, args, broker::broker_reply_tool)
}
