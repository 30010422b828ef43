//! Spawn-selector rules (core-spec §13.1): a run is chosen either directly
//! (`agent`/`model`/`backend`) or through a roster (`roster_file` +
//! `roster_entry`), never both.
//!
//! `input` is the JS value as JSON; a JS `undefined` member must be dropped by
//! the caller before conversion (napi turns it into `null`, which JS rejects).

use serde_json::{Map, Value};

use crate::error::{CoreError, CoreResult};

const FIELDS: [&str; 5] = ["agent", "model", "backend", "roster_file", "roster_entry"];

const ROSTER_FILE_NEEDS_ENTRY: &str = "roster_file requires roster_entry";
const ROSTER_ENTRY_NEEDS_FILE: &str =
    "roster_entry requires roster_file unless a roster context is configured";
const IDENTITY_DISABLED: &str = "direct identity fields are disabled in roster mode";

fn selector_error(reason: impl std::fmt::Display) -> CoreError {
    CoreError::plain(format!("invalid spawn selector: {reason}"))
}

/// Throws `invalid spawn selector: …` for an invalid selection.
/// Check order (the spec lists but does not order them): object shape, unknown
/// keys in input order, value types in field order, then `rosterConfigured`.
pub fn validate_spawn_selection(
    input: &Value,
    roster_configured: Option<&Value>,
) -> CoreResult<()> {
    let Value::Object(obj) = input else {
        return Err(selector_error("expected an object"));
    };
    if let Some(key) = obj.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(selector_error(format_args!("unknown field \"{key}\"")));
    }
    if let Some(field) = FIELDS
        .iter()
        .find(|f| obj.get(**f).is_some_and(|v| !v.is_string()))
    {
        return Err(selector_error(format_args!("{field} must be a string")));
    }
    let roster_configured = match roster_configured {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(selector_error("rosterConfigured must be a boolean")),
    };
    check_rules(obj, roster_configured)
}

fn check_rules(obj: &Map<String, Value>, roster_configured: bool) -> CoreResult<()> {
    // Empty strings count as absent.
    let present = |f: &str| {
        obj.get(f)
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
    };
    let roster_mode = present("roster_entry");
    for field in FIELDS {
        if !present(field) {
            continue;
        }
        let reason = match field {
            "roster_file" if !roster_mode => Some(ROSTER_FILE_NEEDS_ENTRY),
            "roster_entry" if !present("roster_file") && !roster_configured => {
                Some(ROSTER_ENTRY_NEEDS_FILE)
            }
            "agent" | "model" | "backend" if roster_mode => Some(IDENTITY_DISABLED),
            _ => None,
        };
        if let Some(reason) = reason {
            return Err(selector_error(reason));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const TABLE: &str = include_str!("../../__test__/data/spawn_selection.conformance.json");

    #[test]
    fn conformance_table() {
        let cases: Vec<Value> = serde_json::from_str(TABLE).expect("table parses");
        assert!(cases.len() >= 20);
        for case in &cases {
            let input = case.get("input").cloned().unwrap_or(Value::Null);
            let result = validate_spawn_selection(&input, case.get("rosterConfigured"));
            let valid = case.get("valid").and_then(Value::as_bool).expect("valid");
            if valid {
                assert!(result.is_ok(), "{case}: {result:?}");
            } else {
                let want = case.get("error").and_then(Value::as_str).expect("error");
                assert_eq!(
                    result.map_err(|e| e.to_string()),
                    Err(want.to_string()),
                    "{case}"
                );
            }
        }
    }

    #[test]
    fn check_order_choices() {
        let err = |v: Value, rc: Option<&Value>| {
            validate_spawn_selection(&v, rc).map_err(|e| e.to_string())
        };
        // Unknown keys are reported before bad value types, types before rosterConfigured.
        assert_eq!(
            err(json!({"agent": 5, "thinking": "x"}), None),
            Err("invalid spawn selector: unknown field \"thinking\"".to_string())
        );
        assert_eq!(
            err(json!({"roster_entry": 1, "agent": 2}), Some(&json!("x"))),
            Err("invalid spawn selector: agent must be a string".to_string())
        );
    }
}
