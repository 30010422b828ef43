//! Runs a core future on the napi Tokio runtime and settles a JS promise with its
//! outcome, building errors on the JS thread (plain `async fn` exports cannot
//! carry error properties; spec/napi.md §4.6).

use std::future::Future;

use napi::bindgen_prelude::*;
use serde_json::Value;

use super::errors::to_napi_error;
use crate::error::CoreResult;

pub fn settle<'env, T, V, F, C>(env: &'env Env, fut: F, convert: C) -> Result<PromiseRaw<'env, V>>
where
    T: Send + 'static,
    V: ToNapiValue,
    F: Future<Output = CoreResult<T>> + Send + 'static,
    C: FnOnce(&'env Env, T) -> Result<V> + 'static,
{
    env.spawn_future_with_callback(
        async move { Ok(fut.await) },
        move |env, outcome| match outcome {
            Ok(value) => convert(env, value),
            Err(e) => Err(to_napi_error(env, e)),
        },
    )
}

/// A JSON result where a missing value is `undefined` (not `null`).
pub struct Json(pub Option<Value>);

impl ToNapiValue for Json {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        match val.0 {
            Some(v) => unsafe { Value::to_napi_value(env, v) },
            None => unsafe { Undefined::to_napi_value(env, ()) },
        }
    }
}

/// Settles with the JSON value of `fut` (`undefined` when absent).
pub fn settle_json<'env, F>(env: &'env Env, fut: F) -> Result<PromiseRaw<'env, Json>>
where
    F: Future<Output = CoreResult<Option<Value>>> + Send + 'static,
{
    settle(env, fut, |_, v| Ok(Json(v)))
}

/// Settles with `undefined` once `fut` succeeds.
pub fn settle_void<'env, T, F>(env: &'env Env, fut: F) -> Result<PromiseRaw<'env, Json>>
where
    T: Send + 'static,
    F: Future<Output = CoreResult<T>> + Send + 'static,
{
    settle(env, fut, |_, _| Ok(Json(None)))
}

/// A promise rejected with `e`: a bad argument of a promise-returning export
/// rejects like every other failure instead of throwing synchronously.
pub fn rejected<'env>(
    env: &'env Env,
    e: crate::error::CoreError,
) -> Result<PromiseRaw<'env, Json>> {
    settle(env, async move { Err::<(), _>(e) }, |_, _| Ok(Json(None)))
}
