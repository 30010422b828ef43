//! Runs a core future on the napi Tokio runtime and settles a JS promise with its
//! outcome, building errors on the JS thread (plain `async fn` exports cannot
//! carry error properties; spec/napi.md §4.6).

use std::future::Future;

use napi::bindgen_prelude::*;
use serde_json::Value;

use std::ptr;

use napi::{check_status, sys};

use super::errors::js_error;
use super::raw::{self, JsRef};
use crate::error::CoreResult;

pub fn settle<'env, T, V, F, C>(env: &'env Env, fut: F, convert: C) -> Result<PromiseRaw<'env, V>>
where
    T: Send + 'static,
    V: ToNapiValue,
    F: Future<Output = CoreResult<T>> + Send + 'static,
    C: FnOnce(&'env Env, T) -> Result<V> + 'static,
{
    let origin = CallerStack::capture(env)?;
    env.spawn_future_with_callback(async move { Ok(fut.await) }, move |env, outcome| {
        let settled = match outcome {
            Ok(value) => convert(env, value),
            Err(e) => Err(match js_error(env, &e) {
                Ok(error) => {
                    origin.lend(env, error.raw());
                    Error::from(error)
                }
                Err(_) => Error::from_reason(e.to_string()),
            }),
        };
        origin.release(env);
        settled
    })
}

/// The JS stack of the call that started a native operation, captured on the
/// JS thread when it starts (an Error made then), so that a rejection that
/// comes later, from Rust, still says where it was called from.
pub(crate) struct CallerStack(JsRef);

impl CallerStack {
    pub fn capture(env: &Env) -> Result<Self> {
        let mut error = ptr::null_mut();
        let mut empty = ptr::null_mut();
        check_status!(unsafe {
            sys::napi_create_string_utf8(env.raw(), c"".as_ptr(), 0, &mut empty)
        })?;
        check_status!(unsafe {
            sys::napi_create_error(env.raw(), ptr::null_mut(), empty, &mut error)
        })?;
        Ok(CallerStack(JsRef::new(env, error)?))
    }

    /// Gives `error` the captured frames under its own `name: message` line.
    pub fn lend(&self, env: &Env, error: sys::napi_value) {
        if let Ok(origin) = self.0.get(env) {
            lend_frames(env, origin, error);
        }
    }

    pub fn release(self, env: &Env) {
        self.0.release(env);
    }
}

/// Gives `error` the frames of `origin`'s stack under its own `name: message`
/// line; leaves it alone when `origin` has no frames.
pub(crate) fn lend_frames(env: &Env, origin: sys::napi_value, error: sys::napi_value) {
    let text = |v: sys::napi_value| -> Option<String> {
        (raw::type_of(env, v) == sys::ValueType::napi_string)
            .then(|| unsafe { String::from_napi_value(env.raw(), v) }.ok())
            .flatten()
    };
    let Some(frames) = raw::property(env, origin, "stack")
        .ok()
        .and_then(text)
        .and_then(|s| s.split_once('\n').map(|(_, rest)| rest.to_string()))
    else {
        return;
    };
    let name = raw::property(env, error, "name")
        .ok()
        .and_then(text)
        .unwrap_or_else(|| "Error".into());
    let message = raw::property(env, error, "message")
        .ok()
        .and_then(text)
        .unwrap_or_default();
    let header = if message.is_empty() {
        name
    } else {
        format!("{name}: {message}")
    };
    let stack = format!("{header}\n{frames}");
    if let Ok(value) = unsafe { String::to_napi_value(env.raw(), stack) } {
        let key = c"stack";
        unsafe { sys::napi_set_named_property(env.raw(), error, key.as_ptr(), value) };
    }
}

/// A JSON result where a missing value is `undefined` (not `null`).
pub struct Json(pub Option<Value>);

impl ToNapiValue for Json {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        let env = Env::from_raw(env);
        match val.0 {
            // Objects and arrays of a usual size cross as JSON text for one
            // JSON.parse: building them member by member through Node-API
            // costs ~0.5 µs per member in V8. Larger ones (a long final output,
            // say) are built member by member, which copies a long string
            // once where JSON.parse would scan it on the JS thread. Either
            // way a `__proto__` member becomes an own property, not the
            // prototype (not serde's own conversion).
            Some(v @ (Value::Object(_) | Value::Array(_))) => match text_within_limit(&v) {
                Some(text) => raw::json_parse(&env, &text),
                None => raw::value_to_js(&env, &v),
            },
            Some(v) => raw::value_to_js(&env, &v),
            None => unsafe { Undefined::to_napi_value(env.raw(), ()) },
        }
    }
}

/// The largest result handed over as text for `JSON.parse`.
const JSON_PARSE_LIMIT: usize = 64 * 1024;

/// `value` as JSON text, or `None` once it passes `JSON_PARSE_LIMIT` bytes
/// (serialising stops there).
fn text_within_limit(value: &Value) -> Option<String> {
    struct Capped(Vec<u8>);
    impl std::io::Write for Capped {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            if self.0.len() + bytes.len() > JSON_PARSE_LIMIT {
                return Err(std::io::ErrorKind::FileTooLarge.into());
            }
            self.0.extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut out = Capped(Vec::with_capacity(512));
    serde_json::to_writer(&mut out, value).ok()?;
    String::from_utf8(out.0).ok()
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
