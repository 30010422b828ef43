//! NDJSON framing of the control socket: encoding requests and classifying the
//! lines the daemon sends. Lines have no size limit (a `result` reply can carry
//! megabytes) and unparsable lines are ignored, as the original client did.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

use crate::error::{CoreError, RpcError};
use crate::jsval::{is_truthy, to_number};

#[derive(Serialize)]
struct Request<'a> {
    jsonrpc: &'static str,
    id: u64,
    method: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    params: Option<&'a Value>,
}

/// One request line, `\n`-terminated; `params` is left out when absent.
/// The daemon's longest request line, newline included (protocol §1.2): a longer
/// one makes it drop the connection, and with it every call in flight.
pub const MAX_REQUEST_LINE: usize = 4 * 1024 * 1024;

/// The error for a request line over [`MAX_REQUEST_LINE`], refused before sending.
pub fn oversized_request(method: &str, bytes: usize) -> String {
    format!(
        "write request: {method} request is {bytes} bytes, over the daemon's limit of \
         {MAX_REQUEST_LINE} bytes per request line; it was not sent (a longer line makes \
         the daemon close the connection)"
    )
}

pub fn encode_request(id: u64, method: &str, params: Option<&Value>) -> Vec<u8> {
    let mut line = serde_json::to_vec(&Request {
        jsonrpc: "2.0",
        id,
        method,
        params,
    })
    .expect("a request of JSON values always serialises");
    line.push(b'\n');
    line
}

/// What one incoming line means to the client.
#[derive(Debug)]
pub enum Incoming {
    /// A reply to call `id`: its `result` (absent → `None`) or its error.
    Reply {
        id: u64,
        outcome: Result<Option<Value>, CoreError>,
    },
    /// An `event` notification's params (an object), as raw JSON text.
    Event(Box<RawValue>),
    /// Anything else: unparsable, unknown notification, non-integer id.
    Ignored,
}

impl PartialEq for Incoming {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Incoming::Reply { id: a, outcome: x }, Incoming::Reply { id: b, outcome: y }) => {
                a == b && x == y
            }
            (Incoming::Event(a), Incoming::Event(b)) => a.get() == b.get(),
            (Incoming::Ignored, Incoming::Ignored) => true,
            _ => false,
        }
    }
}

/// The members of an incoming message the client looks at, left unparsed
/// (event params are handed to JS as text; only replies are parsed further).
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    method: Option<&'a RawValue>,
    #[serde(borrow, default)]
    params: Option<&'a RawValue>,
    /// `null` is kept as a result (the call resolves with `null`, as the
    /// original's `msg.result` and the sniffed path give it); only a missing
    /// member is `None` (the call resolves with `undefined`).
    #[serde(borrow, default, deserialize_with = "present")]
    result: Option<&'a RawValue>,
    #[serde(borrow, default)]
    error: Option<&'a RawValue>,
}

/// A member that is present, whatever its value (`null` included).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(d).map(Some)
}

fn parse(raw: &RawValue) -> Value {
    serde_json::from_str(raw.get()).unwrap_or(Value::Null)
}

/// What one incoming line means, with the reply's `result` and the event's
/// params left as JSON text borrowed from the line (the connection read on the
/// host's event loop hands that text to `JSON.parse`).
#[derive(Debug)]
pub enum RawIncoming<'a> {
    Reply {
        id: u64,
        outcome: Result<Option<&'a RawValue>, CoreError>,
    },
    Event(&'a RawValue),
    Ignored,
}

/// A line as text: invalid UTF-8 becomes U+FFFD, as Node's line reader
/// decodes it. Valid text (nearly every line) is checked by the standard
/// validator, which is much quicker on ASCII than the lossy decoder.
pub fn decode_line(line: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(line) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(line),
    }
}

/// Classifies one line (without its terminator).
pub fn classify_line(line: &[u8]) -> Incoming {
    // Invalid UTF-8 becomes U+FFFD, as Node's line reader decodes it: a reply
    // with a bad byte inside a string still resolves its call.
    let text = decode_line(line);
    match classify_text(&text) {
        RawIncoming::Reply { id, outcome } => Incoming::Reply {
            id,
            outcome: outcome.map(|result| result.map(parse)),
        },
        RawIncoming::Event(params) => Incoming::Event(params.to_owned()),
        RawIncoming::Ignored => Incoming::Ignored,
    }
}

/// Classifies one line already decoded as text.
pub fn classify_text(text: &str) -> RawIncoming<'_> {
    // serde would also read a struct from a JSON array; only objects are messages.
    if !text.trim_start().starts_with('{') {
        return RawIncoming::Ignored;
    }
    let Ok(msg) = serde_json::from_str::<Envelope>(text) else {
        return RawIncoming::Ignored;
    };
    let id = msg.id.map(parse).filter(|id| !id.is_null());
    match id {
        Some(id) => {
            // The original matched replies by `Number(id)`.
            let n = to_number(&id);
            if !(n.is_finite() && n >= 0.0 && n.fract() == 0.0) {
                return RawIncoming::Ignored;
            }
            let outcome = match msg.error.map(parse) {
                Some(err) if is_truthy(&err) => Err(rpc_error(err)),
                _ => Ok(msg.result),
            };
            RawIncoming::Reply {
                id: n as u64,
                outcome,
            }
        }
        None => {
            // The daemon writes "event" plainly; any other spelling is parsed.
            let is_event = match msg.method {
                Some(m) if m.get() == "\"event\"" => true,
                Some(m) => parse(m).as_str() == Some("event"),
                None => false,
            };
            match msg.params {
                // A truthy non-object params has nothing to copy: ignored.
                Some(params) if is_event && params.get().starts_with('{') => {
                    RawIncoming::Event(params)
                }
                _ => RawIncoming::Ignored,
            }
        }
    }
}

/// How the daemon writes an event notification (protocol §1.3: members in
/// the order jsonrpc, method, params).
const EVENT_HEAD: &str = r#"{"jsonrpc":"2.0","method":"event","params":"#;

/// The params text of a line written as the daemon writes event notifications
/// (`EVENT_HEAD`, an object, the closing brace), found without reading the
/// params: the host's reader checks them with `JSON.parse`, which reads them
/// anyway and is quicker than a separate check here. Params that are
/// well-formed JSON make the line exactly the event `classify_text` finds in
/// it; anything else is settled by `check_sniffed_event`.
pub fn sniff_event(text: &str) -> Option<&str> {
    let params = text.strip_prefix(EVENT_HEAD)?.strip_suffix('}')?;
    (params.starts_with('{') && params.ends_with('}')).then_some(params)
}

/// What `classify_text` makes of the line `params` was sniffed from: its
/// event's params, or `None` when that line is not an event (malformed, or a
/// reply written oddly; it is then ignored).
pub fn check_sniffed_event(params: &str) -> Option<Box<RawValue>> {
    let line = format!("{EVENT_HEAD}{params}}}");
    match classify_text(&line) {
        RawIncoming::Event(params) => Some(params.to_owned()),
        _ => None,
    }
}

/// How the daemon writes a successful reply (protocol §1.3: members in the
/// order jsonrpc, id, result).
const REPLY_HEAD: &[u8] = br#"{"jsonrpc":"2.0","id":"#;

/// The id of a line that begins as the daemon writes replies (`REPLY_HEAD`,
/// then 1 to 15 digits), its digits, and the bytes after them.
pub fn reply_head(line: &[u8]) -> Option<(u64, &[u8], &[u8])> {
    let rest = line.strip_prefix(REPLY_HEAD)?;
    let count = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if count == 0 || count > 15 {
        return None;
    }
    let (digits, after) = rest.split_at(count);
    let id = std::str::from_utf8(digits).ok()?.parse().ok()?;
    Some((id, digits, after))
}

/// The id and result text of a line written as the daemon writes successful
/// replies (`REPLY_HEAD`, an integer id without leading zeros, `,"result":`,
/// the result, the closing brace), found without reading the result: the
/// reader checks it with the `JSON.parse` it needs anyway. A result that is
/// well-formed JSON makes the line exactly the reply `classify_text` finds
/// in it; anything else is settled by `classify_text` itself.
pub fn sniff_reply(text: &str) -> Option<(u64, &str)> {
    let (id, digits, after) = reply_head(text.as_bytes())?;
    if digits.len() > 1 && digits[0] == b'0' {
        return None;
    }
    // `after` starts at an ASCII byte of `text`: a char boundary.
    let rest = &text[text.len() - after.len()..];
    let result = rest.strip_prefix(r#","result":"#)?.strip_suffix('}')?;
    (!result.is_empty()).then_some((id, result))
}

fn rpc_error(err: Value) -> CoreError {
    let body = match err {
        Value::Object(mut e) => RpcError {
            code: e.remove("code"),
            message: e.remove("message"),
            data: e.remove("data"),
        },
        _ => RpcError {
            code: None,
            message: None,
            data: None,
        },
    };
    CoreError::Rpc(Box::new(body))
}

/// Reads the next `\n`-terminated line into `buf` (cleared first), without the
/// terminator and without a trailing `\r`. Returns `false` at end of stream; a
/// final unterminated line is still returned.
pub async fn read_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    buf: &mut Vec<u8>,
) -> std::io::Result<bool> {
    buf.clear();
    let n = reader.read_until(b'\n', buf).await?;
    if n == 0 {
        return Ok(false);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_null_result_is_a_result_and_a_missing_one_is_none() {
        // The fuzz target's case: sniffed and classified must agree.
        let sniffed = br#"{"jsonrpc":"2.0","id":9,"result":null}"#;
        assert_eq!(
            sniff_reply(std::str::from_utf8(sniffed).unwrap()),
            Some((9, "null"))
        );
        for line in [
            &sniffed[..],
            br#"{"jsonrpc": "2.0", "id": 9, "result": null}"#,
        ] {
            match classify_line(line) {
                Incoming::Reply {
                    id: 9,
                    outcome: Ok(Some(Value::Null)),
                } => {}
                other => panic!("{other:?}"),
            }
        }
        match classify_line(br#"{"jsonrpc":"2.0","id":9}"#) {
            Incoming::Reply {
                id: 9,
                outcome: Ok(None),
            } => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn request_without_params_has_no_params_key() {
        let line = encode_request(1, "status", None);
        assert_eq!(
            line,
            b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"status\"}\n"
        );
        let with = encode_request(2, "status", Some(&json!({"runtime_id": "rt-1"})));
        assert_eq!(
            String::from_utf8(with).unwrap(),
            "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"status\",\"params\":{\"runtime_id\":\"rt-1\"}}\n"
        );
    }

    #[test]
    fn invalid_utf8_inside_a_string_becomes_the_replacement_character() {
        let mut line = br#"{"jsonrpc":"2.0","id":3,"result":{"text":"a"#.to_vec();
        line.extend_from_slice(&[0xff, 0xc3]);
        line.extend_from_slice(br#"b"}}"#);
        match classify_line(&line) {
            Incoming::Reply { id, outcome } => {
                assert_eq!(id, 3);
                assert_eq!(
                    outcome.unwrap(),
                    Some(json!({"text": "a\u{fffd}\u{fffd}b"}))
                );
            }
            other => panic!("not a reply: {other:?}"),
        }
    }

    #[test]
    fn replies_are_classified_by_numeric_id() {
        assert_eq!(
            classify_line(br#"{"jsonrpc":"2.0","id":"7","result":{"a":1}}"#),
            Incoming::Reply {
                id: 7,
                outcome: Ok(Some(json!({"a": 1})))
            }
        );
        assert_eq!(
            classify_line(br#"{"id":3}"#),
            Incoming::Reply {
                id: 3,
                outcome: Ok(None)
            }
        );
        match classify_line(
            br#"{"id":4,"error":{"code":-32601,"message":"method not found","data":{"x":1}}}"#,
        ) {
            Incoming::Reply {
                id: 4,
                outcome: Err(e),
            } => {
                assert_eq!(e.to_string(), "rpc error [-32601]: method not found");
            }
            other => panic!("unexpected {other:?}"),
        }
        // A falsy error member means success, as in the original.
        assert_eq!(
            classify_line(br#"{"id":5,"error":null,"result":1}"#),
            Incoming::Reply {
                id: 5,
                outcome: Ok(Some(json!(1)))
            }
        );
    }

    #[test]
    fn events_and_noise() {
        match classify_line(br#"{"jsonrpc":"2.0","method":"event","params":{"event":"x"}}"#) {
            Incoming::Event(raw) => assert_eq!(raw.get(), r#"{"event":"x"}"#),
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(
            classify_line(br#"{"method":"event","params":7}"#),
            Incoming::Ignored
        );
        assert_eq!(
            classify_line(br#"{"method":"event","params":null}"#),
            Incoming::Ignored
        );
        assert_eq!(classify_line(br#"[1,2]"#), Incoming::Ignored);
        assert_eq!(classify_line(b"not json"), Incoming::Ignored);
        assert_eq!(classify_line(b""), Incoming::Ignored);
        assert_eq!(
            classify_line(br#"{"method":"other","params":{}}"#),
            Incoming::Ignored
        );
        assert_eq!(
            classify_line(br#"{"id":null,"method":"event"}"#),
            Incoming::Ignored
        );
        assert_eq!(classify_line(br#"{"id":-1,"result":1}"#), Incoming::Ignored);
    }

    #[test]
    fn sniffed_events_are_the_events_classify_finds_or_are_checked() {
        let line = r#"{"jsonrpc":"2.0","method":"event","params":{"event":"x","n":[1,{"a":"}"}]}}"#;
        let params = sniff_event(line).expect("written as the daemon writes events");
        assert_eq!(params, r#"{"event":"x","n":[1,{"a":"}"}]}"#);
        match classify_text(line) {
            RawIncoming::Event(found) => assert_eq!(found.get(), params),
            other => panic!("unexpected {other:?}"),
        }
        // Not the daemon's spelling: left to classify_text.
        for other in [
            r#"{"method":"event","params":{"event":"x"}}"#,
            r#"{"jsonrpc":"2.0","method":"event","params":7}"#,
            r#"{"jsonrpc":"2.0","method":"event","params":{"event":"x"}} "#,
            r#"{"jsonrpc":"2.0","id":1,"result":{}}"#,
        ] {
            assert_eq!(sniff_event(other), None, "{other}");
        }
        // A well-formed line whose params end before the last brace: the
        // sniffed text is not JSON, and the check finds the real params.
        let extra = r#"{"jsonrpc":"2.0","method":"event","params":{"event":"x"},"more":{"y":1}}"#;
        let sniffed = sniff_event(extra).unwrap();
        assert!(serde_json::from_str::<Value>(sniffed).is_err());
        assert_eq!(
            check_sniffed_event(sniffed).unwrap().get(),
            r#"{"event":"x"}"#
        );
        // Malformed, or a reply in disguise: not an event.
        assert!(check_sniffed_event(r#"{"event":"x""#).is_none());
        assert!(check_sniffed_event(r#"{"a":1},"id":5,"result":{}"#).is_none());
        assert_eq!(
            check_sniffed_event(r#"{"event":"x"}"#).unwrap().get(),
            r#"{"event":"x"}"#
        );
    }

    #[test]
    fn sniffed_replies_are_the_replies_classify_finds() {
        let line = r#"{"jsonrpc":"2.0","id":42,"result":{"phase":"idle","s":"}"}}"#;
        let (id, result) = sniff_reply(line).expect("written as the daemon writes replies");
        assert_eq!((id, result), (42, r#"{"phase":"idle","s":"}"}"#));
        match classify_text(line) {
            RawIncoming::Reply { id, outcome } => {
                assert_eq!(id, 42);
                assert_eq!(outcome.unwrap().unwrap().get(), result);
            }
            other => panic!("unexpected {other:?}"),
        }
        // Not the daemon's spelling: left to classify_text.
        for other in [
            r#"{"id":1,"result":{}}"#,
            r#"{"jsonrpc":"2.0","id":01,"result":{}}"#,
            r#"{"jsonrpc":"2.0","id":"1","result":{}}"#,
            r#"{"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"m"}}"#,
            r#"{"jsonrpc":"2.0","id":1,"result":}"#,
            r#"{"jsonrpc":"2.0","id":1,"result":{}} "#,
            r#"{"jsonrpc":"2.0","id":1234567890123456,"result":{}}"#,
        ] {
            assert_eq!(sniff_reply(other), None, "{other}");
        }
        // A well-formed line with a member after the result: the sniffed text
        // is not JSON, and classify_text reads the line as it is.
        let (_, sniffed) =
            sniff_reply(r#"{"jsonrpc":"2.0","id":3,"result":{},"error":{"code":1,"message":"m"}}"#)
                .unwrap();
        assert!(serde_json::from_str::<Value>(sniffed).is_err());
    }

    #[tokio::test]
    async fn line_reader_is_unbounded_and_strips_cr() {
        let big = "x".repeat(9 * 1024 * 1024);
        let data = format!("a\r\n{big}\ntail");
        let mut reader = tokio::io::BufReader::new(data.as_bytes());
        let mut buf = Vec::new();
        assert!(read_line(&mut reader, &mut buf).await.unwrap());
        assert_eq!(buf, b"a");
        assert!(read_line(&mut reader, &mut buf).await.unwrap());
        assert_eq!(buf.len(), big.len());
        assert!(read_line(&mut reader, &mut buf).await.unwrap());
        assert_eq!(buf, b"tail");
        assert!(!read_line(&mut reader, &mut buf).await.unwrap());
    }
}
