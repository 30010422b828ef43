//! Reading request params: required strings (-32602 `{"required":[…]}`, protocol §2.2),
//! optional members and Go-decoder-style integers, shared by every method family.

use serde_json::Value;

use crate::rpc::RpcError;

/// A non-empty string member.
pub fn str_of<'a>(params: &'a Value, key: &str) -> Option<&'a str> {
    params
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// The `keys` as non-empty strings; if any is missing the error names them all,
/// as the daemon's fixed `required` lists do.
pub fn required<'a, const N: usize>(
    params: &'a Value,
    keys: [&str; N],
) -> Result<[&'a str; N], RpcError> {
    let mut out = [""; N];
    for (slot, key) in out.iter_mut().zip(keys) {
        *slot = str_of(params, key).ok_or_else(|| RpcError::required(&keys))?;
    }
    Ok(out)
}

/// Reads an optional integer param; wrong types are -32602 with a decoder-style detail.
pub fn int_param(params: &Value, key: &str) -> Result<i64, RpcError> {
    match params.get(key) {
        None | Some(Value::Null) => Ok(0),
        Some(Value::Number(n)) => n.as_i64().ok_or_else(|| {
            RpcError::detail(format!(
                "json: cannot unmarshal number {n} into Go struct field .{key} of type int"
            ))
        }),
        Some(_) => Err(RpcError::detail(format!(
            "json: cannot unmarshal {key} into Go struct field of type int"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn required_lists_every_key() {
        let p = json!({"a": "x", "b": ""});
        assert_eq!(required(&p, ["a"]).ok(), Some(["x"]));
        let e = required(&p, ["a", "b"]).expect_err("b is empty");
        assert_eq!(e.code, crate::rpc::INVALID_PARAMS);
        assert_eq!(e.data, Some(json!({"required": ["a", "b"]})));
        assert!(required(&Value::Null, ["a"]).is_err());
    }
}
