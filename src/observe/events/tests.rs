use serde_json::json;

use super::*;

fn norm(v: Value) -> Map<String, Value> {
    normalize_run_event(&v).unwrap_or_default()
}

#[test]
fn text_from_strings_arrays_and_objects() {
    assert_eq!(extract_event_text(&json!("hi"), 0), Some("hi".into()));
    assert_eq!(extract_event_text(&json!(""), 0), None);
    assert_eq!(extract_event_text(&json!(5), 0), None);
    assert_eq!(
        extract_event_text(&json!(["a", 1, {"text": "b"}, ""]), 0),
        Some("ab".into())
    );
    assert_eq!(extract_event_text(&json!([1, null]), 0), None);
    let many: Vec<Value> = (0..70).map(|_| json!("x")).collect();
    assert_eq!(
        extract_event_text(&Value::Array(many), 0).map(|s| s.len()),
        Some(64)
    );
    // Key order wins over member order; empty members are skipped.
    assert_eq!(
        extract_event_text(
            &json!({"output": "o", "text": "", "content": {"type": "text", "text": "c"}}),
            0
        ),
        Some("c".into())
    );
    assert_eq!(
        extract_event_text(
            &json!({"event": "agent.message", "seq": 2, "delta": "hello"}),
            0
        ),
        Some("hello".into())
    );
    assert_eq!(extract_event_text(&json!({"title": "t"}), 0), None);
}

#[test]
fn text_depth_limit() {
    let mut v = json!("deep");
    for _ in 0..11 {
        v = json!({ "data": v });
    }
    // 11 wrappers: the string sits at depth 11 < 12.
    assert_eq!(extract_event_text(&v, 0), Some("deep".into()));
    assert_eq!(extract_event_text(&json!({ "data": v }), 0), None);
    assert_eq!(extract_event_text(&json!("x"), 12), None);
}

#[test]
fn only_named_objects_normalise() {
    assert!(normalize_run_event(&json!(null)).is_none());
    assert!(normalize_run_event(&json!("agent.status")).is_none());
    assert!(normalize_run_event(&json!({"seq": 1})).is_none());
    assert!(normalize_run_event(&json!({"event": "", "type": ""})).is_none());
    assert_eq!(norm(json!({"event": "", "type": "x"}))["event"], json!("x"));
}

#[test]
fn common_fields_and_aliases() {
    let n = norm(json!({
        "type": "agent.status", "sessionId": "s", "runtimeID": "rt", "runId": "r",
        "label": "Reading", "seq": "7", "timestamp": 123, "status": "working",
        "stopReason": "end_turn", "finalOutput": "done", "backend": "pi", "agent": "a",
        "model": "m", "dir": "/d", "parentId": "p", "children": ["c", "", 1],
        "on_event": "/e", "usage": {"input_tokens": 1}
    }));
    let keys: Vec<&str> = n.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "event",
            "source_event",
            "session_id",
            "runtime_id",
            "run_id",
            "run_label",
            "seq",
            "ts",
            "phase",
            "phase_label",
            "stop_reason",
            "final_output",
            "backend",
            "agent",
            "model",
            "dir",
            "parent_id",
            "children",
            "event_path",
            "usage",
            "semantic_fingerprint",
            "raw"
        ]
    );
    assert_eq!(n["run_label"], json!("Reading"));
    assert_eq!(n["phase_label"], json!("Reading"));
    assert_eq!(n["seq"], json!(7));
    assert_eq!(n["children"], json!(["c"]));
    assert_eq!(
        n["semantic_fingerprint"],
        json!("agent.status:stop:end_turn")
    );
    assert_eq!(n["raw"]["sessionId"], json!("s"));
    assert!(!n.contains_key("alias"));
}

#[test]
fn chunks() {
    let n =
        norm(json!({"event": "agent.message_chunk", "content": {"type": "text", "text": "hello"}}));
    assert_eq!(n["chunk_role"], json!("assistant"));
    assert_eq!(n["delta"], json!("hello"));
    assert_eq!(
        n["semantic_fingerprint"],
        json!("agent.message_chunk:5:hello")
    );
    assert_eq!(
        norm(json!({"event": "agent.thought_chunk", "text": "t"}))["chunk_role"],
        json!("thought")
    );
    assert_eq!(
        norm(json!({"event": "user.message_chunk", "text": "u"}))["chunk_role"],
        json!("user")
    );
    let empty = norm(json!({"event": "agent.message_chunk"}));
    assert!(!empty.contains_key("delta"));
    let long = "é".repeat(600);
    let fp = norm(json!({"event": "agent.message_chunk", "delta": long}))["semantic_fingerprint"]
        .clone();
    assert_eq!(
        fp,
        json!(format!("agent.message_chunk:600:{}", "é".repeat(512)))
    );
}

#[test]
fn message_aliases() {
    let d = norm(json!({"event": "avenor.message.delta", "delta": "hi"}));
    assert_eq!(d["event"], json!("agent.message_chunk"));
    assert_eq!(d["source_event"], json!("avenor.message.delta"));
    assert_eq!(d["alias"], json!(true));
    assert_eq!(d["semantic_fingerprint"], json!("agent.message_chunk:2:hi"));

    let update = |t: &str| {
        norm(json!({"event": "avenor.message.update",
                    "assistantMessageEvent": {"type": t, "delta": "x"}}))
    };
    assert_eq!(
        update("thinking_delta")["event"],
        json!("agent.thought_chunk")
    );
    assert_eq!(update("thinking_delta")["chunk_role"], json!("thought"));
    assert_eq!(update("text_delta")["event"], json!("agent.message_chunk"));
    assert_eq!(update("text_delta")["delta"], json!("x"));
    assert_eq!(update("toolcall_start")["event"], json!("tool.call"));
    assert_eq!(update("toolcall_start")["tool"]["status"], json!("running"));
    assert_eq!(update("toolcall_delta")["event"], json!("tool.call_update"));
    assert_eq!(
        update("toolcall_update")["tool"]["status"],
        json!("running")
    );
    assert_eq!(update("toolcall_end")["tool"]["status"], json!("completed"));
    let end = norm(
        json!({"event": "avenor.message.update", "assistantMessageEvent": {
        "type": "toolcall_end", "toolCall": {"id": "call_9", "name": "bash"}}}),
    );
    assert_eq!(
        end["tool"],
        json!({"key": "call_9", "id": "call_9", "title": "bash", "status": "completed"})
    );
    assert_eq!(
        end["semantic_fingerprint"],
        json!("tool.call_update:tool:call_9:completed")
    );
}

#[test]
fn tool_aliases() {
    let start = norm(json!({"event": "avenor.tool.start", "toolCallId": "c1", "toolName": "read"}));
    assert_eq!(start["event"], json!("tool.call"));
    assert_eq!(start["alias"], json!(true));
    assert_eq!(start["tool"]["status"], json!("running"));
    let update =
        norm(json!({"event": "avenor.tool.update", "toolCallId": "c1", "output": "partial"}));
    assert_eq!(update["event"], json!("tool.call_update"));
    assert_eq!(
        update["tool"],
        json!({"key": "c1", "id": "c1", "preview": "partial"})
    );
    let end = norm(json!({"event": "avenor.tool.end", "toolCallId": "c1"}));
    assert_eq!(end["tool"]["status"], json!("completed"));
    let explicit =
        norm(json!({"event": "avenor.tool.end", "toolCallId": "c1", "status": "failed"}));
    assert_eq!(explicit["tool"]["status"], json!("failed"));
}

#[test]
fn canonical_tools_and_permissions() {
    let call =
        norm(json!({"event": "tool.call", "toolCallId": "t1", "title": "Edit", "kind": "edit"}));
    assert_eq!(call["tool"]["status"], json!("running"));
    assert!(!call.contains_key("phase"));
    let update =
        norm(json!({"event": "tool.call_update", "toolCallId": "t1", "status": "completed"}));
    assert_eq!(
        update["tool"],
        json!({"key": "t1", "id": "t1", "status": "completed"})
    );
    // The tool status also reads as the event's phase (status is its alias).
    assert_eq!(update["phase"], json!("completed"));
    assert!(!norm(json!({"event": "tool.call_update"})).contains_key("tool"));

    let req = norm(
        json!({"event": "permission.request", "request_id": "q1", "question": "Run?",
                          "options": [{"optionId": "allow", "kind": "allow_once"}]}),
    );
    assert_eq!(
        req["permission"],
        json!({"request_id": "q1", "question": "Run?",
               "options": [{"option_id": "allow", "label": "allow", "kind": "allow_once"}]})
    );
    assert_eq!(
        req["semantic_fingerprint"],
        json!("permission.request:permission:q1:")
    );
    let resp = norm(json!({"event": "permission.response", "request_id": "q1", "kind": "allow"}));
    assert_eq!(resp["permission"]["kind"], json!("allow"));
}
