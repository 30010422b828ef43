//! Reading tool arguments as the original read them: camelCase keys, `undefined`
//! and `null` both absent (`??`), strings taken as given.

use serde_json::{Map, Value};

use crate::error::{CoreError, CoreResult};

pub type Args = Map<String, Value>;

/// The object a tool was called with (a missing or non-object argument is `{}`).
pub fn args_of(v: Option<Value>) -> Args {
    match v {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

/// A present, non-null member.
pub fn member<'a>(args: &'a Args, key: &str) -> Option<&'a Value> {
    args.get(key).filter(|v| !v.is_null())
}

/// A string member (non-strings count as absent).
pub fn string(args: &Args, key: &str) -> Option<String> {
    member(args, key)
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// A string member that must be present: `<key> is required` otherwise.
pub fn required_string(args: &Args, key: &str, name: &str) -> CoreResult<String> {
    string(args, key)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| CoreError::plain(format!("{name} is required")))
}

/// A member that the original passed to string functions: non-strings become
/// their JS text so that validators reject them with their own message.
pub fn text(args: &Args, key: &str) -> Option<String> {
    member(args, key).map(|v| match v {
        Value::String(s) => s.clone(),
        other => crate::jsval::js_template_string(Some(other)),
    })
}

/// `supervisorId`, when given.
pub fn supervisor_id(args: &Args) -> Option<String> {
    text(args, "supervisorId")
}

/// A new public run id (`randomUUID()`).
pub fn new_run_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
