//! The status builder over arbitrary daemon JSON. Input: a flags byte, then
//! the live status JSON, a sentinel text and a stored run.json-like RunInfo,
//! separated by 0xFF (never in UTF-8 text). Checks: no panic; `status` is one
//! of the six public words; members come in the documented order with the
//! documented types; a pending permission is always normalised; the views,
//! the permission helpers and `retain_live_identity` take any input.
#![no_main]

use avenor_core::runs::sentinel::parse_sentinel;
use avenor_core::runs::RunInfo;
use avenor_core::status::{
    build_status, normalize_pending_permission, pending_permission_request_id,
    retain_live_identity, shape_status_result, StatusFallback,
};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

const STATUSES: [&str; 6] = ["running", "waiting", "done", "failed", "timeout", "killed"];

/// Every member a result may have, in output order.
const ORDER: [&str; 27] = [
    "run_id",
    "label",
    "status",
    "runtime_id",
    "phase",
    "phase_label",
    "pending_permission",
    "session_id",
    "stop_reason",
    "roster_file",
    "roster_entry",
    "backend",
    "agent",
    "model",
    "agent_profile",
    "effective_backend",
    "effective_agent",
    "effective_model",
    "dir",
    "parent_id",
    "children",
    "pid",
    "event_path",
    "usage",
    "latest_seq",
    "final_output",
    "final_output_truncated",
];

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let mut parts = rest.split(|&b| b == 0xFF);
    let live: Option<Value> = parts.next().and_then(|p| serde_json::from_slice(p).ok());
    let sentinel = parts
        .next()
        .and_then(|p| parse_sentinel(&String::from_utf8_lossy(p)));
    let mut info: Option<RunInfo> = parts.next().and_then(|p| serde_json::from_slice(p).ok());

    if let Some(v) = &live {
        let _ = pending_permission_request_id(v);
        if let Some(p) = normalize_pending_permission(v) {
            check_permission(&p);
        }
    }
    // A non-object live answer is what a failed status call gives: no source.
    let source: Option<&Map<String, Value>> = live
        .as_ref()
        .and_then(Value::as_object)
        .filter(|_| flags & 1 == 0);
    let result = build_status(source, sentinel.as_ref(), &fallback(flags, info.as_ref()));
    check_result(&result);
    for view in [None, Some("full"), Some("lifecycle"), Some("other")] {
        if let Ok(shaped) = shape_status_result(result.clone(), view) {
            assert!(shaped.keys().all(|k| result.contains_key(k)));
        }
    }

    // What a later call sees once the live identity was kept.
    if let (Some(info), Some(live)) = (info.as_mut(), source) {
        retain_live_identity(info, live);
        check_result(&build_status(
            None,
            sentinel.as_ref(),
            &fallback(flags, Some(info)),
        ));
    }
});

fn fallback(flags: u8, run_info: Option<&RunInfo>) -> StatusFallback<'_> {
    StatusFallback {
        run_id: "run-fallback".into(),
        prefer_fallback_run_id: flags & 2 != 0,
        label: "label-fallback".into(),
        runtime_id: (flags & 4 != 0).then(|| "rt_fallback".into()),
        run_info,
    }
}

fn check_result(result: &Map<String, Value>) {
    let status = result.get("status").and_then(Value::as_str);
    assert!(
        status.is_some_and(|s| STATUSES.contains(&s)),
        "status {status:?}"
    );
    assert!(result.get("run_id").is_some_and(Value::is_string));
    assert!(result.get("label").is_some_and(Value::is_string));
    let mut last = 0;
    for (key, value) in result {
        let at = ORDER
            .iter()
            .position(|k| k == key)
            .unwrap_or_else(|| panic!("undocumented member {key}"));
        assert!(at >= last, "{key} out of order");
        last = at;
        match key.as_str() {
            "pending_permission" => check_permission(value),
            "children" => assert!(value
                .as_array()
                .is_some_and(|c| c.iter().all(|s| s.as_str().is_some_and(|s| !s.is_empty())))),
            "pid" | "latest_seq" => assert!(value.is_number()),
            "usage" => assert!(value.is_object()),
            "final_output_truncated" => assert_eq!(value, &Value::Bool(true)),
            _ => assert!(value.is_string(), "{key} is {value}"),
        }
    }
}

fn check_permission(p: &Value) {
    let p = p.as_object().expect("permission is an object");
    assert!(p.get("request_id").is_some_and(Value::is_string));
    assert!(p.get("description").is_some_and(Value::is_string));
    let options = p.get("options").and_then(Value::as_array).expect("options");
    for o in options {
        let o = o.as_object().expect("option is an object");
        for k in ["option_id", "label", "kind"] {
            assert!(o.get(k).is_some_and(Value::is_string), "option {k}");
        }
        if let Some(r) = o.get("requires_message") {
            assert_eq!(r, &Value::Bool(true));
        }
    }
}
