//! Small helpers that reproduce JavaScript's view of JSON values (truthiness,
//! `Number()` coercion, template-literal text), so that ported rules read the
//! same as the original TypeScript.

use serde_json::Value;

/// JavaScript truthiness of a JSON value.
pub fn is_truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// Truthiness of an optional member (`undefined` is falsy).
pub fn is_truthy_opt(v: Option<&Value>) -> bool {
    v.is_some_and(is_truthy)
}

/// `Number(v)` for a JSON value.
pub fn to_number(v: &Value) -> f64 {
    match v {
        Value::Null => 0.0,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Value::String(s) => {
            let t = s.trim();
            if t.is_empty() {
                0.0
            } else {
                t.parse::<f64>().unwrap_or(f64::NAN)
            }
        }
        Value::Array(_) | Value::Object(_) => f64::NAN,
    }
}

/// A JSON number from an f64, keeping integers integral; NaN/infinite become null,
/// as `JSON.stringify` does.
pub fn number_value(f: f64) -> Value {
    if !f.is_finite() {
        return Value::Null;
    }
    if f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 {
        Value::from(f as i64)
    } else {
        serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
    }
}

/// `max(lo, min(hi, trunc(Number(v))))` as JSON (NaN stays NaN → null).
pub fn clamp_trunc(v: &Value, lo: f64, hi: f64) -> Value {
    let n = to_number(v).trunc();
    if n.is_nan() {
        return Value::Null;
    }
    number_value(n.min(hi).max(lo))
}

/// The text `${v}` gives in a JS template literal.
pub fn js_template_string(v: Option<&Value>) -> String {
    match v {
        None => "undefined".to_string(),
        Some(Value::Null) => "null".to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e21 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                Value::Null => String::new(),
                other => js_template_string(Some(other)),
            })
            .collect::<Vec<_>>()
            .join(","),
        Some(Value::Object(_)) => "[object Object]".to_string(),
    }
}

/// A non-empty string member, or `None` (the original treats `""` as absent).
pub fn non_empty_str<'a>(obj: &'a serde_json::Map<String, Value>, key: &str) -> Option<&'a str> {
    obj.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn truthiness_follows_javascript() {
        assert!(!is_truthy(&json!("")));
        assert!(!is_truthy(&json!(0)));
        assert!(!is_truthy(&json!(null)));
        assert!(is_truthy(&json!({})));
        assert!(is_truthy(&json!("x")));
        assert!(!is_truthy_opt(None));
    }

    #[test]
    fn clamp_trunc_matches_math_max_min_trunc() {
        assert_eq!(clamp_trunc(&json!(-10), 1.0, 256.0), json!(1));
        assert_eq!(clamp_trunc(&json!(999), 1.0, 256.0), json!(256));
        assert_eq!(clamp_trunc(&json!(8.9), 1.0, 256.0), json!(8));
        assert_eq!(clamp_trunc(&json!(-5), 0.0, f64::INFINITY), json!(0));
        assert_eq!(clamp_trunc(&json!("abc"), 1.0, 256.0), json!(null));
    }

    #[test]
    fn template_text() {
        assert_eq!(js_template_string(Some(&json!(-32000))), "-32000");
        assert_eq!(js_template_string(Some(&json!(1.5))), "1.5");
        assert_eq!(js_template_string(Some(&json!("x"))), "x");
        assert_eq!(js_template_string(None), "undefined");
    }
}
