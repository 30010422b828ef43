//! JS surface of the control-socket client: `dial()` and the `Client` class
//! (core-spec §3–§4). Every method is a thin call into `crate::client`.

use std::rc::Rc;
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;

use super::args::{self, ArgResult};
use super::client_invoker;
use super::events::{EventIterator, EventSource};
use super::host_socket;
use super::loop_client::{self, LoopClient, LoopOwner, Then};
use super::promise::{settle, settle_json, settle_void, Json};
use crate::client::{methods, methods::Rpc, ControlClient};

// Declares the TS interface of `dial`'s options; `call_timeout` reads them
// leniently from the raw object instead.
#[allow(dead_code)]
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

/// Opens a connection to the daemon's control socket.
#[napi(
    ts_args_type = "socketPath: string, opts?: DialOptions | undefined | null",
    ts_return_type = "Promise<Client>"
)]
pub fn dial<'env>(
    env: &'env Env,
    socket_path: Option<Unknown>,
    opts: Option<Unknown>,
) -> Result<PromiseRaw<'env, Client>> {
    let socket_path = match args::string(socket_path, "dial: socketPath") {
        Ok(p) => p,
        Err(e) => return args::reject(env, e).map(|p| PromiseRaw::new(env.raw(), p.raw())),
    };
    let timeout = args::call_timeout(&opts);
    // The host's own loop reads the connection where the runtime lets the
    // addon open a socket object (Node >= 20.16, Bun); elsewhere Tokio does.
    if host_socket::supported(env) {
        return settle(
            env,
            async move { loop_client::prepare(&socket_path, timeout).await },
            |env, prepared| Ok(Client::on_host_loop(LoopClient::start(env, prepared)?)),
        );
    }
    settle(
        env,
        async move { crate::client::dial(&socket_path, timeout).await },
        |_, client| Ok(Client::owned(client)),
    )
}

/// A connection to the avenor daemon, as returned by `dial()`.
#[napi]
pub struct Client {
    backend: Backend,
}

/// Who reads the connection.
#[derive(Clone)]
enum Backend {
    /// The host's event loop (a `dial()`ed connection).
    HostLoop(Rc<LoopOwner>),
    /// Tokio (the supervisor's connection, or where the host cannot).
    Tokio(Arc<ClientHandle>),
}

impl Client {
    /// A client JS owns (closed when collected), read by Tokio.
    pub(crate) fn owned(client: ControlClient) -> Self {
        Client {
            backend: Backend::Tokio(Arc::new(ClientHandle {
                client,
                close_on_drop: true,
            })),
        }
    }

    /// A view of a connection someone else owns (the supervisor's).
    pub(crate) fn borrowed(client: ControlClient) -> Self {
        Client {
            backend: Backend::Tokio(Arc::new(ClientHandle {
                client,
                close_on_drop: false,
            })),
        }
    }

    fn on_host_loop(client: Rc<LoopClient>) -> Self {
        Client {
            backend: Backend::HostLoop(Rc::new(LoopOwner(client))),
        }
    }

    // The request is sent (or queued in call order) here, on the calling
    // thread, so typed methods reach the socket in the order JS called them.
    // Arguments that did not convert reject instead.
    fn send_then<'env>(
        &self,
        env: &'env Env,
        rpc: ArgResult<Rpc>,
        then: Then,
    ) -> Result<PromiseRaw<'env, Json>> {
        match rpc {
            Ok(rpc) => self.dispatch(env, rpc.method, rpc.params.as_ref(), then),
            Err(e) => args::reject(env, e),
        }
    }

    /// Sends one request on whichever reads the connection.
    fn dispatch<'env>(
        &self,
        env: &'env Env,
        method: &str,
        params: Option<&Value>,
        then: Then,
    ) -> Result<PromiseRaw<'env, Json>> {
        match &self.backend {
            Backend::HostLoop(owner) => owner.call(env, method, params, then),
            Backend::Tokio(handle) => {
                let started = handle.client.start_call(method, params);
                // A call in flight keeps its connection open even when JS has
                // dropped the `Client`: its promise is still awaited.
                let keep = handle.clone();
                let reply = async move {
                    let _keep = keep;
                    started?.finish().await
                };
                match then {
                    Then::Void => settle_void(env, reply),
                    Then::Peers => {
                        settle_json(
                            env,
                            async move { Ok(Some(methods::peers_of(reply.await?))) },
                        )
                    }
                    _ => settle_json(env, reply),
                }
            }
        }
    }

    fn send<'env>(&self, env: &'env Env, rpc: ArgResult<Rpc>) -> Result<PromiseRaw<'env, Json>> {
        self.send_then(env, rpc, Then::Json)
    }

    fn send_void<'env>(
        &self,
        env: &'env Env,
        rpc: ArgResult<Rpc>,
    ) -> Result<PromiseRaw<'env, Json>> {
        self.send_then(env, rpc, Then::Void)
    }
}

/// `client.<method>: <name>`, as a refused argument's message names it.
struct ClientArg<'a> {
    method: &'a str,
    name: &'a str,
}

impl std::fmt::Display for ClientArg<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "client.{}: {}", self.method, self.name)
    }
}

fn str_arg(v: Option<Unknown>, method: &str, name: &str) -> ArgResult<String> {
    args::string(v, &ClientArg { method, name })
}

fn opt_str_arg(v: Option<Unknown>, method: &str, name: &str) -> ArgResult<Option<String>> {
    args::opt_string(v, &ClientArg { method, name })
}

fn opt_num_arg(v: Option<Unknown>, method: &str, name: &str) -> ArgResult<Option<f64>> {
    args::opt_number(v, &ClientArg { method, name })
}

#[napi]
impl Client {
    /// Sends one JSON-RPC request and resolves with its `result`.
    #[napi(
        ts_args_type = "method: string, params?: any | undefined | null",
        ts_return_type = "Promise<any>"
    )]
    pub fn call<'env>(
        &self,
        env: &'env Env,
        method: Option<Unknown>,
        params: Option<Unknown>,
    ) -> Result<PromiseRaw<'env, Json>> {
        let rpc = (|| {
            let method = str_arg(method, "call", "method")?;
            let params = args::json(env, params)?;
            Ok((method, params))
        })();
        match rpc {
            Ok((method, params)) => self.dispatch(env, &method, params.as_ref(), Then::Json),
            Err(e) => args::reject(env, e),
        }
    }

    #[napi(
        ts_args_type = "runtimeId?: string | undefined | null",
        ts_return_type = "Promise<any>"
    )]
    pub fn status<'env>(
        &self,
        env: &'env Env,
        runtime_id: Option<Unknown>,
    ) -> Result<PromiseRaw<'env, Json>> {
        let rpc =
            opt_str_arg(runtime_id, "status", "runtimeId").map(|id| methods::status(id.as_deref()));
        self.send(env, rpc)
    }

    #[napi(ts_return_type = "Promise<any[]>")]
    pub fn list<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, Json>> {
        self.send(env, Ok(methods::list()))
    }

    #[napi(ts_args_type = "params: any", ts_return_type = "Promise<SpawnResult>")]
    pub fn spawn<'env>(
        &self,
        env: &'env Env,
        params: Option<Unknown>,
    ) -> Result<PromiseRaw<'env, Json>> {
        let rpc = args::json_object(env, params, "client.spawn: params")
            .map(|p| methods::spawn(Value::Object(p)));
        self.send(env, rpc)
    }

    #[napi(
        ts_args_type = "mode?: string | undefined | null",
        ts_return_type = "Promise<void>"
    )]
    pub fn shutdown<'env>(
        &self,
        env: &'env Env,
        mode: Option<Unknown>,
    ) -> Result<PromiseRaw<'env, Json>> {
        let rpc = opt_str_arg(mode, "shutdown", "mode").map(|m| methods::shutdown(m.as_deref()));
        self.send_void(env, rpc)
    }

    #[napi(
        ts_args_type = "runtimeId: string, requestId: string, optionId: string, message?: string | undefined | null",
        ts_return_type = "Promise<void>"
    )]
    pub fn answer_permission<'env>(
        &self,
        env: &'env Env,
        runtime_id: Option<Unknown>,
        request_id: Option<Unknown>,
        option_id: Option<Unknown>,
        message: Option<Unknown>,
    ) -> Result<PromiseRaw<'env, Json>> {
        let rpc = (|| {
            let rt = str_arg(runtime_id, "answerPermission", "runtimeId")?;
            let request = str_arg(request_id, "answerPermission", "requestId")?;
            let option = str_arg(option_id, "answerPermission", "optionId")?;
            let message = opt_str_arg(message, "answerPermission", "message")?;
            Ok(methods::answer_permission(
                &rt,
                &request,
                &option,
                message.as_deref(),
            ))
        })();
        self.send_void(env, rpc)
    }

    #[napi(
        ts_args_type = "runtimeId: string, text: string",
        ts_return_type = "Promise<void>"
    )]
    pub fn prompt<'env>(
        &self,
        env: &'env Env,
        runtime_id: Option<Unknown>,
        text: Option<Unknown>,
    ) -> Result<PromiseRaw<'env, Json>> {
        let rpc = (|| {
            let rt = str_arg(runtime_id, "prompt", "runtimeId")?;
            let text = str_arg(text, "prompt", "text")?;
            Ok(methods::prompt(&rt, &text))
        })();
        self.send_void(env, rpc)
    }

    #[napi(
        ts_args_type = "runtimeId?: string | undefined | null",
        ts_return_type = "Promise<void>"
    )]
    pub fn cancel<'env>(
        &self,
        env: &'env Env,
        runtime_id: Option<Unknown>,
    ) -> Result<PromiseRaw<'env, Json>> {
        let rpc =
            opt_str_arg(runtime_id, "cancel", "runtimeId").map(|id| methods::cancel(id.as_deref()));
        self.send_void(env, rpc)
    }

    #[napi(
        ts_args_type = "opts: HistoryOptions",
        ts_return_type = "Promise<HistoryResult>"
    )]
    pub fn history<'env>(
        &self,
        env: &'env Env,
        opts: Option<Unknown>,
    ) -> Result<PromiseRaw<'env, Json>> {
        let rpc = args::json(env, opts).map(|o| methods::history(o.as_ref()));
        self.send(env, rpc)
    }

    #[napi(
        ts_args_type = "runtimeId?: string | undefined | null",
        ts_return_type = "Promise<any>"
    )]
    pub fn result<'env>(
        &self,
        env: &'env Env,
        runtime_id: Option<Unknown>,
    ) -> Result<PromiseRaw<'env, Json>> {
        let rpc =
            opt_str_arg(runtime_id, "result", "runtimeId").map(|id| methods::result(id.as_deref()));
        self.send(env, rpc)
    }

    #[napi(
        ts_args_type = "runtimeId: string, text: string, keepQueue?: boolean | undefined | null",
        ts_return_type = "Promise<void>"
    )]
    pub fn interrupt_and_prompt<'env>(
        &self,
        env: &'env Env,
        runtime_id: Option<Unknown>,
        text: Option<Unknown>,
        keep_queue: Option<Unknown>,
    ) -> Result<PromiseRaw<'env, Json>> {
        let rpc = (|| {
            let rt = str_arg(runtime_id, "interruptAndPrompt", "runtimeId")?;
            let text = str_arg(text, "interruptAndPrompt", "text")?;
            let keep = args::opt_bool(keep_queue, "client.interruptAndPrompt: keepQueue")?;
            Ok(methods::interrupt_and_prompt(
                &rt,
                &text,
                keep.unwrap_or(false),
            ))
        })();
        self.send_void(env, rpc)
    }

    /// Subscribes this connection to events (once; see the README).
    #[napi(
        ts_args_type = "opts?: SubscribeOptions",
        ts_return_type = "Promise<void>"
    )]
    pub fn subscribe<'env>(
        &self,
        env: &'env Env,
        opts: Option<Unknown>,
    ) -> Result<PromiseRaw<'env, Json>> {
        let opts = match args::json(env, opts) {
            Ok(o) => o,
            Err(e) => return args::reject(env, e),
        };
        match &self.backend {
            Backend::HostLoop(owner) => owner.subscribe(env, opts.as_ref()),
            Backend::Tokio(handle) => {
                let handle = handle.clone();
                settle_void(
                    env,
                    async move { handle.client.subscribe(opts.as_ref()).await },
                )
            }
        }
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
        let source = match &self.backend {
            Backend::HostLoop(owner) => EventSource::HostLoop(owner.events(opts)),
            Backend::Tokio(handle) => EventSource::Tokio {
                stream: Arc::new(handle.client.events(opts)),
                client: handle.clone(),
            },
        };
        EventIterator::create(env, source)
    }

    #[napi(ts_args_type = "workflowId: string", ts_return_type = "Promise<any>")]
    pub fn workflow_status<'env>(
        &self,
        env: &'env Env,
        workflow_id: Option<Unknown>,
    ) -> Result<PromiseRaw<'env, Json>> {
        let rpc = str_arg(workflow_id, "workflowStatus", "workflowId")
            .map(|id| methods::workflow_status(&id));
        self.send(env, rpc)
    }

    #[napi(ts_args_type = "workflowId: string", ts_return_type = "Promise<any>")]
    pub fn workflow_inspect<'env>(
        &self,
        env: &'env Env,
        workflow_id: Option<Unknown>,
    ) -> Result<PromiseRaw<'env, Json>> {
        let rpc = str_arg(workflow_id, "workflowInspect", "workflowId")
            .map(|id| methods::workflow_inspect(&id));
        self.send(env, rpc)
    }

    #[napi(
        ts_args_type = "workflowId: string, timeoutMs?: number | undefined | null",
        ts_return_type = "Promise<any>"
    )]
    pub fn workflow_wait<'env>(
        &self,
        env: &'env Env,
        workflow_id: Option<Unknown>,
        timeout_ms: Option<Unknown>,
    ) -> Result<PromiseRaw<'env, Json>> {
        let rpc = (|| {
            let id = str_arg(workflow_id, "workflowWait", "workflowId")?;
            let timeout = opt_num_arg(timeout_ms, "workflowWait", "timeoutMs")?;
            Ok(methods::workflow_wait(&id, timeout))
        })();
        self.send(env, rpc)
    }

    #[napi(
        ts_args_type = "workflowId: string, opts?: { afterSeq?: number; limit?: number }",
        ts_return_type = "Promise<any>"
    )]
    pub fn workflow_events<'env>(
        &self,
        env: &'env Env,
        workflow_id: Option<Unknown>,
        opts: Option<Unknown>,
    ) -> Result<PromiseRaw<'env, Json>> {
        let rpc = (|| {
            let id = str_arg(workflow_id, "workflowEvents", "workflowId")?;
            let opts = args::json(env, opts)?;
            Ok(methods::workflow_events(&id, opts.as_ref()))
        })();
        self.send(env, rpc)
    }

    #[napi(
        ts_args_type = "workflowId: string, command: any",
        ts_return_type = "Promise<any>"
    )]
    pub fn workflow_command<'env>(
        &self,
        env: &'env Env,
        workflow_id: Option<Unknown>,
        command: Option<Unknown>,
    ) -> Result<PromiseRaw<'env, Json>> {
        let rpc = (|| {
            let id = str_arg(workflow_id, "workflowCommand", "workflowId")?;
            let command = args::json(env, command)?.unwrap_or(Value::Null);
            Ok(methods::workflow_command(&id, command))
        })();
        self.send(env, rpc)
    }

    #[napi(
        ts_args_type = "params: WorkflowCompleteParams",
        ts_return_type = "Promise<any>"
    )]
    pub fn workflow_complete<'env>(
        &self,
        env: &'env Env,
        params: Option<Unknown>,
    ) -> Result<PromiseRaw<'env, Json>> {
        let rpc = args::json_object(env, params, "client.workflowComplete: params")
            .map(|p| methods::workflow_complete(&p));
        self.send(env, rpc)
    }

    #[napi(
        ts_args_type = "params: WorkflowGateParams",
        ts_return_type = "Promise<any>"
    )]
    pub fn workflow_gate<'env>(
        &self,
        env: &'env Env,
        params: Option<Unknown>,
    ) -> Result<PromiseRaw<'env, Json>> {
        let rpc = args::json_object(env, params, "client.workflowGate: params")
            .map(|p| methods::workflow_gate(&p));
        self.send(env, rpc)
    }

    #[napi(
        ts_args_type = "params: WorkflowHeartbeatParams",
        ts_return_type = "Promise<any>"
    )]
    pub fn workflow_heartbeat<'env>(
        &self,
        env: &'env Env,
        params: Option<Unknown>,
    ) -> Result<PromiseRaw<'env, Json>> {
        let rpc = args::json_object(env, params, "client.workflowHeartbeat: params")
            .map(|p| methods::workflow_heartbeat(&p));
        self.send(env, rpc)
    }

    #[napi(ts_args_type = "controllerId: string", ts_return_type = "Promise<any>")]
    pub fn workflow_controller_status<'env>(
        &self,
        env: &'env Env,
        controller_id: Option<Unknown>,
    ) -> Result<PromiseRaw<'env, Json>> {
        let rpc = str_arg(controller_id, "workflowControllerStatus", "controllerId")
            .map(|id| methods::workflow_controller_status(&id));
        self.send(env, rpc)
    }

    #[napi(ts_args_type = "controllerId: string", ts_return_type = "Promise<any>")]
    pub fn workflow_controller_enable<'env>(
        &self,
        env: &'env Env,
        controller_id: Option<Unknown>,
    ) -> Result<PromiseRaw<'env, Json>> {
        let rpc = str_arg(controller_id, "workflowControllerEnable", "controllerId")
            .map(|id| methods::workflow_controller_enable(&id));
        self.send(env, rpc)
    }

    #[napi(ts_return_type = "Promise<any>")]
    pub fn workflow_controller_list<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, Json>> {
        self.send(env, Ok(methods::workflow_controller_list()))
    }

    #[napi(
        ts_args_type = "params: WorkflowControllerCreateParams",
        ts_return_type = "Promise<any>"
    )]
    pub fn workflow_controller_create<'env>(
        &self,
        env: &'env Env,
        params: Option<Unknown>,
    ) -> Result<PromiseRaw<'env, Json>> {
        let rpc = args::json_object(env, params, "client.workflowControllerCreate: params")
            .map(|p| methods::workflow_controller_create(&Value::Object(p)));
        self.send(env, rpc)
    }

    #[napi(
        ts_args_type = "controllerId: string, reason: string",
        ts_return_type = "Promise<any>"
    )]
    pub fn workflow_controller_disable<'env>(
        &self,
        env: &'env Env,
        controller_id: Option<Unknown>,
        reason: Option<Unknown>,
    ) -> Result<PromiseRaw<'env, Json>> {
        let rpc = (|| {
            let id = str_arg(controller_id, "workflowControllerDisable", "controllerId")?;
            let reason = str_arg(reason, "workflowControllerDisable", "reason")?;
            Ok(methods::workflow_controller_disable(&id, &reason))
        })();
        self.send(env, rpc)
    }

    /// A controller's ready work (`workflow.ready`, see `methods::WORKFLOW_READY`).
    #[napi(
        ts_args_type = "controllerId: string, limit?: number | undefined | null",
        ts_return_type = "Promise<any>"
    )]
    pub fn workflow_ready<'env>(
        &self,
        env: &'env Env,
        controller_id: Option<Unknown>,
        limit: Option<Unknown>,
    ) -> Result<PromiseRaw<'env, Json>> {
        let rpc = (|| {
            let id = str_arg(controller_id, "workflowReady", "controllerId")?;
            let limit =
                opt_num_arg(limit, "workflowReady", "limit")?.map(crate::jsval::number_value);
            Ok(methods::workflow_ready(&id, limit.as_ref()))
        })();
        self.send(env, rpc)
    }

    #[napi(
        ts_args_type = "fromRunId: string, toRunId: string, message: string, role?: string | undefined | null",
        ts_return_type = "Promise<void>"
    )]
    pub fn broker_send<'env>(
        &self,
        env: &'env Env,
        from_run_id: Option<Unknown>,
        to_run_id: Option<Unknown>,
        message: Option<Unknown>,
        role: Option<Unknown>,
    ) -> Result<PromiseRaw<'env, Json>> {
        let rpc = (|| {
            let from = str_arg(from_run_id, "brokerSend", "fromRunId")?;
            let to = str_arg(to_run_id, "brokerSend", "toRunId")?;
            let message = str_arg(message, "brokerSend", "message")?;
            let role = opt_str_arg(role, "brokerSend", "role")?;
            Ok(methods::broker_send(&from, &to, &message, role.as_deref()))
        })();
        self.send_void(env, rpc)
    }

    #[napi(
        ts_args_type = "toRunId: string, message: string, role?: string | undefined | null",
        ts_return_type = "Promise<any>"
    )]
    pub fn broker_ask<'env>(
        &self,
        env: &'env Env,
        to_run_id: Option<Unknown>,
        message: Option<Unknown>,
        role: Option<Unknown>,
    ) -> Result<PromiseRaw<'env, Json>> {
        let rpc = (|| {
            let to = str_arg(to_run_id, "brokerAsk", "toRunId")?;
            let message = str_arg(message, "brokerAsk", "message")?;
            let role = opt_str_arg(role, "brokerAsk", "role")?;
            Ok(methods::broker_ask(&to, &message, role.as_deref()))
        })();
        self.send(env, rpc)
    }

    #[napi(ts_return_type = "Promise<any[]>")]
    pub fn broker_peers<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, Json>> {
        self.send_then(env, Ok(methods::broker_peers()), Then::Peers)
    }

    #[napi(ts_args_type = "messageId: string", ts_return_type = "Promise<void>")]
    pub fn broker_cancel<'env>(
        &self,
        env: &'env Env,
        message_id: Option<Unknown>,
    ) -> Result<PromiseRaw<'env, Json>> {
        let rpc =
            str_arg(message_id, "brokerCancel", "messageId").map(|id| methods::broker_cancel(&id));
        self.send_void(env, rpc)
    }

    #[napi(ts_return_type = "Promise<any[]>")]
    pub fn broker_receive<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, Json>> {
        self.send(env, Ok(methods::broker_receive()))
    }

    #[napi(
        ts_args_type = "toRunId: string, replyTo: string, message: string",
        ts_return_type = "Promise<void>"
    )]
    pub fn broker_reply<'env>(
        &self,
        env: &'env Env,
        to_run_id: Option<Unknown>,
        reply_to: Option<Unknown>,
        message: Option<Unknown>,
    ) -> Result<PromiseRaw<'env, Json>> {
        let rpc = (|| {
            let to = str_arg(to_run_id, "brokerReply", "toRunId")?;
            let reply_to = str_arg(reply_to, "brokerReply", "replyTo")?;
            let message = str_arg(message, "brokerReply", "message")?;
            Ok(methods::broker_reply(&to, &reply_to, &message))
        })();
        self.send_void(env, rpc)
    }

    /// This connection's invoker (see `client_invoker`); `index.js` removes
    /// it from the prototype.
    #[napi(js_name = "__invoker", skip_typescript)]
    pub fn invoker<'env>(
        &self,
        env: &'env Env,
    ) -> Result<Function<'env, (), super::tool_call::Raw>> {
        let view = Client {
            backend: self.backend.clone(),
        };
        client_invoker::create(env, view)
    }

    /// True after `close()`, or once the socket was closed or failed.
    #[napi]
    pub fn is_closed(&self) -> bool {
        match &self.backend {
            Backend::HostLoop(owner) => owner.is_closed(),
            Backend::Tokio(handle) => handle.client.is_closed(),
        }
    }

    /// Closes the connection; idempotent, never throws.
    #[napi]
    pub fn close(&self, env: &Env) {
        match &self.backend {
            Backend::HostLoop(owner) => owner.close(env),
            Backend::Tokio(handle) => handle.client.close(),
        }
    }
}
