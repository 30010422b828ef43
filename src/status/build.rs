//! Builds one `StatusResult` from the live daemon object, the sentinel and what
//! the registry remembers (core-spec §8.3, LATE `buildBaseStatus`).

use serde_json::{Map, Value};

use crate::jsval::{finite_number, first_non_empty_str as first_str, non_empty_str, number_value};
use crate::runs::sentinel::{sentinel_str, Sentinel};
use crate::runs::RunInfo;

use super::identity::{live_identity, live_string, stored_identity};
use super::permission::pending_permission_of;
use super::translate::translate_status;

/// What is known about the run apart from the live object.
pub struct StatusFallback<'a> {
    /// The requested or public run id.
    pub run_id: String,
    /// Tracked runs and explicit-supervisor lookups report the public id even
    /// when the daemon's object carries its own `run_id`.
    pub prefer_fallback_run_id: bool,
    pub label: String,
    pub runtime_id: Option<String>,
    pub run_info: Option<&'a RunInfo>,
}

/// The `StatusResult`, keys in the documented order, absent members omitted.
/// `source` is `None` when the live status call failed.
pub fn build_status(
    source: Option<&Map<String, Value>>,
    sentinel: Option<&Sentinel>,
    fallback: &StatusFallback,
) -> Map<String, Value> {
    let empty = Map::new();
    let live = source.unwrap_or(&empty);
    let info = fallback.run_info;
    let s = |key: &str| non_empty_str(live, key);
    let sentinel_s = |key: &str| {
        sentinel
            .and_then(|x| sentinel_str(x, key))
            .filter(|v| !v.is_empty())
    };
    let mut out = Map::new();

    let run_id = match s("run_id") {
        Some(id) if !fallback.prefer_fallback_run_id => id,
        _ => fallback.run_id.as_str(),
    };
    put(&mut out, "run_id", Some(run_id));
    put(
        &mut out,
        "label",
        Some(s("label").unwrap_or(&fallback.label)),
    );
    let raw_phase = s("phase").or_else(|| s("status")).unwrap_or("running");
    put(
        &mut out,
        "status",
        Some(translate_status(raw_phase, sentinel)),
    );
    let runtime_id = first_str(live, &["runtime_id", "id"])
        .or(non_empty(fallback.runtime_id.as_deref()))
        .or_else(|| non_empty(info.and_then(|i| i.runtime_id.as_deref())));
    put(&mut out, "runtime_id", runtime_id);
    put(&mut out, "phase", s("phase"));
    put(&mut out, "phase_label", s("phase_label"));
    if let Some(p) = pending_permission_of(live) {
        out.insert("pending_permission".into(), p);
    }
    let session = s("session_id")
        .or_else(|| sentinel_s("SESSION"))
        .or_else(|| non_empty(info.and_then(|i| i.session_id.as_deref())));
    put(&mut out, "session_id", session);
    put(
        &mut out,
        "stop_reason",
        s("stop_reason").or_else(|| sentinel_s("STOP_REASON")),
    );

    let stored = |f: fn(&RunInfo) -> Option<&str>| non_empty(info.and_then(f));
    let roster_file = live_or(live, "roster_file", stored(|i| i.roster_file.as_deref()));
    let roster_entry = live_or(live, "roster_entry", stored(|i| i.roster_entry.as_deref()));
    let profile = live_or(
        live,
        "agent_profile",
        stored(|i| i.agent_profile.as_deref()),
    );
    let identity = |field: &str| match live_identity(live, field) {
        Some(v) => v,
        None => info.and_then(|i| stored_identity(i, field)),
    };
    let (backend, agent, model) = (identity("backend"), identity("agent"), identity("model"));
    put(&mut out, "roster_file", roster_file);
    put(&mut out, "roster_entry", roster_entry);
    put(&mut out, "backend", backend);
    put(&mut out, "agent", agent);
    put(&mut out, "model", model);
    put(&mut out, "agent_profile", profile);
    put(&mut out, "effective_backend", backend);
    put(&mut out, "effective_agent", agent);
    put(&mut out, "effective_model", model);

    put(&mut out, "dir", s("dir"));
    put(
        &mut out,
        "parent_id",
        first_str(live, &["parent_id", "parentId"]),
    );
    if let Some(Value::Array(items)) = live.get("children") {
        // Kept when the daemon sends an array, even an empty one.
        out.insert("children".into(), crate::jsval::non_empty_strings(items));
    }
    if let Some(pid) = live.get("pid").filter(|v| v.is_number()) {
        out.insert("pid".into(), pid.clone());
    }
    put(
        &mut out,
        "event_path",
        first_str(live, &["event_path", "on_event"]),
    );
    if let Some(usage) = live.get("usage").filter(|v| v.is_object()) {
        out.insert("usage".into(), usage.clone());
    }
    if let Some(seq) = live
        .get("latest_seq")
        .and_then(finite_number)
        .map(number_value)
    {
        out.insert("latest_seq".into(), seq);
    }
    put(
        &mut out,
        "final_output",
        first_str(live, &["final_output", "finalOutput"]),
    );
    if live.get("final_output_truncated") == Some(&Value::Bool(true)) {
        out.insert("final_output_truncated".into(), Value::Bool(true));
    }
    out
}

fn put(out: &mut Map<String, Value>, key: &str, value: Option<&str>) {
    if let Some(v) = value {
        out.insert(key.to_string(), Value::String(v.to_string()));
    }
}

fn non_empty(v: Option<&str>) -> Option<&str> {
    v.filter(|s| !s.is_empty())
}

/// A live string wins (an empty one clears); otherwise the stored value.
fn live_or<'a>(
    live: &'a Map<String, Value>,
    key: &str,
    stored: Option<&'a str>,
) -> Option<&'a str> {
    live_string(live, key).unwrap_or(stored)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runs::sentinel::parse_sentinel;
    use crate::status::retain_live_identity;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    fn tracked(info: &RunInfo) -> StatusFallback<'_> {
        StatusFallback {
            run_id: info.run_id.clone(),
            prefer_fallback_run_id: true,
            label: info.label.clone(),
            runtime_id: info.runtime_id.clone(),
            run_info: Some(info),
        }
    }

    fn run_info() -> RunInfo {
        RunInfo {
            run_id: "0b7c-public".into(),
            label: "my-run".into(),
            sentinel_path: "/runs/0b7c-public/sentinel.done".into(),
            event_log_path: "/runs/0b7c-public/events.log".into(),
            runtime_id: Some("rt_1".into()),
            ..RunInfo::default()
        }
    }

    #[test]
    fn case_18_sentinel_and_failed_live_status() {
        let info = run_info();
        let sentinel = parse_sentinel("DONE\nSESSION=ses-1234\nSTOP_REASON=end_turn\n");
        let got = build_status(None, sentinel.as_ref(), &tracked(&info));
        assert_eq!(
            serde_json::to_string(&got).ok(),
            Some(
                r#"{"run_id":"0b7c-public","label":"my-run","status":"done","runtime_id":"rt_1","session_id":"ses-1234","stop_reason":"end_turn"}"#
                    .to_string()
            )
        );
    }

    #[test]
    fn case_19_failed_sentinel_with_ended_live() {
        let info = run_info();
        let sentinel = parse_sentinel("FAILED\nSESSION=ses-failed\nSTOP_REASON=refusal\n");
        let live = obj(json!({"phase": "", "status": "ended"}));
        let got = build_status(Some(&live), sentinel.as_ref(), &tracked(&info));
        assert_eq!(got["status"], json!("failed"));
        assert_eq!(got["stop_reason"], json!("refusal"));
        assert_eq!(got["session_id"], json!("ses-failed"));
        assert!(!got.contains_key("phase"));
    }

    #[test]
    fn case_20_pending_permission_and_public_id() {
        let info = run_info();
        let live = obj(json!({
            "run_id": "daemon-run-id", "phase": "waiting", "pending_permission": true,
            "permission": {"request_id": "req-7", "description": "Allow edit?", "options": [
                {"optionId": "allow_once", "label": "Allow", "kind": "allow_once"},
                {"optionId": "write_in", "name": "Other", "kind": "allow", "requiresMessage": true}
            ]}
        }));
        let got = build_status(Some(&live), None, &tracked(&info));
        assert_eq!(got["run_id"], json!("0b7c-public"));
        assert_eq!(got["status"], json!("waiting"));
        assert_eq!(
            got["pending_permission"],
            json!({"request_id": "req-7", "description": "Allow edit?", "options": [
                {"option_id": "allow_once", "label": "Allow", "kind": "allow_once"},
                {"option_id": "write_in", "label": "Other", "kind": "allow", "requires_message": true}
            ]})
        );
        // Untracked lookups take the daemon's run id.
        let untracked = StatusFallback {
            prefer_fallback_run_id: false,
            ..tracked(&info)
        };
        assert_eq!(
            build_status(Some(&live), None, &untracked)["run_id"],
            json!("daemon-run-id")
        );
    }

    #[test]
    fn case_21_live_identity_clears_stale_model_for_later_calls() {
        let mut info = RunInfo {
            model: Some("stale-model".into()),
            effective_model: Some("stale-model".into()),
            ..run_info()
        };
        let live = obj(json!({
            "effective_agent": "final-agent", "effective_model": "", "effective_backend": "agy"
        }));
        let first = build_status(Some(&live), None, &tracked(&info));
        retain_live_identity(&mut info, &live);
        for got in [first, build_status(None, None, &tracked(&info))] {
            assert_eq!(got["agent"], json!("final-agent"));
            assert_eq!(got["effective_agent"], json!("final-agent"));
            assert_eq!(got["backend"], json!("agy"));
            assert_eq!(got["effective_backend"], json!("agy"));
            assert!(!got.contains_key("model"));
            assert!(!got.contains_key("effective_model"));
        }
    }

    #[test]
    fn field_order_and_source_fields() {
        let info = RunInfo {
            agent_profile: Some("stored-profile".into()),
            roster_file: Some("/r.json".into()),
            session_id: Some("ses-stored".into()),
            agent: Some("stored-agent".into()),
            ..run_info()
        };
        let live = obj(json!({
            "final_output_truncated": true, "finalOutput": "out", "latest_seq": "12",
            "usage": {"input_tokens": 3}, "on_event": "/e.log", "pid": 42,
            "children": ["c1", "", 3, "c2"], "parentId": "p", "dir": "/repo",
            "effective_model": "m", "backend": "pi", "roster_entry": "", "agent_profile": "",
            "stop_reason": "end_turn", "phase_label": "Working", "phase": "working",
            "id": "rt_live", "label": "live-label"
        }));
        let got = build_status(Some(&live), None, &tracked(&info));
        assert_eq!(
            got.keys().map(String::as_str).collect::<Vec<_>>(),
            [
                "run_id",
                "label",
                "status",
                "runtime_id",
                "phase",
                "phase_label",
                "session_id",
                "stop_reason",
                "roster_file",
                "backend",
                "agent",
                "model",
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
                "final_output_truncated"
            ]
        );
        assert_eq!(got["label"], json!("live-label"));
        assert_eq!(got["status"], json!("running"));
        assert_eq!(got["runtime_id"], json!("rt_live"));
        assert_eq!(got["session_id"], json!("ses-stored"));
        assert_eq!(got["agent"], json!("stored-agent"));
        assert_eq!(got["children"], json!(["c1", "c2"]));
        assert_eq!(got["latest_seq"], json!(12));
        assert_eq!(got["event_path"], json!("/e.log"));
    }

    #[test]
    fn odd_values_are_ignored() {
        let live = obj(json!({
            "latest_seq": "x", "pid": "12", "usage": [1], "final_output_truncated": "true",
            "children": "c", "phase": 3, "status": "DONE"
        }));
        let fb = StatusFallback {
            run_id: "r".into(),
            prefer_fallback_run_id: false,
            label: "r".into(),
            runtime_id: None,
            run_info: None,
        };
        assert_eq!(
            Value::Object(build_status(Some(&live), None, &fb)),
            json!({"run_id": "r", "label": "r", "status": "done"})
        );
    }
}
