//! JS surface of the control-socket client: `dial()` and the `Client` class
//! (core-spec §3–§4). Every method is a thin call into `crate::client`.

use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::{Map, Value};

use super::events::EventIterator;
use super::promise::{settle, settle_json, settle_void, Json};
use crate::client::{methods, methods::Rpc, ControlClient, DEFAULT_CALL_TIMEOUT};

#[napi(object)]
pub struct DialOptions {
    /// Per-call timeout in milliseconds (default 30 000).
    pub call_timeout_ms: Option<f64>,
}

/// A connection as JS holds it. A connection JS dialled itself is closed when
/// the last JS object using it is collected; a supervisor's is not (it owns it).
pub(crate) struct ClientHandle {
    pub client: ControlClient,
    close_on_drop: bool,
}

impl Drop for ClientHandle {
    fn drop(&mut self) {
        if self.close_on_drop {
            self.client.close();
        }
    }
}

fn call_timeout(opts: Option<&DialOptions>) -> Duration {
    match opts.and_then(|o| o.call_timeout_ms) {
        // Non-finite or negative values fall back to the default (documented choice).
        Some(ms) if ms.is_finite() && ms >= 0.0 => Duration::from_secs_f64(ms / 1000.0),
        _ => DEFAULT_CALL_TIMEOUT,
    }
}

/// Opens a connection to the daemon's control socket.
#[napi(ts_return_type = "Promise<Client>")]
pub fn dial<'env>(
    env: &'env Env,
    socket_path: String,
    opts: Option<DialOptions>,
) -> Result<PromiseRaw<'env, Client>> {
    let timeout = call_timeout(opts.as_ref());
    settle(
        env,
        async move { crate::client::dial(&socket_path, timeout).await },
        |_, client| Ok(Client::owned(client)),
    )
}

/// A connection to the avenor daemon, as returned by `dial()`.
#[napi]
pub struct Client {
    handle: Arc<ClientHandle>,
}

impl Client {
    /// A client JS owns (closed when collected).
    pub(crate) fn owned(client: ControlClient) -> Self {
        Client {
            handle: Arc::new(ClientHandle {
                client,
                close_on_drop: true,
            }),
        }
    }

    /// A view of a connection someone else owns (the supervisor's).
    pub(crate) fn borrowed(client: ControlClient) -> Self {
        Client {
            handle: Arc::new(ClientHandle {
                client,
                close_on_drop: false,
            }),
        }
    }

    fn control(&self) -> ControlClient {
        self.handle.client.clone()
    }

    // The request is sent (or queued in call order) here, on the calling
    // thread, so typed methods reach the socket in the order JS called them.
    fn send<'env>(&self, env: &'env Env, rpc: Rpc) -> Result<PromiseRaw<'env, Json>> {
        let started = self
            .handle
            .client
            .start_call(rpc.method, rpc.params.as_ref());
        settle_json(env, async move { started?.finish().await })
    }

    fn send_void<'env>(&self, env: &'env Env, rpc: Rpc) -> Result<PromiseRaw<'env, Json>> {
        let started = self
            .handle
            .client
            .start_call(rpc.method, rpc.params.as_ref());
        settle_void(env, async move { started?.finish().await })
    }
}

#[napi]
impl Client {
    /// Sends one JSON-RPC request and resolves with its `result`.
    #[napi(ts_return_type = "Promise<any>")]
    pub fn call<'env>(
        &self,
        env: &'env Env,
        method: String,
        params: Option<Value>,
    ) -> Result<PromiseRaw<'env, Json>> {
        let started = self.handle.client.start_call(&method, params.as_ref());
        settle_json(env, async move { started?.finish().await })
    }

    #[napi(ts_return_type = "Promise<any>")]
    pub fn status<'env>(
        &self,
        env: &'env Env,
        runtime_id: Option<String>,
    ) -> Result<PromiseRaw<'env, Json>> {
        self.send(env, methods::status(runtime_id.as_deref()))
    }

    #[napi(ts_return_type = "Promise<any[]>")]
    pub fn list<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, Json>> {
        self.send(env, methods::list())
    }

    #[napi(ts_return_type = "Promise<SpawnResult>")]
    pub fn spawn<'env>(&self, env: &'env Env, params: Value) -> Result<PromiseRaw<'env, Json>> {
        self.send(env, methods::spawn(params))
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn shutdown<'env>(
        &self,
        env: &'env Env,
        mode: Option<String>,
    ) -> Result<PromiseRaw<'env, Json>> {
        self.send_void(env, methods::shutdown(mode.as_deref()))
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn answer_permission<'env>(
        &self,
        env: &'env Env,
        runtime_id: String,
        request_id: String,
        option_id: String,
        message: Option<String>,
    ) -> Result<PromiseRaw<'env, Json>> {
        self.send_void(
            env,
            methods::answer_permission(&runtime_id, &request_id, &option_id, message.as_deref()),
        )
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn prompt<'env>(
        &self,
        env: &'env Env,
        runtime_id: String,
        text: String,
    ) -> Result<PromiseRaw<'env, Json>> {
        self.send_void(env, methods::prompt(&runtime_id, &text))
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn cancel<'env>(
        &self,
        env: &'env Env,
        runtime_id: Option<String>,
    ) -> Result<PromiseRaw<'env, Json>> {
        self.send_void(env, methods::cancel(runtime_id.as_deref()))
    }

    #[napi(
        ts_args_type = "opts: HistoryOptions",
        ts_return_type = "Promise<HistoryResult>"
    )]
    pub fn history<'env>(
        &self,
        env: &'env Env,
        opts: Option<Value>,
    ) -> Result<PromiseRaw<'env, Json>> {
        self.send(env, methods::history(opts.as_ref()))
    }

    #[napi(ts_return_type = "Promise<any>")]
    pub fn result<'env>(
        &self,
        env: &'env Env,
        runtime_id: Option<String>,
    ) -> Result<PromiseRaw<'env, Json>> {
        self.send(env, methods::result(runtime_id.as_deref()))
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn interrupt_and_prompt<'env>(
        &self,
        env: &'env Env,
        runtime_id: String,
        text: String,
        keep_queue: Option<bool>,
    ) -> Result<PromiseRaw<'env, Json>> {
        self.send_void(
            env,
            methods::interrupt_and_prompt(&runtime_id, &text, keep_queue.unwrap_or(false)),
        )
    }

    /// Subscribes this connection to events (once; see the README).
    #[napi(
        ts_args_type = "opts?: SubscribeOptions",
        ts_return_type = "Promise<void>"
    )]
    pub fn subscribe<'env>(
        &self,
        env: &'env Env,
        opts: Option<Value>,
    ) -> Result<PromiseRaw<'env, Json>> {
        let client = self.control();
        settle_void(env, async move { client.subscribe(opts.as_ref()).await })
    }

    /// An async iterator (and iterable) over this connection's events.
    #[napi(
        ts_args_type = "opts?: SubscribeOptions",
        ts_return_type = "EventIterator"
    )]
    pub fn events<'env>(
        &self,
        env: &'env Env,
        opts: Option<Value>,
    ) -> Result<ClassInstance<'env, EventIterator>> {
        EventIterator::create(env, self.handle.clone(), opts)
    }

    #[napi(ts_return_type = "Promise<any>")]
    pub fn workflow_status<'env>(
        &self,
        env: &'env Env,
        workflow_id: String,
    ) -> Result<PromiseRaw<'env, Json>> {
        self.send(env, methods::workflow_status(&workflow_id))
    }

    #[napi(ts_return_type = "Promise<any>")]
    pub fn workflow_inspect<'env>(
        &self,
        env: &'env Env,
        workflow_id: String,
    ) -> Result<PromiseRaw<'env, Json>> {
        self.send(env, methods::workflow_inspect(&workflow_id))
    }

    #[napi(ts_return_type = "Promise<any>")]
    pub fn workflow_wait<'env>(
        &self,
        env: &'env Env,
        workflow_id: String,
        timeout_ms: Option<f64>,
    ) -> Result<PromiseRaw<'env, Json>> {
        self.send(env, methods::workflow_wait(&workflow_id, timeout_ms))
    }

    #[napi(
        ts_args_type = "workflowId: string, opts?: { afterSeq?: number; limit?: number }",
        ts_return_type = "Promise<any>"
    )]
    pub fn workflow_events<'env>(
        &self,
        env: &'env Env,
        workflow_id: String,
        opts: Option<Value>,
    ) -> Result<PromiseRaw<'env, Json>> {
        self.send(env, methods::workflow_events(&workflow_id, opts.as_ref()))
    }

    #[napi(ts_return_type = "Promise<any>")]
    pub fn workflow_command<'env>(
        &self,
        env: &'env Env,
        workflow_id: String,
        command: Value,
    ) -> Result<PromiseRaw<'env, Json>> {
        self.send(env, methods::workflow_command(&workflow_id, command))
    }

    #[napi(
        ts_args_type = "params: WorkflowCompleteParams",
        ts_return_type = "Promise<any>"
    )]
    pub fn workflow_complete<'env>(
        &self,
        env: &'env Env,
        params: Map<String, Value>,
    ) -> Result<PromiseRaw<'env, Json>> {
        self.send(env, methods::workflow_complete(&params))
    }

    #[napi(
        ts_args_type = "params: WorkflowGateParams",
        ts_return_type = "Promise<any>"
    )]
    pub fn workflow_gate<'env>(
        &self,
        env: &'env Env,
        params: Map<String, Value>,
    ) -> Result<PromiseRaw<'env, Json>> {
        self.send(env, methods::workflow_gate(&params))
    }

    #[napi(
        ts_args_type = "params: WorkflowHeartbeatParams",
        ts_return_type = "Promise<any>"
    )]
    pub fn workflow_heartbeat<'env>(
        &self,
        env: &'env Env,
        params: Map<String, Value>,
    ) -> Result<PromiseRaw<'env, Json>> {
        self.send(env, methods::workflow_heartbeat(&params))
    }

    #[napi(ts_return_type = "Promise<any>")]
    pub fn workflow_controller_status<'env>(
        &self,
        env: &'env Env,
        controller_id: String,
    ) -> Result<PromiseRaw<'env, Json>> {
        self.send(env, methods::workflow_controller_status(&controller_id))
    }

    #[napi(ts_return_type = "Promise<any>")]
    pub fn workflow_controller_enable<'env>(
        &self,
        env: &'env Env,
        controller_id: String,
    ) -> Result<PromiseRaw<'env, Json>> {
        self.send(env, methods::workflow_controller_enable(&controller_id))
    }

    #[napi(ts_return_type = "Promise<any>")]
    pub fn workflow_controller_list<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, Json>> {
        self.send(env, methods::workflow_controller_list())
    }

    #[napi(
        ts_args_type = "params: WorkflowControllerCreateParams",
        ts_return_type = "Promise<any>"
    )]
    pub fn workflow_controller_create<'env>(
        &self,
        env: &'env Env,
        params: Value,
    ) -> Result<PromiseRaw<'env, Json>> {
        self.send(env, methods::workflow_controller_create(&params))
    }

    #[napi(ts_return_type = "Promise<any>")]
    pub fn workflow_controller_disable<'env>(
        &self,
        env: &'env Env,
        controller_id: String,
        reason: String,
    ) -> Result<PromiseRaw<'env, Json>> {
        self.send(
            env,
            methods::workflow_controller_disable(&controller_id, &reason),
        )
    }

    /// A controller's ready work (`workflow.ready`, see `methods::WORKFLOW_READY`).
    #[napi(ts_return_type = "Promise<any>")]
    pub fn workflow_ready<'env>(
        &self,
        env: &'env Env,
        controller_id: String,
        limit: Option<f64>,
    ) -> Result<PromiseRaw<'env, Json>> {
        let limit = limit.map(crate::jsval::number_value);
        self.send(env, methods::workflow_ready(&controller_id, limit.as_ref()))
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn broker_send<'env>(
        &self,
        env: &'env Env,
        from_run_id: String,
        to_run_id: String,
        message: String,
        role: Option<String>,
    ) -> Result<PromiseRaw<'env, Json>> {
        self.send_void(
            env,
            methods::broker_send(&from_run_id, &to_run_id, &message, role.as_deref()),
        )
    }

    #[napi(ts_return_type = "Promise<any>")]
    pub fn broker_ask<'env>(
        &self,
        env: &'env Env,
        to_run_id: String,
        message: String,
        role: Option<String>,
    ) -> Result<PromiseRaw<'env, Json>> {
        self.send(
            env,
            methods::broker_ask(&to_run_id, &message, role.as_deref()),
        )
    }

    #[napi(ts_return_type = "Promise<any[]>")]
    pub fn broker_peers<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, Json>> {
        let client = self.control();
        let rpc = methods::broker_peers();
        settle_json(env, async move {
            let result = client.call(rpc.method, rpc.params).await?;
            Ok(Some(methods::peers_of(result)))
        })
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn broker_cancel<'env>(
        &self,
        env: &'env Env,
        message_id: String,
    ) -> Result<PromiseRaw<'env, Json>> {
        self.send_void(env, methods::broker_cancel(&message_id))
    }

    #[napi(ts_return_type = "Promise<any[]>")]
    pub fn broker_receive<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, Json>> {
        self.send(env, methods::broker_receive())
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn broker_reply<'env>(
        &self,
        env: &'env Env,
        to_run_id: String,
        reply_to: String,
        message: String,
    ) -> Result<PromiseRaw<'env, Json>> {
        self.send_void(env, methods::broker_reply(&to_run_id, &reply_to, &message))
    }

    /// True after `close()`, or once the socket was closed or failed.
    #[napi]
    pub fn is_closed(&self) -> bool {
        self.handle.client.is_closed()
    }

    /// Closes the connection; idempotent, never throws.
    #[napi]
    pub fn close(&self) {
        self.handle.client.close();
    }
}
