//! JS surface of the supervisor (core-spec §5): `Supervisor.get()`,
//! `currentInstance()`, `isCurrentInstance()`, `getClient()`, `spawn()`, `close()`.
//! One JS object per supervisor instance per thread, so `get()` answers with the
//! very same object each time.

use std::cell::RefCell;
use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi_derive::napi;

use super::client::Client;
use super::errors::to_napi_error;
use super::exit_hooks;
use super::promise::{settle, settle_json, Json};
use crate::client::DEFAULT_CALL_TIMEOUT;
use crate::supervisor::run_spawn::{spawn_run, SpawnMetadata};
use crate::supervisor::{singleton, Supervisor as CoreSupervisor};
use crate::tools::args::{args_of, new_run_id};
use serde_json::Value;

#[napi(object)]
pub struct SupervisorOptions {
    pub binary_path: Option<String>,
    pub call_timeout_ms: Option<f64>,
}

#[napi(object, js_name = "SpawnMetadata")]
pub struct SpawnMetadataArg {
    pub roster_file: Option<String>,
    pub roster_entry: Option<String>,
    pub effective_agent: Option<String>,
    pub effective_model: Option<String>,
    pub effective_backend: Option<String>,
}

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

fn call_timeout(ms: Option<f64>) -> Duration {
    match ms {
        Some(ms) if ms.is_finite() && ms >= 0.0 => Duration::from_secs_f64(ms / 1000.0),
        _ => DEFAULT_CALL_TIMEOUT,
    }
}

#[napi]
impl Supervisor {
    /// The singleton, starting (or replacing) the daemon when needed.
    #[napi(ts_return_type = "Promise<Supervisor>")]
    pub fn get<'env>(
        env: &'env Env,
        opts: Option<SupervisorOptions>,
    ) -> Result<PromiseRaw<'env, Object<'env>>> {
        exit_hooks::ensure_registered(env)?;
        super::process_env::sync(env)?;
        let opts = singleton::GetOptions {
            binary_path: opts
                .as_ref()
                .and_then(|o| o.binary_path.clone())
                .map(Into::into),
            call_timeout: call_timeout(opts.and_then(|o| o.call_timeout_ms)),
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
        params: Option<Value>,
        run_id: Option<String>,
        metadata: Option<SpawnMetadataArg>,
    ) -> Result<PromiseRaw<'env, Json>> {
        super::process_env::sync(env)?;
        let sup = self.inner.clone();
        let params = args_of(params);
        let run_id = run_id.unwrap_or_else(new_run_id);
        let metadata = metadata.map(|m| SpawnMetadata {
            roster_file: m.roster_file,
            roster_entry: m.roster_entry,
            effective_agent: m.effective_agent,
            effective_model: m.effective_model,
            effective_backend: m.effective_backend,
        });
        settle_json(env, async move {
            let info = spawn_run(&sup, params, run_id, metadata).await?;
            Ok(serde_json::to_value(info).ok())
        })
    }

    /// Shuts the daemon down (unless `skipShutdown`), stops the child, removes the
    /// socket and forgets this instance.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn close<'env>(
        &self,
        env: &'env Env,
        opts: Option<CloseOptions>,
    ) -> Result<PromiseRaw<'env, Json>> {
        let skip = opts.and_then(|o| o.skip_shutdown).unwrap_or(false);
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
