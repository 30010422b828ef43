//! JS surface of the supervisor (core-spec §5): `Supervisor.get()`,
//! `currentInstance()`, `isCurrentInstance()`, `getClient()`, `spawn()`, `close()`.
//! One JS object per supervisor instance per thread, so `get()` answers with the
//! very same object each time.

use std::cell::RefCell;
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;

use super::args;
use super::client::Client;
use super::errors::to_napi_error;
use super::promise::{settle, settle_json, Json};
use crate::supervisor::run_spawn::{spawn_run, SpawnMetadata};
use crate::supervisor::{singleton, Supervisor as CoreSupervisor};
use crate::tools::args::{args_of, new_run_id};

// The structs below declare the TS interfaces; the methods read their
// arguments leniently from the raw objects (js/args), so a wrong type rejects.
#[allow(dead_code)]
#[napi(object)]
pub struct SupervisorOptions {
    pub binary_path: Option<String>,
    pub call_timeout_ms: Option<f64>,
}

#[allow(dead_code)]
#[napi(object, js_name = "SpawnMetadata")]
pub struct SpawnMetadataArg {
    pub roster_file: Option<String>,
    pub roster_entry: Option<String>,
    pub effective_agent: Option<String>,
    pub effective_model: Option<String>,
    pub effective_backend: Option<String>,
}

#[allow(dead_code)]
#[napi(object)]
pub struct CloseOptions {
    pub skip_shutdown: Option<bool>,
}

thread_local! {
    /// The JS object of the current supervisor on this thread: (serial, ref).
    static WRAPPER: RefCell<Option<(u64, ObjectRef<false>)>> = const { RefCell::new(None) };
}

/// Manages the avenor daemon of this process and a client to it.
#[napi]
pub struct Supervisor {
    inner: Arc<CoreSupervisor>,
}

/// The JS object for `sup`, reusing the one already handed out on this thread.
pub(crate) fn to_js<'env>(env: &'env Env, sup: Arc<CoreSupervisor>) -> Result<Object<'env>> {
    let cached = WRAPPER.with_borrow(|w| match w {
        Some((serial, r)) if *serial == sup.serial() => Some(r.get_value(env)),
        _ => None,
    });
    if let Some(obj) = cached {
        return obj;
    }
    let serial = sup.serial();
    let instance = Supervisor { inner: sup }.into_instance(env)?;
    let object = instance.as_object(env);
    let reference = object.create_ref::<false>()?;
    if let Some((_, old)) = WRAPPER.replace(Some((serial, reference))) {
        old.unref(env)?;
    }
    Ok(object)
}

#[napi]
impl Supervisor {
    /// The singleton, starting (or replacing) the daemon when needed.
    #[napi(
        ts_args_type = "opts?: SupervisorOptions | undefined | null",
        ts_return_type = "Promise<Supervisor>"
    )]
    pub fn get<'env>(
        env: &'env Env,
        opts: Option<Unknown>,
    ) -> Result<PromiseRaw<'env, Object<'env>>> {
        super::tool_call::before_daemon_call(env)?;
        let binary_path = match args::opt_string(
            args::member(&opts, "binaryPath"),
            "Supervisor.get: binaryPath",
        ) {
            Ok(p) => p,
            Err(e) => return args::reject(env, e).map(|p| PromiseRaw::new(env.raw(), p.raw())),
        };
        let opts = singleton::GetOptions {
            binary_path: binary_path.map(Into::into),
            call_timeout: args::call_timeout(&opts),
        };
        settle(env, singleton::get(opts), to_js)
    }

    /// The singleton, or `null`; never starts anything.
    #[napi(ts_return_type = "Supervisor | null")]
    pub fn current_instance(env: &Env) -> Result<Option<Object<'_>>> {
        singleton::current().map(|s| to_js(env, s)).transpose()
    }

    /// Whether a singleton exists whose `supervisorId` is exactly `id`.
    #[napi]
    pub fn is_current_instance(id: String) -> bool {
        singleton::is_current(&id)
    }

    /// The control-socket path (`<socketsRoot>/avenor-mcp-<pid>.sock`).
    #[napi(getter)]
    pub fn supervisor_id(&self) -> String {
        self.inner.supervisor_id().to_string()
    }

    /// The client to the daemon; throws when crashed, closed or not started.
    #[napi]
    pub fn get_client(&self, env: &Env) -> Result<Client> {
        self.inner
            .get_client()
            .map(Client::borrowed)
            .map_err(|e| to_napi_error(env, e))
    }

    /// Spawns a run through this supervisor and registers it (core-spec §5.4).
    #[napi(
        ts_args_type = "params: SpawnParams, runId?: string, metadata?: SpawnMetadata",
        ts_return_type = "Promise<RunInfo>"
    )]
    pub fn spawn<'env>(
        &self,
        env: &'env Env,
        params: Option<Unknown>,
        run_id: Option<Unknown>,
        metadata: Option<Unknown>,
    ) -> Result<PromiseRaw<'env, Json>> {
        super::process_env::sync(env)?;
        let sup = self.inner.clone();
        let converted = (|| {
            let params = args::json(env, params)?;
            let run_id = args::opt_string(run_id, "supervisor.spawn: runId")?;
            let field = |name: &str| {
                args::opt_string(
                    args::member(&metadata, name),
                    &format!("supervisor.spawn: metadata.{name}"),
                )
            };
            let metadata = match metadata.as_ref().and_then(|m| m.get_type().ok()) {
                Some(ValueType::Object) => Some(SpawnMetadata {
                    roster_file: field("rosterFile")?,
                    roster_entry: field("rosterEntry")?,
                    effective_agent: field("effectiveAgent")?,
                    effective_model: field("effectiveModel")?,
                    effective_backend: field("effectiveBackend")?,
                }),
                _ => None,
            };
            Ok((params, run_id, metadata))
        })();
        let (params, run_id, metadata) = match converted {
            Ok(c) => c,
            Err(e) => return args::reject(env, e),
        };
        let params = args_of(params);
        let run_id = run_id.unwrap_or_else(new_run_id);
        settle_json(env, async move {
            let info = spawn_run(&sup, params, run_id, metadata).await?;
            Ok(serde_json::to_value(info).ok())
        })
    }

    /// Shuts the daemon down (unless `skipShutdown`), stops the child, removes the
    /// socket and forgets this instance.
    #[napi(
        ts_args_type = "opts?: CloseOptions | undefined | null",
        ts_return_type = "Promise<void>"
    )]
    pub fn close<'env>(
        &self,
        env: &'env Env,
        opts: Option<Unknown>,
    ) -> Result<PromiseRaw<'env, Json>> {
        let skip = args::member(&opts, "skipShutdown")
            .and_then(|v| v.coerce_to_bool().ok())
            .unwrap_or(false);
        let sup = self.inner.clone();
        settle(
            env,
            async move {
                singleton::close(&sup, skip).await;
                Ok(())
            },
            |_, ()| Ok(Json(None)),
        )
    }
}
