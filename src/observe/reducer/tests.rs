use serde_json::json;

use super::*;

fn run(events: &[Value]) -> Value {
    let mut r = RunReducer::new(None, None);
    let mut last = r.snapshot();
    for e in events {
        last = r.apply(e);
    }
    last
}

fn chunk(seq: u64, text: &str) -> Value {
    json!({"event": "agent.message_chunk", "runtime_id": "rt_1", "seq": seq,
           "content": {"type": "text", "text": text}})
}

#[test]
fn fresh_snapshot_shape() {
    let s = create_run_snapshot(None, None);
    let keys: Vec<&str> = s
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(
        keys,
        [
            "identity",
            "limits",
            "ended",
            "assistant_text",
            "thought_text",
            "user_text",
            "transcript",
            "tools",
            "live_tools",
            "permissions",
            "_seen_seq_by_scope",
            "_recent_legacy_keys"
        ]
    );
    assert_eq!(s["limits"], DEFAULT_RUN_REDUCER_LIMITS.to_value());
    assert_eq!(s["ended"], json!(false));
    let limited = create_run_snapshot(None, Some(&json!({"tools": 3})));
    assert_eq!(limited["limits"]["tools"], json!(3));
}

#[test]
fn seq_dedup_is_per_scope() {
    let s = run(&[
        chunk(1, "a"),
        chunk(2, "b"),
        chunk(2, "B"),
        chunk(1, "A"),
        json!({"event": "agent.message_chunk", "runtime_id": "rt_2", "seq": 1, "text": "c"}),
        json!({"event": "agent.message_chunk", "session_id": "ses", "seq": 1, "text": "d"}),
        json!({"event": "agent.message_chunk", "seq": 1, "text": "e"}),
        json!({"event": "agent.message_chunk", "seq": 1, "text": "E"}),
    ]);
    assert_eq!(s["assistant_text"], json!("abcde"));
    assert_eq!(s["latest_seq"], json!(2));
    assert_eq!(
        s["_seen_seq_by_scope"],
        json!({"rt_1": 2, "rt_2": 1, "ses": 1, "global": 1})
    );
}

#[test]
fn events_without_seq_use_legacy_keys() {
    let e = json!({"event": "agent.message_chunk", "ts": 5, "text": "x"});
    let other = json!({"event": "agent.message_chunk", "ts": 6, "text": "y"});
    assert_eq!(run(&[e.clone(), e.clone()])["assistant_text"], json!("x"));
    assert_eq!(
        run(&[e.clone(), other.clone()])["assistant_text"],
        json!("xy")
    );
    // Only the last `legacy_keys` keys are remembered.
    let mut r = RunReducer::new(Some(&json!({"legacy_keys": 1})), None);
    r.apply(&e);
    r.apply(&other);
    let s = r.apply(&e);
    assert_eq!(s["assistant_text"], json!("xyx"));
    assert_eq!(s["_recent_legacy_keys"].as_array().map(Vec::len), Some(1));
}

#[test]
fn ignores_events_that_do_not_normalise() {
    let base = run(&[]);
    assert_eq!(
        run(&[json!(null), json!({"seq": 3}), json!([1]), json!("x")]),
        base
    );
}

#[test]
fn consecutive_chunks_merge_in_the_transcript() {
    let s = run(&[
        chunk(1, "Hel"),
        chunk(2, "lo"),
        json!({"event": "agent.thought_chunk", "runtime_id": "rt_1", "seq": 3, "text": "hmm"}),
        chunk(4, "!"),
        json!({"event": "user.message_chunk", "runtime_id": "rt_1", "seq": 5, "text": "go"}),
    ]);
    assert_eq!(
        s["transcript"],
        json!([
            {"kind": "assistant", "event": "agent.message_chunk", "text": "Hello"},
            {"kind": "thought", "event": "agent.thought_chunk", "text": "hmm"},
            {"kind": "assistant", "event": "agent.message_chunk", "text": "!"},
            {"kind": "user", "event": "user.message_chunk", "text": "go"}
        ])
    );
    assert_eq!(s["assistant_text"], json!("Hello!"));
    assert_eq!(s["thought_text"], json!("hmm"));
    assert_eq!(s["user_text"], json!("go"));
    assert_eq!(s["last_event"], json!("user.message_chunk"));
}

#[test]
fn long_texts_keep_their_tail() {
    let limits = json!({"text_chars": 5, "transcript_entries": 2, "tool_preview_chars": 3});
    let mut r = RunReducer::new(Some(&limits), None);
    r.apply(&chunk(1, "abcd"));
    let s = r.apply(&chunk(2, "éfgh"));
    assert_eq!(s["assistant_text"], json!("défgh"));
    assert_eq!(s["transcript"][0]["text"], json!("défgh"));
    r.apply(&json!({"event": "tool.call", "runtime_id": "rt_1", "seq": 3, "toolCallId": "t", "input": "123456"}));
    let s = r.apply(&json!({"event": "user.message_chunk", "runtime_id": "rt_1", "seq": 4, "text": "0123456789"}));
    assert_eq!(s["tools"][0]["preview"], json!("456"));
    assert_eq!(s["user_text"], json!("56789"));
    // Only the last two transcript entries remain.
    assert_eq!(s["transcript"].as_array().map(Vec::len), Some(2));
    assert_eq!(s["transcript"][0]["kind"], json!("tool"));
    let s = r.apply(
        &json!({"event": "session.end", "runtime_id": "rt_1", "seq": 5,
                            "final_output": "the whole answer"}),
    );
    assert_eq!(s["final_output"], json!("nswer"));
}

#[test]
fn message_aliases_feed_the_same_state() {
    let s = run(&[
        json!({"event": "avenor.message.delta", "runtime_id": "rt_1", "seq": 1, "delta": "Hi"}),
        json!({"event": "avenor.message.update", "runtime_id": "rt_1", "seq": 2,
               "assistantMessageEvent": {"type": "thinking_delta", "delta": "plan"}}),
        json!({"event": "avenor.message.update", "runtime_id": "rt_1", "seq": 3,
               "assistantMessageEvent": {"type": "text_delta", "delta": " there"}}),
        json!({"event": "avenor.message.update", "runtime_id": "rt_1", "seq": 4,
               "assistantMessageEvent": {"type": "toolcall_start", "toolCall": {"id": "c1", "name": "bash"}}}),
    ]);
    assert_eq!(s["assistant_text"], json!("Hi there"));
    assert_eq!(s["thought_text"], json!("plan"));
    assert_eq!(
        s["live_tools"],
        json!([{"key": "c1", "id": "c1", "title": "bash", "status": "running", "live": true}])
    );
    let ended = run(&[
        json!({"event": "avenor.message.update", "runtime_id": "rt_1", "seq": 1,
               "assistantMessageEvent": {"type": "toolcall_start", "toolCall": {"id": "c1", "name": "bash"}}}),
        json!({"event": "avenor.message.update", "runtime_id": "rt_1", "seq": 2,
               "assistantMessageEvent": {"type": "toolcall_end", "toolCall": {"id": "c1", "name": "bash"}}}),
    ]);
    assert_eq!(ended["live_tools"], json!([]));
    assert_eq!(ended["tools"][0]["status"], json!("completed"));
}

#[test]
fn tool_aliases_track_liveness() {
    let s = run(&[
        json!({"event": "avenor.tool.start", "runtime_id": "rt_1", "seq": 1, "toolCallId": "t1", "toolName": "read"}),
        json!({"event": "avenor.tool.update", "runtime_id": "rt_1", "seq": 2, "toolCallId": "t1", "output": "50%"}),
    ]);
    assert_eq!(
        s["live_tools"],
        json!([{"key": "t1", "id": "t1", "title": "read", "status": "running", "live": true, "preview": "50%"}])
    );
    assert_eq!(
        s["transcript"],
        json!([{"kind": "tool", "event": "tool.call_update", "key": "t1", "title": "read",
                "status": "running", "text": "50%"}])
    );
    let done = run(&[
        json!({"event": "avenor.tool.start", "runtime_id": "rt_1", "seq": 1, "toolCallId": "t1"}),
        json!({"event": "avenor.tool.end", "runtime_id": "rt_1", "seq": 2, "toolCallId": "t1"}),
    ]);
    assert_eq!(done["live_tools"], json!([]));
    assert_eq!(done["tools"][0]["live"], json!(false));
}

#[test]
fn repeated_alias_only_moves_bookkeeping() {
    let s = run(&[
        chunk(1, "hi"),
        json!({"event": "avenor.message.delta", "runtime_id": "rt_1", "seq": 2, "delta": "hi"}),
    ]);
    assert_eq!(s["assistant_text"], json!("hi"));
    assert_eq!(s["latest_seq"], json!(2));
    assert_eq!(s["last_event"], json!("agent.message_chunk"));
    assert_eq!(s["_last_source_event"], json!("avenor.message.delta"));
    assert_eq!(
        s["_last_semantic_fingerprint"],
        json!("agent.message_chunk:2:hi")
    );
    // The same alias twice in a row is two real deltas.
    let twice = run(&[
        json!({"event": "avenor.message.delta", "runtime_id": "rt_1", "seq": 1, "delta": "ha"}),
        json!({"event": "avenor.message.delta", "runtime_id": "rt_1", "seq": 2, "delta": "ha"}),
    ]);
    assert_eq!(twice["assistant_text"], json!("haha"));
    // A tool start reported under both names is one tool event.
    let tools = run(&[
        json!({"event": "tool.call", "runtime_id": "rt_1", "seq": 1, "toolCallId": "t1", "title": "A"}),
        json!({"event": "avenor.tool.start", "runtime_id": "rt_1", "seq": 2, "toolCallId": "t1", "title": "B"}),
    ]);
    assert_eq!(tools["tools"][0]["title"], json!("A"));
}

#[test]
fn tool_live_and_not_live() {
    let mut r = RunReducer::new(None, None);
    let s = r.apply(&json!({"event": "tool.call", "runtime_id": "rt_1", "seq": 1,
                            "toolCallId": "t1", "title": "Edit", "kind": "edit", "status": "pending"}));
    assert_eq!(s["live_tools"][0]["status"], json!("pending"));
    let s = r.apply(
        &json!({"event": "tool.call_update", "runtime_id": "rt_1", "seq": 2, "toolCallId": "t1"}),
    );
    assert_eq!(s["live_tools"].as_array().map(Vec::len), Some(1));
    for (seq, status) in [(3, "in_progress"), (4, "failed")] {
        r.apply(
            &json!({"event": "tool.call_update", "runtime_id": "rt_1", "seq": seq,
                        "toolCallId": "t1", "status": status}),
        );
    }
    let s = r.snapshot();
    assert_eq!(s["live_tools"], json!([]));
    assert_eq!(
        s["tools"],
        json!([{"key": "t1", "id": "t1", "title": "Edit", "kind": "edit", "status": "failed", "live": false}])
    );
    for status in ["completed", "complete", "done", "cancelled", "canceled"] {
        let s = run(&[json!({"event": "tool.call", "toolCallId": "x", "status": status})]);
        assert_eq!(s["live_tools"], json!([]), "{status}");
    }
    let mut small = RunReducer::new(Some(&json!({"tools": 2})), None);
    for id in ["a", "b", "c"] {
        small.apply(&json!({"event": "tool.call", "toolCallId": id}));
    }
    let keys: Vec<Value> = small.snapshot()["tools"]
        .as_array()
        .map(|t| t.iter().map(|x| x["key"].clone()).collect())
        .unwrap_or_default();
    assert_eq!(keys, [json!("b"), json!("c")]);
}

#[test]
fn permission_request_and_response() {
    let mut r = RunReducer::new(None, None);
    let s = r.apply(
        &json!({"event": "permission.request", "runtime_id": "rt_1", "seq": 1,
                            "request_id": "q1", "question": "Run rm?",
                            "options": [{"optionId": "allow", "kind": "allow_once"}]}),
    );
    let pending = json!({"request_id": "q1", "question": "Run rm?",
                         "options": [{"option_id": "allow", "label": "allow", "kind": "allow_once"}]});
    assert_eq!(s["pending_permission"], pending);
    assert_eq!(s["permissions"], json!([pending]));
    assert_eq!(s["phase"], json!("waiting"));
    assert_eq!(s["phase_label"], json!("Run rm?"));
    let s = r.apply(
        &json!({"event": "permission.response", "runtime_id": "rt_1", "seq": 2,
                            "request_id": "q1", "option_id": "allow"}),
    );
    assert!(s.get("pending_permission").is_none());
    assert_eq!(s["permissions"][0]["kind"], json!("resolved"));
    assert_eq!(s["transcript"][1]["status"], json!("resolved"));
    // A response for another request leaves the pending one alone.
    r.apply(
        &json!({"event": "permission.request", "runtime_id": "rt_1", "seq": 3,
                    "request_id": "q2", "tool": "bash"}),
    );
    let s = r.apply(
        &json!({"event": "permission.response", "runtime_id": "rt_1", "seq": 4,
                            "request_id": "q9", "kind": "reject"}),
    );
    assert_eq!(s["pending_permission"]["request_id"], json!("q2"));
    assert_eq!(s["phase_label"], json!("bash"));
    assert_eq!(
        s["permissions"][2],
        json!({"request_id": "q9", "options": [], "kind": "reject"})
    );
    let s = r.apply(
        &json!({"event": "permission.response", "runtime_id": "rt_1", "seq": 5,
                            "request_id": "q2", "kind": "allow"}),
    );
    assert!(s.get("pending_permission").is_none());
    assert_eq!(s["permissions"][1]["kind"], json!("allow"));
}

#[test]
fn session_end_and_start() {
    let mut r = RunReducer::new(None, None);
    r.apply(&chunk(1, "answer"));
    r.apply(&json!({"event": "tool.call", "runtime_id": "rt_1", "seq": 2, "toolCallId": "t"}));
    r.apply(
        &json!({"event": "permission.request", "runtime_id": "rt_1", "seq": 3, "request_id": "q"}),
    );
    let s = r.apply(
        &json!({"event": "session.end", "runtime_id": "rt_1", "seq": 4, "stop_reason": "end_turn"}),
    );
    assert_eq!(s["ended"], json!(true));
    assert_eq!(s["phase"], json!("done"));
    assert_eq!(s["stop_reason"], json!("end_turn"));
    assert_eq!(s["final_output"], json!("answer"));
    assert_eq!(s["live_tools"], json!([]));
    assert!(s.get("pending_permission").is_none());
    let s = r.apply(&json!({"event": "session.start", "runtime_id": "rt_1", "seq": 5}));
    assert_eq!(s["ended"], json!(false));
    // An explicit final output wins over the streamed text.
    let explicit = run(&[
        chunk(1, "partial"),
        json!({"event": "session.end", "runtime_id": "rt_1", "seq": 2, "final_output": "full"}),
    ]);
    assert_eq!(explicit["final_output"], json!("full"));
}

#[test]
fn status_identity_and_usage() {
    let s = run(&[
        json!({"event": "agent.status", "runtime_id": "rt_1", "session_id": "ses", "seq": 1,
               "phase": "working", "label": "Reading", "run_label": "job", "ts": 10,
               "usage": {"input_tokens": 5, "output_tokens": 1}}),
        json!({"event": "agent.status", "runtime_id": "rt_1", "seq": 2, "phase": "thinking",
               "backend": "pi", "usage": {"output_tokens": 7}}),
    ]);
    assert_eq!(s["phase"], json!("thinking"));
    assert!(s.get("phase_label").is_none());
    assert_eq!(s["usage"], json!({"input_tokens": 5, "output_tokens": 7}));
    assert_eq!(s["last_ts"], json!(10));
    assert_eq!(
        s["identity"],
        json!({"runtime_id": "rt_1", "session_id": "ses", "run_label": "job", "backend": "pi"})
    );
}

#[test]
fn seeds_prime_seq_dedup() {
    let seed = json!({"identity": {"runtime_id": "rt_1", "run_id": "pub"}, "latest_seq": 5,
                      "phase": "working", "assistant_text": "so far"});
    let mut r = RunReducer::new(None, Some(&seed));
    assert_eq!(r.snapshot()["_seen_seq_by_scope"], json!({"rt_1": 5}));
    let s = r.apply(&chunk(5, " replayed"));
    assert_eq!(s["assistant_text"], json!("so far"));
    let s = r.apply(&chunk(6, " new"));
    assert_eq!(s["assistant_text"], json!("so far new"));
    assert_eq!(s["identity"]["run_id"], json!("pub"));
    let seeded = create_run_snapshot(Some(&seed), None);
    assert_eq!(seeded["latest_seq"], json!(5));
    assert_eq!(seeded["_seen_seq_by_scope"], json!({"rt_1": 5}));
}

#[test]
fn reduce_run_snapshot_is_pure_and_continues() {
    let first = reduce_run_snapshot(&create_run_snapshot(None, None), &chunk(1, "a"), None);
    let copy = first.clone();
    let second = reduce_run_snapshot(&first, &chunk(1, "a"), None);
    assert_eq!(first, copy);
    assert_eq!(second["assistant_text"], json!("a"));
    let third = reduce_run_snapshot(&second, &chunk(2, "b"), None);
    assert_eq!(third["assistant_text"], json!("ab"));
    assert_eq!(third["transcript"][0]["text"], json!("ab"));
    // The snapshot's own limits carry over.
    let small = create_run_snapshot(None, Some(&json!({"text_chars": 2})));
    let s = reduce_run_snapshot(&small, &chunk(1, "xyz"), None);
    assert_eq!(s["assistant_text"], json!("yz"));
}

#[test]
fn junk_never_panics() {
    let junk = [
        json!(null),
        json!(1),
        json!("x"),
        json!([]),
        json!({"identity": 1, "limits": "x", "latest_seq": "abc", "tools": [1, {"key": 2}],
               "transcript": {"a": 1}, "_seen_seq_by_scope": {"x": "y"}, "_recent_legacy_keys": [1],
               "permissions": [null], "pending_permission": [], "usage": 3, "ended": "yes"}),
    ];
    let events = [
        json!({"event": "tool.call_update", "tool_call_id": 5, "status": 3}),
        json!({"event": "permission.response"}),
        json!({"event": "permission.request", "options": "x"}),
        json!({"event": "agent.status", "phase": ""}),
        json!({"event": "session.end", "seq": "1e400"}),
        json!({"type": "avenor.message.update", "assistantMessageEvent": 7}),
        json!({"event": "agent.message_chunk", "seq": -1, "content": [[[[{"text": 1}]]]]}),
    ];
    for seed in &junk {
        for limits in &junk {
            let mut r = RunReducer::new(Some(limits), Some(seed));
            for e in events.iter().chain(junk.iter()) {
                let _ = r.apply(e);
                let _ = reduce_run_snapshot(seed, e, Some(limits));
            }
        }
    }
}
