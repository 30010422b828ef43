//! JS surface of the tool functions: each takes the caller's argument object,
//! runs the Rust tool on Tokio and resolves with a plain JSON result.

use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;

use serde_json::Map;

use super::args;
use super::exit_hooks;
use super::json::json_of;
use super::promise::Json;
use super::tool_call::{run_tool as run, settle_tool};
use crate::tools::result::{result_tool as run_result_tool, AbortFlag};
use crate::tools::{answer_permission, events, follow_up, inspect, shutdown, spawn};

/// Spawns a run (auto-starting the daemon unless `supervisorId` is given).
#[napi(
    ts_args_type = "args: SpawnToolArgs",
    ts_return_type = "Promise<SpawnToolResult>"
)]
pub fn spawn_tool<'env>(env: &'env Env, args: Option<Value>) -> Result<PromiseRaw<'env, Json>> {
    run(env, args, spawn::spawn_tool)
}

/// One run's status (`runId`), or an array for every runtime of the daemon.
#[napi(
    ts_args_type = "args: StatusToolArgs",
    ts_return_type = "Promise<StatusResult | StatusResult[]>"
)]
pub fn status_tool<'env>(env: &'env Env, args: Option<Value>) -> Result<PromiseRaw<'env, Json>> {
    super::tool_call::run_status_tool(env, args)
}

/// Answers a run's pending permission request.
#[napi(
    ts_args_type = "args: AnswerPermissionToolArgs",
    ts_return_type = "Promise<{ ok: true }>"
)]
pub fn answer_permission_tool<'env>(
    env: &'env Env,
    args: Option<Value>,
) -> Result<PromiseRaw<'env, Json>> {
    run(env, args, answer_permission::answer_permission_tool)
}

/// Resumes a run's session with a new prompt, as a new run.
#[napi(
    ts_args_type = "args: FollowUpToolArgs",
    ts_return_type = "Promise<FollowUpToolResult>"
)]
pub fn follow_up_tool<'env>(env: &'env Env, args: Option<Value>) -> Result<PromiseRaw<'env, Json>> {
    run(env, args, follow_up::follow_up_tool)
}

/// Shuts the daemon down and removes the runs' sentinels and event logs.
#[napi(
    ts_args_type = "args?: ShutdownToolArgs",
    ts_return_type = "Promise<{ ok: true; cleaned_up: string[] }>"
)]
pub fn shutdown_tool<'env>(env: &'env Env, args: Option<Value>) -> Result<PromiseRaw<'env, Json>> {
    run(env, args, shutdown::shutdown_tool)
}

/// The newest events of a run from its log (or the daemon's history).
#[napi(
    ts_args_type = "args: EventsToolArgs",
    ts_return_type = "Promise<{ events: Event[] }>"
)]
pub fn events_tool<'env>(env: &'env Env, args: Option<Value>) -> Result<PromiseRaw<'env, Json>> {
    run(env, args, events::events_tool)
}

/// Status, recent events folded into a snapshot, transcript, tools and permissions.
#[napi(
    ts_args_type = "args: InspectToolArgs",
    ts_return_type = "Promise<InspectResult>"
)]
pub fn inspect_tool<'env>(env: &'env Env, args: Option<Value>) -> Result<PromiseRaw<'env, Json>> {
    run(env, args, inspect::inspect_tool)
}

/// Connects `signal` (an AbortSignal) to `flag`: already aborted, or on `abort`.
pub const NOT_A_SIGNAL: &str = "resultTool: signal must be an AbortSignal";

fn watch_signal(env: &Env, signal: Object, flag: &Arc<AbortFlag>) -> Result<()> {
    let aborted: Unknown = signal.get_named_property("aborted")?;
    if aborted.coerce_to_bool()? {
        flag.abort();
        return Ok(());
    }
    let add: Unknown = signal.get_named_property("addEventListener")?;
    if add.get_type()? != ValueType::Function {
        return Err(Error::from_reason(NOT_A_SIGNAL));
    }
    let add: exit_hooks::AddListener = unsafe { add.cast() }?;
    let target = flag.clone();
    let on_abort: Function<(), ()> =
        env.create_function_from_closure("avenorResultAbort", move |_| {
            target.abort();
            Ok(())
        })?;
    add.apply(signal, FnArgs::from(("abort", on_abort)))?;
    Ok(())
}

/// resultTool's members as JSON, with `signal` hooked up to `abort`.
fn result_args(
    env: &Env,
    args: Option<Unknown>,
    abort: &Arc<AbortFlag>,
) -> Result<Map<String, Value>> {
    let mut plain = Map::new();
    // Only an object has members to read: a primitive (a 10 MB string, say)
    // reads as no arguments, as `args.runId` on it would, instead of having its
    // characters enumerated as keys.
    let Some(args) = args.filter(|a| a.get_type().ok() == Some(ValueType::Object)) else {
        return Ok(plain);
    };
    let args: Object = unsafe { args.cast() }?;
    for key in Object::keys(&args)? {
        let value: Unknown = args.get_named_property(&key)?;
        if key == "signal" {
            match value.get_type()? {
                ValueType::Undefined | ValueType::Null => {}
                ValueType::Object => watch_signal(env, unsafe { value.cast() }?, abort)?,
                _ => return Err(Error::from_reason(NOT_A_SIGNAL)),
            }
        } else if let Some(v) = json_of(Some(value)) {
            plain.insert(key, v);
        }
    }
    Ok(plain)
}

/// Waits for a run's final output; `signal` (an AbortSignal) stops the wait at
/// once with an Error named `AbortError`.
#[napi(
    ts_args_type = "args: ResultToolArgs",
    ts_return_type = "Promise<ResultResult>"
)]
pub fn result_tool<'env>(env: &'env Env, args: Option<Unknown>) -> Result<PromiseRaw<'env, Json>> {
    let abort = Arc::new(AbortFlag::default());
    let plain = match result_args(env, args, &abort) {
        Ok(plain) => plain,
        Err(e) => return args::reject(env, args::ArgError::Message(e.reason)),
    };
    settle_tool(
        env,
        async move { run_result_tool(plain, abort).await.map(Some) },
    )
}
