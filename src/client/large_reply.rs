//! A large reply parsed away from the host's thread. Parsing a reply of many
//! megabytes where it was read would stall the host's event loop for as long
//! as `JSON.parse` of it takes; here it is parsed on a worker, and what comes
//! back is the cheaper thing to turn into a JS value on the host's thread.

use serde_json::value::RawValue;
use serde_json::Value;

use super::framing::{classify_line, classify_text, decode_line, Incoming, RawIncoming};
use crate::error::CoreError;

/// A result with up to this many JSON values is built member by member
/// (cheap when they are few: one long string is one copy); a larger one goes
/// back as text for `JSON.parse`, which builds many small values faster.
const MAX_NODES_TO_BUILD: usize = 4096;

#[derive(Debug)]
pub enum LargeReply {
    /// Not call `id`'s reply after all (malformed, or another id).
    NotIt,
    /// The outcome, with the result as a value of few members.
    Value(Result<Option<Value>, CoreError>),
    /// The outcome, with the result as JSON text.
    Text(Result<Option<Box<RawValue>>, CoreError>),
}

pub fn parse_large_reply(id: u64, line: &[u8]) -> LargeReply {
    match classify_line(line) {
        Incoming::Reply { id: got, outcome } if got == id => match outcome {
            Ok(Some(result))
                if node_count(&result, MAX_NODES_TO_BUILD + 1) > MAX_NODES_TO_BUILD =>
            {
                let text = decode_line(line);
                match classify_text(&text) {
                    RawIncoming::Reply { outcome, .. } => {
                        LargeReply::Text(outcome.map(|r| r.map(RawValue::to_owned)))
                    }
                    _ => LargeReply::NotIt,
                }
            }
            outcome => LargeReply::Value(outcome),
        },
        _ => LargeReply::NotIt,
    }
}

/// How many JSON values `value` holds, counting no further than `limit`.
fn node_count(value: &Value, limit: usize) -> usize {
    let mut count = 0;
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        count += 1;
        if count >= limit {
            return count;
        }
        match v {
            Value::Array(items) => stack.extend(items.iter()),
            Value::Object(members) => stack.extend(members.values()),
            _ => {}
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_few_large_members_come_back_as_a_value_many_small_ones_as_text() {
        let long = format!(
            r#"{{"jsonrpc":"2.0","id":4,"result":{{"final_output":"{}"}}}}"#,
            "x".repeat(100)
        );
        assert!(
            matches!(parse_large_reply(4, long.as_bytes()), LargeReply::Value(Ok(Some(v))) if v["final_output"].as_str().unwrap().len() == 100)
        );
        let items: Vec<String> = (0..5000).map(|i| format!(r#"{{"n":{i}}}"#)).collect();
        let many = format!(
            r#"{{"jsonrpc":"2.0","id":4,"result":[{}]}}"#,
            items.join(",")
        );
        match parse_large_reply(4, many.as_bytes()) {
            LargeReply::Text(Ok(Some(raw))) => assert!(raw.get().starts_with(r#"[{"n":0}"#)),
            other => panic!("unexpected {other:?}"),
        }
        let failed = br#"{"jsonrpc":"2.0","id":4,"error":{"code":-1,"message":"no"}}"#;
        assert!(matches!(
            parse_large_reply(4, failed),
            LargeReply::Value(Err(_))
        ));
        assert!(matches!(
            parse_large_reply(5, long.as_bytes()),
            LargeReply::NotIt
        ));
        assert!(matches!(
            parse_large_reply(4, b"{\"jsonrpc\":\"2.0\",\"id\":4,"),
            LargeReply::NotIt
        ));
    }
}
