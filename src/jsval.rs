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
        Value::String(s) => string_to_number(s),
        Value::Array(_) | Value::Object(_) => f64::NAN,
    }
}

/// `Number(s)` for a string: blank → 0, `0x`/`0o`/`0b` prefixes, exactly
/// `Infinity`, otherwise decimal literals only (Rust's `inf`/`nan` are NaN).
pub fn string_to_number(s: &str) -> f64 {
    let t = js_trim(s);
    if t.is_empty() {
        return 0.0;
    }
    let radix = match t.get(..2) {
        Some("0x" | "0X") => Some(16),
        Some("0o" | "0O") => Some(8),
        Some("0b" | "0B") => Some(2),
        _ => None,
    };
    if let Some(radix) = radix {
        let digits = &t[2..];
        if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
            return f64::NAN;
        }
        return digits
            .chars()
            .filter_map(|c| c.to_digit(radix))
            .fold(0.0, |acc, d| acc * f64::from(radix) + f64::from(d));
    }
    match t {
        "Infinity" | "+Infinity" => return f64::INFINITY,
        "-Infinity" => return f64::NEG_INFINITY,
        _ => {}
    }
    let decimal_chars = |c: char| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-');
    if !t.chars().all(decimal_chars) {
        return f64::NAN;
    }
    t.parse::<f64>().unwrap_or(f64::NAN)
}

/// A finite number given as a JSON number or a non-blank numeric string
/// (how sequence numbers arrive); anything else is `None`.
pub fn finite_number(v: &Value) -> Option<f64> {
    let n = match v {
        Value::Number(_) => to_number(v),
        Value::String(s) if !js_trim(s).is_empty() => string_to_number(s),
        _ => return None,
    };
    n.is_finite().then_some(n)
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

/// JavaScript's `String.prototype.trim()`: its whitespace set differs from
/// Rust's (`U+FEFF` is trimmed, `U+0085` is not).
pub fn js_trim(s: &str) -> &str {
    s.trim_matches(is_js_whitespace)
}

/// A character `String.prototype.trim()` removes (WhiteSpace or LineTerminator).
pub fn is_js_whitespace(c: char) -> bool {
    matches!(
        c,
        '\u{9}' | '\u{A}' | '\u{B}' | '\u{C}' | '\u{D}' | ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202F}'
                | '\u{205F}'
                | '\u{3000}'
                | '\u{FEFF}'
    )
}

/// `String(n)` for a JS number: shortest round-trip digits laid out with the
/// ECMAScript Number::toString rules (`1e+21`, `1.5e-7`, `0.000001`).
pub fn js_number_to_string(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    if f == 0.0 {
        return "0".to_string();
    }
    let sign = if f < 0.0 { "-" } else { "" };
    // `{:e}` gives the shortest round-trip mantissa, e.g. `1.2345e3`.
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let k = digits.len() as i64;
    let n = exp.parse::<i64>().unwrap_or(0) + 1;
    let body = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        format!("{}.{}", &digits[..n as usize], &digits[n as usize..])
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let e = n - 1;
        let e_sign = if e < 0 { '-' } else { '+' };
        if k == 1 {
            format!("{digits}e{e_sign}{}", e.abs())
        } else {
            format!("{}.{}e{e_sign}{}", &digits[..1], &digits[1..], e.abs())
        }
    };
    format!("{sign}{body}")
}

/// `JSON.stringify(v)` (compact), with JavaScript's number formatting.
pub fn json_stringify(v: &Value) -> String {
    let mut out = String::new();
    write_json(v, &mut out);
    out
}

fn write_json(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.is_finite() => out.push_str(&js_number_to_string(f)),
            _ => out.push_str("null"),
        },
        Value::String(s) => out.push_str(&Value::String(s.clone()).to_string()),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_json(item, out);
            }
            out.push('}');
        }
    }
}

/// The first non-empty string among `keys` (a field and its aliases).
pub fn first_non_empty_str<'a>(
    obj: &'a serde_json::Map<String, Value>,
    keys: &[&str],
) -> Option<&'a str> {
    keys.iter().find_map(|k| non_empty_str(obj, k))
}

/// The non-empty strings of a JSON array (a `children` list), as an array.
pub fn non_empty_strings(items: &[Value]) -> Value {
    Value::Array(
        items
            .iter()
            .filter(|c| c.as_str().is_some_and(|s| !s.is_empty()))
            .cloned()
            .collect(),
    )
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

    #[test]
    fn number_coercion_follows_javascript() {
        assert_eq!(string_to_number(" 12 "), 12.0);
        assert_eq!(string_to_number(""), 0.0);
        assert_eq!(string_to_number("0x1F"), 31.0);
        assert_eq!(string_to_number("1e3"), 1000.0);
        assert_eq!(string_to_number("-Infinity"), f64::NEG_INFINITY);
        assert!(string_to_number("inf").is_nan());
        assert!(string_to_number("NaN").is_nan());
        assert!(string_to_number("0x").is_nan());
        assert!(string_to_number("12px").is_nan());
        assert_eq!(finite_number(&json!("7")), Some(7.0));
        assert_eq!(finite_number(&json!(7.5)), Some(7.5));
        assert_eq!(finite_number(&json!(" ")), None);
        assert_eq!(finite_number(&json!("Infinity")), None);
        assert_eq!(finite_number(&json!(true)), None);
    }

    #[test]
    fn js_trim_uses_the_javascript_whitespace_set() {
        assert_eq!(js_trim("\u{FEFF} a \n"), "a");
        assert_eq!(js_trim("\u{85}a"), "\u{85}a");
    }

    #[test]
    fn numbers_print_as_javascript_does() {
        assert_eq!(js_number_to_string(1.0), "1");
        assert_eq!(js_number_to_string(-1.5), "-1.5");
        assert_eq!(js_number_to_string(1e21), "1e+21");
        assert_eq!(js_number_to_string(1.5e-7), "1.5e-7");
        assert_eq!(js_number_to_string(0.000001), "0.000001");
        assert_eq!(js_number_to_string(123456.789), "123456.789");
        assert_eq!(js_number_to_string(1e20), "100000000000000000000");
        assert_eq!(js_number_to_string(f64::NAN), "NaN");
    }

    #[test]
    fn stringify_is_compact_json() {
        assert_eq!(
            json_stringify(&json!({"a": [1, "x\"y", null, 2.5], "b": true})),
            r#"{"a":[1,"x\"y",null,2.5],"b":true}"#
        );
        assert_eq!(json_stringify(&json!(1.0)), "1");
    }
}
