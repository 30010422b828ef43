//! The sentinel parser over arbitrary bytes, decoded as `read_sentinel` does.
//! Checks: no panic; `None` exactly for blank text; the status is the first
//! line unless a later `_status=` line sets it; every other key is a
//! non-empty, start-trimmed, single-line text without `=`, and every
//! value is a single-line string.
#![no_main]

use avenor_core::jsval::{is_js_whitespace, js_trim};
use avenor_core::runs::sentinel::{parse_sentinel, STATUS_KEY};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Some(sentinel) = parse_sentinel(&text) else {
        assert!(js_trim(&text).is_empty(), "non-blank text gave no sentinel");
        return;
    };
    let trimmed = js_trim(&text);
    let first = trimmed.split('\n').next().unwrap_or_default();
    let overridden = trimmed
        .split('\n')
        .skip(1)
        .any(|l| js_trim(l).starts_with("_status="));
    let status = sentinel.get(STATUS_KEY).and_then(Value::as_str);
    assert!(status.is_some(), "no status");
    if !overridden {
        assert_eq!(status, Some(first));
    }
    for (key, value) in &sentinel {
        let value = value.as_str().expect("values are strings");
        if key != STATUS_KEY {
            assert!(!key.is_empty() && !key.contains('=') && !key.contains('\n'));
            assert!(!key.starts_with(is_js_whitespace), "untrimmed key {key:?}");
            assert!(!value.contains('\n'), "multi-line value");
        }
    }
});
