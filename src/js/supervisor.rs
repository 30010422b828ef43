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
use super::promise::{settle, Json};
use crate::client::DEFAULT_CALL_TIMEOUT;
use crate::supervisor::{singleton, Supervisor as CoreSupervisor};

#[napi(object)]
pub struct SupervisorOptions {
    pub binary_path: Option<String>,
    pub call_timeout_ms: Option<f64>,
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
