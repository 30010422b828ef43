//! The one error type of the core. Its `Display` is the exact message the original
//! package put in `error.message`, because MCP hosts show that text to users.

use std::fmt;

use serde_json::Value;

use crate::jsval::js_template_string;

#[derive(Debug, Clone, PartialEq)]
pub enum CoreError {
    /// A plain `Error(message)`.
    Plain(String),
    /// The daemon answered a call with a JSON-RPC error object.
    Rpc(Box<RpcError>),
    /// `AggregateError(errors, message)`.
    Aggregate {
        message: String,
        errors: Vec<CoreError>,
    },
    /// An Error whose `name` is `AbortError`.
    Aborted(String),
    /// An Error with a `cause` (for example the daemon's stderr tail).
    WithCause { message: String, cause: String },
}

/// A JSON-RPC error object. `code` and `message` are kept as raw JSON so the text
/// matches a JS template literal of them.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcError {
    pub code: Option<Value>,
    pub message: Option<Value>,
    pub data: Option<Value>,
}

impl CoreError {
    pub fn plain(message: impl Into<String>) -> Self {
        CoreError::Plain(message.into())
    }

    /// The numeric JSON-RPC code, when this is an RPC error with an integer code.
    pub fn rpc_code(&self) -> Option<i64> {
        match self {
            CoreError::Rpc(e) => e.code.as_ref().and_then(Value::as_i64),
            _ => None,
        }
    }
}

impl fmt::Display for CoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CoreError::Plain(m) | CoreError::Aborted(m) => f.write_str(m),
            CoreError::Rpc(e) => write!(
                f,
                "rpc error [{}]: {}",
                js_template_string(e.code.as_ref()),
                js_template_string(e.message.as_ref())
            ),
            CoreError::Aggregate { message, .. } => f.write_str(message),
            CoreError::WithCause { message, .. } => f.write_str(message),
        }
    }
}

impl std::error::Error for CoreError {}

pub type CoreResult<T> = Result<T, CoreError>;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rpc_error_text_matches_the_original_template() {
        let e = CoreError::Rpc(Box::new(RpcError {
            code: Some(json!(-32000)),
            message: Some(json!("something went wrong")),
            data: None,
        }));
        assert_eq!(e.to_string(), "rpc error [-32000]: something went wrong");
        assert_eq!(e.rpc_code(), Some(-32000));
        let missing = CoreError::Rpc(Box::new(RpcError {
            code: None,
            message: None,
            data: None,
        }));
        assert_eq!(missing.to_string(), "rpc error [undefined]: undefined");
    }
}
