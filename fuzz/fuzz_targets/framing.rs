//! The control socket's NDJSON reader and reply classifier over arbitrary
//! bytes. Checks: no panic; the async line reader, whatever its buffer size,
//! yields exactly the `\n`-separated lines (one trailing `\r` dropped); a
//! reply always comes from a JSON object whose `id` is a non-negative integer
//! (as JavaScript's `Number()` reads it) and an event from one without an id.
#![no_main]

use avenor_core::client::{classify_line, read_line, Incoming};
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
