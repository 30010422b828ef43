//! JS surface of run-event normalisation and the snapshot reducer (core-spec
//! §15.1–15.3). The reducer runs in Rust; snapshots cross as plain objects.

use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;

use super::json::json_of;
use super::promise::Json;
use crate::observe;

/// snake_case on the JS side, as the original's constant.
#[napi(object)]
pub struct RunReducerLimits {
    #[napi(js_name = "transcript_entries")]
    pub transcript_entries: u32,
    #[napi(js_name = "text_chars")]
    pub text_chars: u32,
    #[napi(js_name = "tool_preview_chars")]
    pub tool_preview_chars: u32,
    #[napi(js_name = "tools")]
    pub tools: u32,
    #[napi(js_name = "permissions")]
    pub permissions: u32,
    #[napi(js_name = "legacy_keys")]
    pub legacy_keys: u32,
}

const D: observe::RunReducerLimits = observe::DEFAULT_RUN_REDUCER_LIMITS;

/// The reducer's default bounds.
#[napi]
pub const DEFAULT_RUN_REDUCER_LIMITS: RunReducerLimits = RunReducerLimits {
    transcript_entries: D.transcript_entries as u32,
    text_chars: D.text_chars as u32,
    tool_preview_chars: D.tool_preview_chars as u32,
    tools: D.tools as u32,
    permissions: D.permissions as u32,
    legacy_keys: D.legacy_keys as u32,
};

/// The first non-empty text in an event-like value (depth-limited).
#[napi(
    ts_args_type = "value: unknown, depth?: number",
    ts_return_type = "string | undefined"
)]
pub fn extract_event_text(value: Unknown, depth: Option<u32>) -> Json {
    let text =
        json_of(Some(value)).and_then(|v| observe::extract_event_text(&v, depth.unwrap_or(0)));
    Json(text.map(Value::String))
}

/// A normalised run event, or `null` when the input is not an event.
#[napi(
    ts_args_type = "input: unknown",
    ts_return_type = "NormalizedRunEvent | null"
)]
pub fn normalize_run_event(input: Unknown) -> Option<Value> {
    json_of(Some(input))
        .and_then(|v| observe::normalize_run_event(&v))
        .map(Value::Object)
}

/// A fresh snapshot (from `seed` when given).
#[napi(
    ts_args_type = "seed?: RunSnapshotSeed, limits?: Partial<RunReducerLimits>",
    ts_return_type = "RunSnapshot"
)]
pub fn create_run_snapshot(seed: Option<Unknown>, limits: Option<Unknown>) -> Value {
    observe::create_run_snapshot(json_of(seed).as_ref(), json_of(limits).as_ref())
}

/// `snapshot` with `event` folded in (a new object; the input is not changed).
#[napi(
    ts_args_type = "snapshot: RunSnapshot, event: unknown, limits?: Partial<RunReducerLimits>",
    ts_return_type = "RunSnapshot"
)]
pub fn reduce_run_snapshot(snapshot: Unknown, event: Unknown, limits: Option<Unknown>) -> Value {
    let snapshot = json_of(Some(snapshot)).unwrap_or(Value::Null);
    let event = json_of(Some(event)).unwrap_or(Value::Null);
    observe::reduce_run_snapshot(&snapshot, &event, json_of(limits).as_ref())
}

/// Folds events one by one into a bounded snapshot.
#[napi]
pub struct RunReducer {
    inner: observe::RunReducer,
}

#[napi]
impl RunReducer {
    #[napi(
        constructor,
        ts_args_type = "limits?: Partial<RunReducerLimits>, initialSeed?: RunSnapshotSeed"
    )]
    pub fn new(limits: Option<Unknown>, initial_seed: Option<Unknown>) -> Self {
        RunReducer {
            inner: observe::RunReducer::new(
                json_of(limits).as_ref(),
                json_of(initial_seed).as_ref(),
            ),
        }
    }

    /// Folds `event` in and returns a copy of the snapshot.
    #[napi(ts_args_type = "event: unknown", ts_return_type = "RunSnapshot")]
    pub fn apply(&mut self, event: Unknown) -> Value {
        let event = json_of(Some(event)).unwrap_or(Value::Null);
        self.inner.apply(&event)
    }

    /// A copy of the current snapshot.
    #[napi(ts_return_type = "RunSnapshot")]
    pub fn snapshot(&self) -> Value {
        self.inner.snapshot()
    }
}
