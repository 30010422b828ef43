//! JS surface of the spawn-selection and thinking policies (core-spec §13).
//! All synchronous: hosts call them inside `expect(() => …).toThrow(…)`.

use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;

use super::errors::to_napi_error;
use super::json::json_of;
use crate::error::CoreResult;
use crate::policy::{spawn_selection, thinking};

// Optional arguments are taken as `Unknown` rather than `Option`: napi maps both
// `undefined` and `null` to `None`, but these validators must reject `null`.

fn throwing<T>(env: &Env, r: CoreResult<T>) -> Result<T> {
    r.map_err(|e| to_napi_error(env, e))
}

/// The levels as JS gets them, a plain array. A named type only so that
/// index.d.ts declares the const as `ThinkingLevels` (a readonly tuple of the
/// literals, in `header.d.ts`) instead of `string[]`: hosts infer
/// `ThinkingLevel` from it (`z.enum(THINKING_LEVELS)`).
pub struct ThinkingLevels([&'static str; 7]);

impl ToNapiValue for ThinkingLevels {
    unsafe fn to_napi_value(env: napi::sys::napi_env, val: Self) -> Result<napi::sys::napi_value> {
        unsafe { <[&str; 7]>::to_napi_value(env, val.0) }
    }
}

/// The thinking levels, in this order.
#[napi]
pub const THINKING_LEVELS: ThinkingLevels = ThinkingLevels(thinking::THINKING_LEVELS);

/// Throws `invalid spawn selector: …` unless `input` is a valid selection.
#[napi(
    ts_args_type = "input: SpawnSelectionInput, rosterConfigured?: boolean",
    ts_return_type = "void"
)]
pub fn validate_spawn_selection(
    env: &Env,
    input: Unknown,
    roster_configured: Unknown,
) -> Result<()> {
    let input = json_of(Some(input)).unwrap_or(Value::Null);
    let roster = json_of(Some(roster_configured));
    throwing(
        env,
        spawn_selection::validate_spawn_selection(&input, roster.as_ref()),
    )
}

#[napi(
    ts_args_type = "value: unknown",
    ts_return_type = "value is ThinkingLevel"
)]
pub fn is_thinking_level(value: Unknown) -> bool {
    json_of(Some(value)).is_some_and(|v| thinking::is_thinking_level(&v))
}

#[napi(ts_args_type = "value?: unknown", ts_return_type = "void")]
pub fn validate_thinking(env: &Env, value: Unknown) -> Result<()> {
    throwing(
        env,
        thinking::validate_thinking(json_of(Some(value)).as_ref()),
    )
}

#[napi(ts_return_type = "'ok' | 'unsupportedCapability' | 'unsupportedValue' | 'startOnly'")]
pub fn evaluate_thinking_policy(
    backend: String,
    value: String,
    resume: Option<bool>,
) -> &'static str {
    thinking::evaluate_thinking_policy(&backend, &value, resume.unwrap_or(false))
}

#[napi(
    ts_args_type = "backend: string, value?: unknown",
    ts_return_type = "void"
)]
pub fn validate_thinking_for_backend(env: &Env, backend: String, value: Unknown) -> Result<()> {
    throwing(
        env,
        thinking::validate_thinking_for_backend(&backend, json_of(Some(value)).as_ref()),
    )
}

#[napi(
    ts_args_type = "backend: string, value?: unknown",
    ts_return_type = "void"
)]
pub fn validate_thinking_for_backend_resume(
    env: &Env,
    backend: String,
    value: Unknown,
) -> Result<()> {
    throwing(
        env,
        thinking::validate_thinking_for_backend_resume(&backend, json_of(Some(value)).as_ref()),
    )
}
