//! The control socket's NDJSON reader and reply classifier over arbitrary
//! bytes. Checks: no panic; the async line reader, whatever its buffer size,
//! yields exactly the `\n`-separated lines (one trailing `\r` dropped); a
//! reply always comes from a JSON object whose `id` is a non-negative integer
//! (as JavaScript's `Number()` reads it) and an event from one without an id;
//! an event line sniffed without reading its params (`sniff_event`) is the
//! event the classifier finds whenever the params are well formed, and the
//! check of a sniffed line agrees with the classifier always; likewise a reply
//! line sniffed without reading its result (`sniff_reply`) is the classifier's
//! successful reply to that id whenever the result is well formed.
#![no_main]

use avenor_core::client::{
    check_sniffed_event, classify_line, read_line, sniff_event, sniff_reply, Incoming,
};
use avenor_core::jsval::to_number;
use libfuzzer_sys::fuzz_target;
use serde::de::IgnoredAny;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::OnceLock;

fuzz_target!(|data: &[u8]| {
    let Some((&knob, bytes)) = data.split_first() else {
        return;
    };
    // Tiny buffers make lines cross buffer edges, as large replies do.
    let capacity = 1 + usize::from(knob % 32);
    let got = read_all_lines(bytes, capacity);
    assert_eq!(got, expected_lines(bytes), "capacity {capacity}");
    for line in &got {
        check_classified(line, classify_line(line));
        check_sniffed(line);
        check_sniffed_reply(line);
    }
});

fn read_all_lines(bytes: &[u8], capacity: usize) -> Vec<Vec<u8>> {
    // One runtime per process: building one per input costs more than the input.
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    let rt = RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
    });
    rt.block_on(async {
        let mut reader = tokio::io::BufReader::with_capacity(capacity, bytes);
        let mut lines = Vec::new();
        let mut buf = Vec::new();
        while read_line(&mut reader, &mut buf)
            .await
            .expect("in-memory read")
        {
            lines.push(buf.clone());
        }
        lines
    })
}

/// The reference split: `\n` ends a line, a final unterminated line counts.
fn expected_lines(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut parts: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    if parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    parts
        .into_iter()
        .map(|p| p.strip_suffix(b"\r").unwrap_or(p).to_vec())
        .collect()
}

fn check_classified(line: &[u8], got: Incoming) {
    // Lines serde_json reads as a whole (some it cannot, e.g. 1e400 in an
    // unrelated member, are still classified; they are left unchecked).
    let parsed = std::str::from_utf8(line)
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(t).ok());
    match got {
        Incoming::Reply { id, .. } => {
            let Some(v) = parsed else { return };
            let obj = v.as_object().expect("a reply is a JSON object");
            let raw = obj.get("id").expect("a reply has an id");
            let n = to_number(raw);
            assert!(
                !raw.is_null() && n.is_finite() && n >= 0.0 && n.fract() == 0.0,
                "reply id {raw} is not a non-negative integer"
            );
            assert_eq!(id, n as u64);
        }
        Incoming::Event(params) => {
            // An object as JSON.parse reads it: numbers out of f64's range
            // (1e400) are valid JSON there (Infinity), so members are not
            // converted here, only checked to be well formed.
            serde_json::from_str::<HashMap<String, IgnoredAny>>(params.get())
                .expect("event params are a JSON object");
            let Some(v) = parsed else { return };
            let obj = v.as_object().expect("an event is a JSON object");
            assert!(obj.get("id").is_none_or(Value::is_null), "event with an id");
            assert_eq!(obj.get("method"), Some(&Value::from("event")));
        }
        Incoming::Ignored => {}
    }
}

fn check_sniffed(line: &[u8]) {
    let Ok(text) = std::str::from_utf8(line) else {
        return;
    };
    let Some(params) = sniff_event(text) else {
        return;
    };
    let classified = match classify_line(line) {
        Incoming::Event(found) => Some(found.get().to_owned()),
        _ => None,
    };
    let checked = check_sniffed_event(params).map(|p| p.get().to_owned());
    assert_eq!(
        checked, classified,
        "the check disagrees with the classifier"
    );
    if serde_json::from_str::<IgnoredAny>(params).is_ok() {
        assert_eq!(
            classified.as_deref(),
            Some(params),
            "well-formed sniffed params"
        );
    }
}

fn check_sniffed_reply(line: &[u8]) {
    let Ok(text) = std::str::from_utf8(line) else {
        return;
    };
    let Some((id, result)) = sniff_reply(text) else {
        return;
    };
    if serde_json::from_str::<IgnoredAny>(result).is_err() {
        return;
    }
    match classify_line(line) {
        Incoming::Reply {
            id: found,
            outcome: Ok(Some(_)),
        } => assert_eq!(found, id, "a sniffed reply answers its id"),
        other => panic!("a well-formed sniffed reply is a successful reply: {other:?}"),
    }
}
