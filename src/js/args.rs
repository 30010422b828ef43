//! Arguments of promise-returning exports, checked here rather than by napi's
//! conversion: a wrong one rejects the promise with a message naming it
//! (`dial: socketPath must be a string`), where the conversion would throw
//! synchronously, with its internal wording, before a `.catch()` could see it.
//! Values sent to the daemon go through `JSON.stringify`, so they cross exactly
//! as the original's `JSON.stringify(request)` sent them: `toJSON`, `NaN` → null,
//! functions and `undefined` dropped, and a BigInt or a cycle rejects with the
//! TypeError JSON.stringify throws.

use napi::bindgen_prelude::*;
use napi::sys;
use serde_json::{Map, Value};

use super::errors::js_error;
use super::promise::Json;
use super::raw::{self, Deferred};
use crate::error::CoreError;

/// Why an argument was refused: our message, or what JS itself threw.
pub enum ArgError {
    Message(String),
    Thrown(sys::napi_value),
}

pub type ArgResult<T> = std::result::Result<T, ArgError>;

fn must_be<W: std::fmt::Display + ?Sized>(what: &W, kind: &str) -> ArgError {
    ArgError::Message(format!("{what} must be {kind}"))
}

/// A promise already rejected with `error`, made on the calling thread.
pub fn reject<'env>(env: &'env Env, error: ArgError) -> Result<PromiseRaw<'env, Json>> {
    let reason = match error {
        ArgError::Message(message) => js_error(env, &CoreError::plain(message))?.raw(),
        ArgError::Thrown(value) => value,
    };
    let (deferred, promise) = Deferred::new(env)?;
    deferred.reject(env, reason);
    Ok(PromiseRaw::new(env.raw(), promise))
}

fn kind(value: &Option<Unknown>) -> ValueType {
    value
        .as_ref()
        .and_then(|v| v.get_type().ok())
        .unwrap_or(ValueType::Undefined)
}

fn absent(t: ValueType) -> bool {
    matches!(t, ValueType::Undefined | ValueType::Null)
}

/// `what` names the argument in the message; it is formatted only when the
/// argument is refused (a call's hot path makes no string for it).
pub fn string<W: std::fmt::Display + ?Sized>(
    value: Option<Unknown>,
    what: &W,
) -> ArgResult<String> {
    match kind(&value) {
        ValueType::String => {
            let v = value.expect("a string");
            unsafe { String::from_napi_value(v.value().env, v.raw()) }
                .map_err(|e| ArgError::Message(format!("{what}: {}", e.reason)))
        }
        _ => Err(must_be(what, "a string")),
    }
}

/// `undefined` and `null` read as absent.
pub fn opt_string<W: std::fmt::Display + ?Sized>(
    value: Option<Unknown>,
    what: &W,
) -> ArgResult<Option<String>> {
    if absent(kind(&value)) {
        return Ok(None);
    }
    string(value, what).map(Some)
}

/// `undefined` and `null` read as absent.
pub fn opt_number<W: std::fmt::Display + ?Sized>(
    value: Option<Unknown>,
    what: &W,
) -> ArgResult<Option<f64>> {
    match kind(&value) {
        t if absent(t) => Ok(None),
        ValueType::Number => {
            let v = value.expect("a number");
            Ok(Some(
                unsafe { f64::from_napi_value(v.value().env, v.raw()) }.unwrap_or(f64::NAN),
            ))
        }
        _ => Err(must_be(what, "a number")),
    }
}

/// `undefined` and `null` read as absent.
pub fn opt_bool(value: Option<Unknown>, what: &str) -> ArgResult<Option<bool>> {
    match kind(&value) {
        t if absent(t) => Ok(None),
        ValueType::Boolean => {
            let v = value.expect("a boolean");
            Ok(unsafe { bool::from_napi_value(v.value().env, v.raw()) }.ok())
        }
        _ => Err(must_be(what, "a boolean")),
    }
}

/// `value[name]` when `value` is an object, else absent (options objects).
pub fn member<'env>(value: &Option<Unknown<'env>>, name: &str) -> Option<Unknown<'env>> {
    let value = value.as_ref()?;
    if value.get_type().ok()? != ValueType::Object {
        return None;
    }
    let object: Object = unsafe { value.cast() }.ok()?;
    object.get_named_property::<Unknown>(name).ok()
}

/// `opts.callTimeoutMs` of `dial` and `Supervisor.get`: a finite, non-negative
/// number; anything else (absent, `null`, `NaN`, negative, not a number) means
/// the default (README).
pub fn call_timeout(opts: &Option<Unknown>) -> std::time::Duration {
    match opt_number(member(opts, "callTimeoutMs"), "").ok().flatten() {
        Some(ms) if ms.is_finite() && ms >= 0.0 => std::time::Duration::from_secs_f64(ms / 1000.0),
        _ => crate::client::DEFAULT_CALL_TIMEOUT,
    }
}

/// `JSON.stringify(value)` as a JSON value: `None` where JSON.stringify gives
/// `undefined` (undefined, a function, a symbol).
pub fn json(env: &Env, value: Option<Unknown>) -> ArgResult<Option<Value>> {
    let Some(value) = value else {
        return Ok(None);
    };
    if absent(value.get_type().unwrap_or(ValueType::Undefined)) {
        return Ok(None);
    }
    let failed = |e: Error| ArgError::Message(e.reason);
    let stringify = raw::json_stringify_function(env).map_err(failed)?;
    let text =
        raw::call(env, raw::undefined(env), stringify, &[value.raw()]).map_err(|thrown| {
            thrown.map_or_else(
                || ArgError::Message("JSON.stringify failed".into()),
                ArgError::Thrown,
            )
        })?;
    if raw::type_of(env, text) != sys::ValueType::napi_string {
        return Ok(None);
    }
    let text = unsafe { String::from_napi_value(env.raw(), text) }.map_err(failed)?;
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| ArgError::Message(format!("JSON.stringify gave invalid JSON: {e}")))
}

/// An object argument, as JSON.stringify sees it.
pub fn json_object(env: &Env, value: Option<Unknown>, what: &str) -> ArgResult<Map<String, Value>> {
    if kind(&value) != ValueType::Object {
        return Err(must_be(what, "an object"));
    }
    match json(env, value)? {
        Some(Value::Object(map)) => Ok(map),
        _ => Err(must_be(what, "an object")),
    }
}
