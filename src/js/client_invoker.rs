//! Bun only: a connection's `Client` methods called through one plain
//! function per connection (its invoker) rather than as class methods. In
//! Bun a class method's call pays napi-rs's receiver checks and borrow
//! bookkeeping through Node-API, about 0.35–0.6 µs of a 64-way call's 4.5–5.5
//! µs of host CPU (medians of alternating runs); the invoker runs the same
//! method on a view of the same connection. `index.js` reaches it from the
//! wrapper Bun's `Client` methods already go through, so the prototype and
//! its methods stay as they are; Node keeps the class methods (no wrapper
//! there to reach it from).

use napi::bindgen_prelude::*;
use napi_derive::napi;

use super::client::Client;
use super::promise::Json;
use super::tool_call::Raw;

/// One promise-returning `Client` method, as the invoker calls it: at most
/// four arguments, missing ones `None` (as a class method sees them).
type Invoked =
    for<'env> fn(&Client, &'env Env, [Option<Unknown<'env>>; 4]) -> Result<PromiseRaw<'env, Json>>;

/// The methods the invoker calls, by their index in this table, and their JS
/// names (`method_names`).
const INVOKED: &[(&str, Invoked)] = &[
    ("call", |client, env, [a, b, ..]| client.call(env, a, b)),
    ("status", |client, env, [a, ..]| client.status(env, a)),
    ("list", |client, env, _| client.list(env)),
    ("spawn", |client, env, [a, ..]| client.spawn(env, a)),
    ("shutdown", |client, env, [a, ..]| client.shutdown(env, a)),
    ("answerPermission", |client, env, [a, b, c, d]| {
        client.answer_permission(env, a, b, c, d)
    }),
    ("prompt", |client, env, [a, b, ..]| client.prompt(env, a, b)),
    ("cancel", |client, env, [a, ..]| client.cancel(env, a)),
    ("history", |client, env, [a, ..]| client.history(env, a)),
    ("result", |client, env, [a, ..]| client.result(env, a)),
    ("interruptAndPrompt", |client, env, [a, b, c, ..]| {
        client.interrupt_and_prompt(env, a, b, c)
    }),
    ("subscribe", |client, env, [a, ..]| client.subscribe(env, a)),
    ("workflowStatus", |client, env, [a, ..]| {
        client.workflow_status(env, a)
    }),
    ("workflowInspect", |client, env, [a, ..]| {
        client.workflow_inspect(env, a)
    }),
    ("workflowWait", |client, env, [a, b, ..]| {
        client.workflow_wait(env, a, b)
    }),
    ("workflowEvents", |client, env, [a, b, ..]| {
        client.workflow_events(env, a, b)
    }),
    ("workflowCommand", |client, env, [a, b, ..]| {
        client.workflow_command(env, a, b)
    }),
    ("workflowComplete", |client, env, [a, ..]| {
        client.workflow_complete(env, a)
    }),
    ("workflowGate", |client, env, [a, ..]| {
        client.workflow_gate(env, a)
    }),
    ("workflowHeartbeat", |client, env, [a, ..]| {
        client.workflow_heartbeat(env, a)
    }),
    ("workflowControllerStatus", |client, env, [a, ..]| {
        client.workflow_controller_status(env, a)
    }),
    ("workflowControllerEnable", |client, env, [a, ..]| {
        client.workflow_controller_enable(env, a)
    }),
    ("workflowControllerList", |client, env, _| {
        client.workflow_controller_list(env)
    }),
    ("workflowControllerCreate", |client, env, [a, ..]| {
        client.workflow_controller_create(env, a)
    }),
    ("workflowControllerDisable", |client, env, [a, b, ..]| {
        client.workflow_controller_disable(env, a, b)
    }),
    ("workflowReady", |client, env, [a, b, ..]| {
        client.workflow_ready(env, a, b)
    }),
    ("brokerSend", |client, env, [a, b, c, d]| {
        client.broker_send(env, a, b, c, d)
    }),
    ("brokerAsk", |client, env, [a, b, c, ..]| {
        client.broker_ask(env, a, b, c)
    }),
    ("brokerPeers", |client, env, _| client.broker_peers(env)),
    ("brokerCancel", |client, env, [a, ..]| {
        client.broker_cancel(env, a)
    }),
    ("brokerReceive", |client, env, _| client.broker_receive(env)),
    ("brokerReply", |client, env, [a, b, c, ..]| {
        client.broker_reply(env, a, b, c)
    }),
];

/// The JS names of the invoked methods, in index order; `index.js` takes it
/// off the exports.
#[napi(js_name = "__clientInvokedMethods", skip_typescript)]
pub fn method_names() -> Vec<&'static str> {
    INVOKED.iter().map(|(name, _)| *name).collect()
}

/// `invoke(index, ...args)`: calls method `index` of `INVOKED` on `client`'s
/// connection and returns its promise.
pub fn create<'env>(env: &'env Env, client: Client) -> Result<Function<'env, (), Raw>> {
    env.create_function_from_closure("invoke", move |ctx| {
        let index: u32 = ctx.get(0)?;
        let Some((_, method)) = INVOKED.get(index as usize) else {
            return Err(Error::new(Status::InvalidArg, "no such Client method"));
        };
        let arg = |i: usize| {
            (i + 1 < ctx.length())
                .then(|| ctx.get::<Unknown>(i + 1))
                .transpose()
        };
        let args = [arg(0)?, arg(1)?, arg(2)?, arg(3)?];
        let promise = method(&client, ctx.env, args)?;
        Ok(Raw(promise.raw()))
    })
}
