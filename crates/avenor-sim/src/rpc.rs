//! JSON-RPC 2.0 envelope (protocol §1.3): request decoding, error objects, and the exact
//! `jsonrpc, id, result|error` field order of the real server's replies.

use serde_json::{json, Map, Value};

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const INVALID_PARAMS: i64 = -32602;
pub const HANDLER_ERROR: i64 = -32000;
pub const NO_PENDING_PERMISSION: i64 = -32001;
pub const PERMISSION_DENIED: i64 = -32010;
pub const WAIT_TIMEOUT: i64 = -32020;
pub const ADMISSION: i64 = -32050;

#[derive(Debug, Clone)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    pub data: Option<Value>,
}

impl RpcError {
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        RpcError {
            code,
            message: message.into(),
            data: None,
        }
    }

    /// -32000 with the handler's error text.
    pub fn handler(message: impl Into<String>) -> Self {
        Self::new(HANDLER_ERROR, message)
    }

    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    /// -32602 `{"required":[…]}`.
    pub fn required(fields: &[&str]) -> Self {
        Self::new(INVALID_PARAMS, "invalid params").with_data(json!({ "required": fields }))
    }

    /// -32602 `{"detail":"…"}`.
    pub fn detail(detail: impl Into<String>) -> Self {
        Self::new(INVALID_PARAMS, "invalid params").with_data(json!({ "detail": detail.into() }))
    }

    pub fn not_found(runtime_id: &str) -> Self {
        Self::handler(format!("runtime {runtime_id:?} not found"))
    }

    pub fn denied() -> Self {
        Self::new(PERMISSION_DENIED, "permission_denied")
    }

    fn to_json(&self) -> String {
        let mut s = format!(
            "{{\"code\":{},\"message\":{}",
            self.code,
            Value::String(self.message.clone())
        );
        if let Some(d) = &self.data {
            s.push_str(",\"data\":");
            s.push_str(&d.to_string());
        }
        s.push('}');
        s
    }
}

/// A decoded request line.
pub struct Request {
    /// `None` when absent or null: execute, but never reply.
    pub id: Option<Value>,
    pub method: String,
    pub params: Value,
}

/// Outcome of decoding one line: either a request to run, or an immediate error reply
/// (`None` id means no reply is written).
pub enum Decoded {
    Call(Request),
    Reject { id: Option<Value>, error: RpcError },
}

/// Decodes one line (already stripped of `\n` and a trailing `\r`).
pub fn decode(line: &[u8]) -> Decoded {
    let parse_error = || Decoded::Reject {
        id: Some(Value::Null),
        error: RpcError::new(PARSE_ERROR, "parse error"),
    };
    let obj: Map<String, Value> = match serde_json::from_slice::<Value>(line) {
        Ok(Value::Object(m)) => m,
        _ => return parse_error(),
    };
    // Go decodes into a struct with string fields: a wrongly typed `jsonrpc`/`method`
    // makes the whole line undecodable.
    let jsonrpc = match obj.get("jsonrpc") {
        None | Some(Value::Null) => "",
        Some(Value::String(s)) => s.as_str(),
        Some(_) => return parse_error(),
    };
    let method = match obj.get("method") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return parse_error(),
    };
    let id = match obj.get("id") {
        None | Some(Value::Null) => None,
        Some(v) => Some(normalize_id(v)),
    };
    if jsonrpc != "2.0" {
        return Decoded::Reject {
            id,
            error: RpcError::new(INVALID_REQUEST, "invalid request"),
        };
    }
    Decoded::Call(Request {
        id,
        method,
        params: obj.get("params").cloned().unwrap_or(Value::Null),
    })
}

/// Go decodes ids into `any` (float64) and re-encodes them, so `1.0` comes back as `1`.
fn normalize_id(v: &Value) -> Value {
    if let Value::Number(n) = v {
        if n.is_f64() {
            if let Some(f) = n.as_f64() {
                if f.fract() == 0.0 && f.abs() < 9.0e15 {
                    return Value::from(f as i64);
                }
            }
        }
    }
    v.clone()
}

/// `{"jsonrpc":"2.0","id":…,"result":…}\n`
pub fn success_line(id: &Value, result: &Value) -> String {
    let mut s = String::with_capacity(64);
    s.push_str("{\"jsonrpc\":\"2.0\",\"id\":");
    s.push_str(&id.to_string());
    s.push_str(",\"result\":");
    s.push_str(&result.to_string());
    s.push_str("}\n");
    s
}

/// `{"jsonrpc":"2.0","id":…,"error":{…}}\n`
pub fn error_line(id: &Value, err: &RpcError) -> String {
    format!(
        "{{\"jsonrpc\":\"2.0\",\"id\":{},\"error\":{}}}\n",
        id,
        err.to_json()
    )
}

/// Everything of a notification line before the event object.
pub const NOTIFICATION_PREFIX: &str = "{\"jsonrpc\":\"2.0\",\"method\":\"event\",\"params\":";

/// `{"jsonrpc":"2.0","method":"event","params":<event>}\n` from pre-serialised event JSON.
pub fn notification_line(event_json: &str) -> String {
    let mut s = String::with_capacity(event_json.len() + 48);
    s.push_str(NOTIFICATION_PREFIX);
    s.push_str(event_json);
    s.push_str("}\n");
    s
}

/// The `runtime_id` probe: a non-empty string inside an object, otherwise "unscoped".
pub fn runtime_id(params: &Value) -> Option<&str> {
    params
        .get("runtime_id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_cases() {
        assert!(
            matches!(decode(b""), Decoded::Reject { id: Some(Value::Null), ref error } if error.code == PARSE_ERROR)
        );
        assert!(
            matches!(decode(b"[]"), Decoded::Reject { ref error, .. } if error.code == PARSE_ERROR)
        );
        match decode(br#"{"jsonrpc":"1.0","id":7,"method":"list"}"#) {
            Decoded::Reject { id, error } => {
                assert_eq!(id, Some(json!(7)));
                assert_eq!(error.code, INVALID_REQUEST);
            }
            Decoded::Call(_) => panic!("expected reject"),
        }
        match decode(br#"{"jsonrpc":"2.0","id":1.0,"method":"list"}"#) {
            Decoded::Call(r) => assert_eq!(r.id, Some(json!(1))),
            Decoded::Reject { .. } => panic!("expected call"),
        }
    }

    #[test]
    fn reply_field_order() {
        assert_eq!(
            success_line(&json!("a"), &json!({"ok":true})),
            "{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"result\":{\"ok\":true}}\n"
        );
        assert_eq!(
            error_line(&Value::Null, &RpcError::new(PARSE_ERROR, "parse error")),
            "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"parse error\"}}\n"
        );
    }
}
