//! run.json parsing over arbitrary text. Checks: no panic; an accepted record
//! is this run's (run id and label as in the file) and never carries a parent
//! token; writing it back as `persist_external_run` does and reading that
//! again gives the same RunInfo.
#![no_main]

use avenor_core::runs::external::{parse_run_record, run_record_text};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const RUN_ID: &str = "0b7c-public";
const SUPERVISOR: &str = "sup-1";

fuzz_target!(|data: &[u8]| {
    // `load` reads the file as UTF-8 and gives up on anything else.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Some(info) = parse_run_record(text, RUN_ID, SUPERVISOR) else {
        return;
    };
    assert_eq!(info.run_id, RUN_ID);
    assert!(info.parent_token.is_none(), "parent token kept");
    let record: Value = serde_json::from_str(text).expect("accepted text parses");
    assert_eq!(
        record.get("label").and_then(Value::as_str),
        Some(info.label.as_str())
    );

    let written = run_record_text(&info, SUPERVISOR).expect("a RunInfo serialises");
    let again = parse_run_record(&written, RUN_ID, SUPERVISOR).expect("own record accepted");
    assert_eq!(again, info);
});
