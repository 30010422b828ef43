//! JS surface of the broker tools (core-spec §14.3).

use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;

use super::promise::Json;
use super::tool_call::settle_tool;
use crate::tools::args::args_of;
use crate::tools::broker;

/// Asks a run and waits for its reply: `{ reply, from_run_id }`.
#[napi(
    ts_args_type = "args: AskToolArgs",
    ts_return_type = "Promise<AskResult>"
)]
pub fn ask_tool<'env>(env: &'env Env, args: Option<Value>) -> Result<PromiseRaw<'env, Json>> {
    settle_tool(env, async move {
        broker::ask_tool(args_of(args)).await.map(Some)
    })
}

/// The broker's sessions: `{ peers }`.
#[napi(
    ts_args_type = "args?: PeersToolArgs",
    ts_return_type = "Promise<PeersResult>"
)]
pub fn peers_tool<'env>(env: &'env Env, args: Option<Value>) -> Result<PromiseRaw<'env, Json>> {
    settle_tool(env, async move {
        broker::peers_tool(args_of(args)).await.map(Some)
    })
}

/// Cancels a pending ask by its message id: `{ cancelled: true }`.
#[napi(
    ts_args_type = "args: CancelToolArgs",
    ts_return_type = "Promise<CancelResult>"
)]
pub fn cancel_tool<'env>(env: &'env Env, args: Option<Value>) -> Result<PromiseRaw<'env, Json>> {
    settle_tool(env, async move {
        broker::cancel_tool(args_of(args)).await.map(Some)
    })
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
    settle_tool(env, async move {
        broker::broker_receive_tool(args_of(args)).await.map(Some)
    })
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
    settle_tool(env, async move {
        broker::broker_reply_tool(args_of(args)).await.map(Some)
    })
}
