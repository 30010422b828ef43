//! Thinking-level policy (core-spec §13.2): which `thinking` values each backend
//! accepts when a session starts and when it resumes. Hosts call these; the
//! tools forward `thinking` unvalidated.

use serde_json::Value;

use crate::error::{CoreError, CoreResult};
use crate::jsval::json_stringify;

pub const THINKING_LEVELS: [&str; 7] = ["off", "minimal", "low", "medium", "high", "xhigh", "max"];

/// Levels the Claude backends take when starting a session.
const CLAUDE_START_LEVELS: [&str; 5] = ["low", "medium", "high", "xhigh", "max"];

pub const OK: &str = "ok";
pub const UNSUPPORTED_CAPABILITY: &str = "unsupportedCapability";
pub const UNSUPPORTED_VALUE: &str = "unsupportedValue";
pub const START_ONLY: &str = "startOnly";

pub fn is_thinking_level(v: &Value) -> bool {
    v.as_str().is_some_and(is_level)
}

fn is_level(s: &str) -> bool {
    THINKING_LEVELS.contains(&s)
}

/// `undefined` and `""` pass; anything else must be one of the levels.
pub fn validate_thinking(v: Option<&Value>) -> CoreResult<()> {
    match v {
        None => Ok(()),
        Some(Value::String(s)) if s.is_empty() || is_level(s) => Ok(()),
        Some(other) => Err(CoreError::plain(format!(
            "invalid thinking value {} (allowed: {})",
            json_stringify(other),
            THINKING_LEVELS.join(", ")
        ))),
    }
}

/// The levels `backend` accepts; `None` when the backend has no thinking
/// parameter at all.
fn allowed_levels(backend: &str, resume: bool) -> Option<&'static [&'static str]> {
    match backend {
        "codex-app-server" | "pi" => Some(&THINKING_LEVELS),
        // Claude sets thinking only at session start: nothing is accepted on resume.
        "claude" | "claude-channel" if resume => Some(&[]),
        "claude" | "claude-channel" => Some(&CLAUDE_START_LEVELS),
        _ => None,
    }
}

/// `ok`, `unsupportedCapability`, `unsupportedValue` or `startOnly`.
/// Choices where the spec is silent: an unknown backend is
/// `unsupportedCapability` for every non-empty value; a Claude resume is
/// `startOnly` for every non-empty value (the capability check comes before
/// the value check); a non-level value on a thinking backend is `unsupportedValue`.
pub fn evaluate_thinking_policy(backend: &str, value: &str, resume: bool) -> &'static str {
    if value.is_empty() {
        return OK;
    }
    let Some(allowed) = allowed_levels(backend, resume) else {
        return UNSUPPORTED_CAPABILITY;
    };
    if allowed.contains(&value) {
        OK
    } else if allowed.is_empty() {
        // Only a start-only backend on resume accepts nothing at all.
        START_ONLY
    } else {
        UNSUPPORTED_VALUE
    }
}

pub fn validate_thinking_for_backend(backend: &str, v: Option<&Value>) -> CoreResult<()> {
    validate_for(backend, v, false)
}

pub fn validate_thinking_for_backend_resume(backend: &str, v: Option<&Value>) -> CoreResult<()> {
    validate_for(backend, v, true)
}

fn validate_for(backend: &str, v: Option<&Value>, resume: bool) -> CoreResult<()> {
    validate_thinking(v)?;
    // After validate_thinking the value is undefined or a string.
    let value = v.and_then(Value::as_str).unwrap_or("");
    let b = json_stringify(&Value::String(backend.to_string()));
    match evaluate_thinking_policy(backend, value, resume) {
        UNSUPPORTED_VALUE => Err(CoreError::plain(format!(
            "backend {b} does not support thinking value {} (allowed: {})",
            json_stringify(&Value::String(value.to_string())),
            allowed_levels(backend, resume).unwrap_or(&[]).join(", ")
        ))),
        UNSUPPORTED_CAPABILITY => Err(CoreError::plain(format!(
            "backend {b} does not support parameter \"thinking\""
        ))),
        START_ONLY => Err(CoreError::plain(format!(
            "backend {b} supports parameter \"thinking\" only when starting a session"
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Map;

    const TABLE: &str = include_str!("../../__test__/data/thinking_policy.conformance.json");

    fn table() -> Map<String, Value> {
        match serde_json::from_str(TABLE) {
            Ok(Value::Object(m)) => m,
            other => panic!("bad table: {other:?}"),
        }
    }

    fn str_field<'a>(case: &'a Value, key: &str) -> &'a str {
        case.get(key).and_then(Value::as_str).unwrap_or_default()
    }

    #[test]
    fn levels_match_the_table() {
        let t = table();
        let levels: Vec<&str> = t["levels"]
            .as_array()
            .expect("levels")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(levels, THINKING_LEVELS);
        for l in THINKING_LEVELS {
            assert!(is_thinking_level(&Value::String(l.to_string())));
        }
        assert!(!is_thinking_level(&Value::String("OFF".into())));
        assert!(!is_thinking_level(&Value::Null));
    }

    #[test]
    fn policy_cases() {
        let t = table();
        let cases = t["policy"].as_array().expect("policy");
        assert!(cases.len() >= 5 * 8 * 2);
        for case in cases {
            let backend = str_field(case, "backend");
            let value = str_field(case, "value");
            let resume = case.get("resume").and_then(Value::as_bool).unwrap_or(false);
            assert_eq!(
                evaluate_thinking_policy(backend, value, resume),
                str_field(case, "outcome"),
                "{case}"
            );
        }
    }

    #[test]
    fn validator_cases() {
        let t = table();
        for case in t["validators"].as_array().expect("validators") {
            let backend = str_field(case, "backend");
            let value = case.get("value");
            let result = match str_field(case, "fn") {
                "validateThinking" => validate_thinking(value),
                "validateThinkingForBackend" => validate_thinking_for_backend(backend, value),
                "validateThinkingForBackendResume" => {
                    validate_thinking_for_backend_resume(backend, value)
                }
                other => panic!("unknown fn {other}"),
            };
            match case.get("error").and_then(Value::as_str) {
                None => assert!(result.is_ok(), "{case}: {result:?}"),
                Some(msg) => assert_eq!(
                    result.map_err(|e| e.to_string()),
                    Err(msg.to_string()),
                    "{case}"
                ),
            }
        }
    }
}
