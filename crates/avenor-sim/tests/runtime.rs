//! Spawn, turns, events file, sentinel, list/status/result, cancel, interrupt, dispatch.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};

fn lines(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn kinds(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["event"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn spawn_say_events_sentinel_and_list_entry() {
    let d = Daemon::start();
    let mut c = d.connect();
    c.call("subscribe", Value::Null);
    let sentinel = d.path("art/sentinel.done");
    let events_path = d.path("art/events.log");
    std::fs::create_dir_all(d.path("art")).unwrap();
    std::fs::write(&events_path, "old content\n").unwrap();
    let res = c.call(
        "spawn",
        json!({
            "prompt": "say hello world",
            "label": "job-a",
            "sentinel_file": sentinel,
            "on_event": events_path,
            "agent": "build",
            "model": "m1",
        }),
    );
    assert_eq!(res["runtime_id"], json!("rt_1"));
    assert_eq!(res["session_id"], json!("ses_1"));
    assert_eq!(res["effective_agent"], json!("build"));
    assert_eq!(res["effective_backend"], json!("opencode-acp"));
    let evs = c.events_until(|e| is_event(e, "session.end"));
    assert_eq!(
        kinds(&evs),
        ["agent.message_chunk", "agent.status", "session.end"]
    );
    let run_id = evs[0]["run_id"].as_str().unwrap().to_string();
    assert_eq!(run_id.len(), 16);
    assert!(run_id.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(
        evs[0]["content"],
        json!({"type": "text", "text": "hello world"})
    );
    assert_eq!(evs[1]["phase"], json!("done"));
    assert_eq!(evs[2]["stop_reason"], json!("end_turn"));
    assert_eq!(evs[2]["final_output"], json!("hello world"));
    for (i, e) in evs.iter().enumerate() {
        assert_eq!(e["seq"], json!(i + 1));
        assert_eq!(e["runtime_id"], json!("rt_1"));
        assert_eq!(e["session_id"], json!("ses_1"));
        assert_eq!(e["run_label"], json!("job-a"));
        assert!(e["ts"].as_u64().unwrap() > 0);
    }
    assert_eq!(
        std::fs::read_to_string(&sentinel).unwrap(),
        format!("DONE\nSESSION=ses_1\nSTOP_REASON=end_turn\nRUN={run_id}\n")
    );
    let st = c.wait_status("rt_1", |s| s["phase"] == json!("done"));
    // The file is truncated at spawn and holds the same events, same seqs.
    assert_eq!(lines(&events_path), evs);
    let mut keys: Vec<_> = st.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "agent",
            "agent_profile",
            "auto_approve",
            "backend",
            "children",
            "dir",
            "effective_agent",
            "effective_backend",
            "effective_model",
            "event_path",
            "exit_code",
            "final_output",
            "label",
            "latest_seq",
            "model",
            "on_event",
            "parent_id",
            "pending_permission",
            "phase",
            "phase_label",
            "pid",
            "roster_entry",
            "roster_file",
            "run_id",
            "runtime_id",
            "sentinel_file",
            "session_id",
            "started_at",
            "status",
            "thinking",
        ]
    );
    assert_eq!(st["children"], Value::Null);
    assert_eq!(st["status"], json!("idle"));
    assert_eq!(st["latest_seq"], json!(3));
    assert_eq!(st["dir"], json!("."));
    assert_eq!(c.call("list", Value::Null), json!([st]));
    assert_eq!(
        c.call("result", json!({"runtime_id": "rt_1"})),
        json!({"final_output": "hello world"})
    );
}

#[test]
fn spawn_errors_and_defaults() {
    let d = Daemon::start();
    let mut c = d.connect();
    let err = |c: &mut Client, p: Value| c.call_err("spawn", p)["message"].clone();
    assert_eq!(
        err(&mut c, json!({})),
        json!("prompt, prompt_file, loop_file, or team_file is required")
    );
    assert_eq!(
        err(&mut c, json!({"prompt": "x", "timeout": "30s"})),
        json!("invalid spawn params: json: cannot unmarshal string into Go struct field SpawnParams.timeout of type int")
    );
    assert_eq!(
        err(&mut c, json!({"prompt": "x", "backend": "x"})),
        json!("create provider: unknown backend \"x\"")
    );
    assert_eq!(
        c.call_err("status", json!({"runtime_id": "rt_9"})),
        json!({"code": -32000, "message": "runtime \"rt_9\" not found"})
    );
    // prompt_file is read by the daemon; default artefacts live under $TMPDIR.
    let pf = d.path("prompt.txt");
    std::fs::write(&pf, "say from file").unwrap();
    let res = c.call(
        "spawn",
        json!({"prompt_file": pf, "timeout": 60, "backend": "gemini-acp"}),
    );
    let rt = res["runtime_id"].as_str().unwrap().to_string();
    assert_eq!(rt, "rt_2", "the failed unknown-backend spawn consumed rt_1");
    // The turn may already be over (wait_turn would then wait for the next one).
    let st = c.wait_status(&rt, |s| s["phase"] == json!("done"));
    assert_eq!(st["final_output"], json!("from file"));
    let run_id = st["run_id"].as_str().unwrap();
    let base = d.path(&format!("avenor-stable/{run_id}/{rt}"));
    assert_eq!(res["on_event"], json!(base.join("events.ndjson")));
    assert_eq!(res["sentinel_file"], json!(base.join("sentinel.env")));
    assert_eq!(mode(&base), 0o700);
    assert!(base.join("sentinel.env").exists());
    // The supervisor-wide snapshot.
    let snap = c.call("status", Value::Null);
    assert_eq!(snap["run_id"], json!(run_id));
    assert_eq!(snap["pending_permission"], json!(false));
}

fn sentinel_of(c: &mut Client, rt: &str) -> String {
    let st = c.call("status", json!({"runtime_id": rt}));
    std::fs::read_to_string(st["sentinel_file"].as_str().unwrap()).unwrap()
}

fn run_id(c: &mut Client) -> String {
    c.call("status", Value::Null)["run_id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn follow_up_turn_resumes_session_and_rewrites_sentinel() {
    let d = Daemon::start();
    let mut c = d.connect();
    c.call("subscribe", Value::Null);
    let rt = c.spawn(json!({"prompt": "hello there"}));
    let first = c.events_until(|e| is_event(e, "session.end"));
    assert_eq!(
        first.last().unwrap()["final_output"],
        json!("echo: hello there")
    );
    let run = run_id(&mut c);
    c.wait_status(&rt, |s| s["phase"] == json!("done"));
    assert_eq!(
        c.call(
            "prompt",
            json!({"runtime_id": rt, "text": "say two; usage 5 7; stop refusal"})
        ),
        json!({"accepted": true})
    );
    let second = c.events_until(|e| is_event(e, "session.end"));
    // One seq counter per runtime across turns.
    assert_eq!(second[0]["seq"], json!(4));
    let end = second.last().unwrap();
    assert_eq!(end["session_id"], json!("ses_1"));
    assert_eq!(end["stop_reason"], json!("refusal"));
    assert_eq!(
        end["usage"],
        json!({"input_tokens": 5, "output_tokens": 7, "total_tokens": 12})
    );
    let st = c.wait_status(&rt, |s| s["status"] == json!("ended"));
    assert_eq!(st["exit_code"], json!(2));
    assert_eq!(st["final_output"], json!("two"));
    assert_eq!(
        sentinel_of(&mut c, &rt),
        format!("FAILED\nSESSION=ses_1\nSTOP_REASON=refusal\nEXIT_CODE=2\nRUN={run}\n")
    );
    assert_eq!(
        c.call_err("prompt", json!({"runtime_id": rt, "text": "again"}))["message"],
        json!("runtime \"rt_1\" has ended")
    );
    assert_eq!(
        c.call_err("prompt", json!({"runtime_id": rt})),
        json!({"code": -32602, "message": "invalid params", "data": {"required": ["text"]}})
    );
}

#[test]
fn permission_round_trip_over_the_socket() {
    let d = Daemon::start();
    let mut c = d.connect();
    c.call("subscribe", Value::Null);
    let rt = c.spawn(json!({"prompt": "say before; permission git push; say after"}));
    let evs = c.events_until(|e| is_event(e, "agent.status") && e["phase"] == json!("waiting"));
    let req = &evs[evs.len() - 2];
    assert_eq!(req["event"], json!("permission.request"));
    assert_eq!(req["resolver"], json!("reserved"));
    assert_eq!(req["request_id"], json!("perm_1"));
    assert_eq!(req["toolCall"]["title"], json!("git push"));
    assert_eq!(
        req["options"],
        json!([
            {"optionId": "allow", "name": "Allow", "kind": "allow_once"},
            {"optionId": "reject", "name": "Reject", "kind": "reject_once"}
        ])
    );
    let st = c.call("status", json!({"runtime_id": rt}));
    assert_eq!(st["pending_permission"], json!(true));
    assert_eq!(st["phase"], json!("waiting"));
    assert_eq!(st["permission"]["request_id"], json!("perm_1"));
    assert_eq!(st["permission"]["cwd"], json!("."));
    let ans = |c: &mut Client, req: &str, opt: &str| {
        c.call_raw(
            "answer_permission",
            json!({"runtime_id": "rt_1", "request_id": req, "option_id": opt}),
        )
    };
    assert_eq!(
        ans(&mut c, "perm_1", "maybe")["error"]["message"],
        json!("unknown option_id \"maybe\" for request \"perm_1\" on runtime \"rt_1\"")
    );
    assert_eq!(
        ans(&mut c, "perm_9", "allow")["error"]["message"],
        json!("permission request \"perm_9\" not found for runtime \"rt_1\"")
    );
    assert_eq!(
        c.call_err(
            "answer_permission",
            json!({"runtime_id": rt, "request_id": "perm_1"})
        )["data"],
        json!({"required": ["request_id", "option_id"]})
    );
    assert_eq!(
        ans(&mut c, "perm_1", "reject")["result"],
        json!({"accepted": true})
    );
    let evs = c.events_until(|e| is_event(e, "session.end"));
    assert_eq!(
        kinds(&evs),
        [
            "permission.response",
            "agent.status",
            "agent.message_chunk",
            "agent.message_chunk",
            "agent.status",
            "session.end"
        ]
    );
    assert_eq!(evs[0]["kind"], json!("reject"));
    assert_eq!(evs[0]["option_id"], json!("reject"));
    assert_eq!(evs[0]["source"], json!("control"));
    assert_eq!(
        evs.last().unwrap()["final_output"],
        json!("beforepermission rejectedafter")
    );
    // Re-answering a settled request is success.
    assert_eq!(
        ans(&mut c, "perm_1", "allow")["result"],
        json!({"accepted": true})
    );
    let st = c.call("status", json!({"runtime_id": rt}));
    assert_eq!(st["pending_permission"], json!(false));
    assert!(st.get("permission").is_none());
}

#[test]
fn permission_auto_approve_and_file_fallback() {
    let d = Daemon::start();
    let mut c = d.connect();
    c.call("subscribe", Value::Null);
    c.spawn(json!({"prompt": "permission", "auto_approve": true}));
    let evs = c.events_until(|e| is_event(e, "session.end"));
    assert_eq!(evs[0]["resolver"], json!("automatic"));
    assert_eq!(evs[1]["event"], json!("permission.response"));
    assert_eq!(evs[1]["source"], json!("avenor"));
    assert_eq!(
        evs.last().unwrap()["final_output"],
        json!("permission granted")
    );

    // With no connection open, the file handler owns the request.
    let sentinel = d.path("f/sentinel.done");
    // The sleep lets the daemon see the connection close before the request.
    let rt = c.spawn(json!({"prompt": "sleep 1000; permission", "sentinel_file": sentinel}));
    drop(c);
    let req = d.path("f/sentinel.perm.req");
    wait_for_file(&req);
    let body: Value = serde_json::from_str(&std::fs::read_to_string(&req).unwrap()).unwrap();
    assert_eq!(body["request_id"], json!("perm_1"));
    assert_eq!(body["payload"]["resolver"], json!("file"));
    let mut c = d.connect();
    assert_eq!(
        c.call_err(
            "answer_permission",
            json!({"runtime_id": rt, "request_id": "perm_1", "option_id": "allow"})
        )["message"],
        json!("permission request \"perm_1\" for runtime \"rt_2\" is owned by another resolver")
    );
    std::fs::write(
        d.path("f/sentinel.perm.req.response"),
        r#"{"outcome":"selected","option_id":"allow"}"#,
    )
    .unwrap();
    let st = c.wait_status(&rt, |s| s["phase"] == json!("done"));
    assert_eq!(st["final_output"], json!("permission granted"));
    assert!(std::fs::read_to_string(&sentinel)
        .unwrap()
        .starts_with("DONE\n"));
    assert!(!req.exists());
}

#[test]
fn cancel_hanging_turn_writes_killed_sentinel() {
    let d = Daemon::start();
    let mut c = d.connect();
    c.call("subscribe", Value::Null);
    let rt = c.spawn(json!({"prompt": "say partial; hang"}));
    c.events_until(|e| is_event(e, "agent.message_chunk"));
    assert_eq!(
        c.call("status", json!({"runtime_id": rt}))["status"],
        json!("running")
    );
    assert_eq!(
        c.call("cancel", json!({"runtime_id": rt})),
        json!({"ok": true})
    );
    let evs = c.events_until(|e| is_event(e, "session.end"));
    let end = evs.last().unwrap();
    assert_eq!(end["stop_reason"], json!("cancelled"));
    assert_eq!(end["final_output"], json!("partial"));
    let st = c.wait_status(&rt, |s| s["status"] == json!("ended"));
    assert_eq!(st["exit_code"], json!(130));
    assert_eq!(st["pid"], json!(0));
    let run = run_id(&mut c);
    assert_eq!(
        sentinel_of(&mut c, &rt),
        format!("KILLED\nSESSION=ses_1\nSTOP_REASON=cancelled\nEXIT_CODE=130\nRUN={run}\n")
    );
    // A cancel right after spawn still yields a KILLED sentinel.
    let rt2 = c.spawn(json!({"prompt": "say quick"}));
    c.call("cancel", json!({"runtime_id": rt2}));
    c.wait_status(&rt2, |s| s["status"] == json!("ended"));
    assert!(sentinel_of(&mut c, &rt2).starts_with("KILLED\nSESSION=ses_2\n"));
    // Cancelling an ended runtime is fine; unknown ones are not.
    assert_eq!(
        c.call("cancel", json!({"runtime_id": rt})),
        json!({"ok": true})
    );
    assert_eq!(
        c.call_err("cancel", json!({"runtime_id": "rt_7"}))["message"],
        json!("runtime \"rt_7\" not found")
    );
}

#[test]
fn cancel_parked_runtime_publishes_socket_only_session_end() {
    let d = Daemon::start();
    let mut c = d.connect();
    c.call("subscribe", Value::Null);
    let rt = c.spawn(json!({"prompt": "say done"}));
    c.events_until(|e| is_event(e, "session.end"));
    c.wait_status(&rt, |s| s["phase"] == json!("done"));
    c.call("cancel", json!({"runtime_id": rt}));
    let e = c.next_event();
    assert_eq!(e["event"], json!("session.end"));
    assert_eq!(e["stop_reason"], json!("cancelled"));
    assert_eq!(e["exit_code"], json!(130));
    let st = c.wait_status(&rt, |s| s["status"] == json!("ended"));
    assert_eq!(st["exit_code"], json!(0));
    assert!(sentinel_of(&mut c, &rt).starts_with("KILLED\n"));
    let file = lines(std::path::Path::new(st["on_event"].as_str().unwrap()));
    assert_eq!(
        file.len(),
        3,
        "the parked-cancel session.end is socket-only"
    );
}

#[test]
fn interrupt_queue_exit_and_timeout() {
    let d = Daemon::start();
    let mut c = d.connect();
    c.call("subscribe", Value::Null);
    let rt = c.spawn(json!({"prompt": "hang"}));
    c.wait_status(&rt, |s| s["status"] == json!("running"));
    c.call("prompt", json!({"runtime_id": rt, "text": "say queued"}));
    c.call(
        "interrupt_and_prompt",
        json!({"runtime_id": rt, "text": "say first", "keep_queue": true}),
    );
    let ends: Vec<Value> = (0..3)
        .map(|_| {
            c.events_until(|e| is_event(e, "session.end"))
                .pop()
                .unwrap()
        })
        .collect();
    assert_eq!(ends[0]["stop_reason"], json!("cancelled"));
    assert_eq!(ends[1]["final_output"], json!("first"));
    assert_eq!(ends[2]["final_output"], json!("queued"));
    c.wait_status(&rt, |s| s["phase"] == json!("done"));

    // exit: the agent dies, the turn fails with exit-1 semantics.
    c.call("prompt", json!({"runtime_id": rt, "text": "say x; exit 3"}));
    let evs = c.events_until(|e| is_event(e, "avenor.error"));
    assert_eq!(evs.last().unwrap()["source"], json!("session"));
    let st = c.wait_status(&rt, |s| s["status"] == json!("ended"));
    assert_eq!(st["exit_code"], json!(1));
    assert!(sentinel_of(&mut c, &rt).contains("STOP_REASON=exit_1\nEXIT_CODE=1\n"));

    // The spawn timeout (integer seconds) ends a hanging turn with `timeout`.
    let rt = c.spawn(json!({"prompt": "hang", "timeout": 1}));
    let st = c.wait_status(&rt, |s| s["status"] == json!("ended"));
    assert_eq!(st["exit_code"], json!(124));
    assert!(
        sentinel_of(&mut c, &rt).starts_with("TIMEOUT\nSESSION=ses_2\nSTOP_REASON=timeout\nRUN=")
    );
}

#[test]
fn eight_mib_result_is_intact_and_previews_are_bounded() {
    let d = Daemon::start();
    let mut c = d.connect();
    c.call("subscribe", json!({"runtime_id": "rt_1"}));
    let rt = c.spawn(json!({"prompt": "bytes 8388608"}));
    let end = c
        .events_until(|e| is_event(e, "session.end"))
        .pop()
        .unwrap();
    assert_eq!(end["final_output"].as_str().unwrap().len(), 4096);
    assert_eq!(end["final_output_truncated"], json!(true));
    let st = c.wait_status(&rt, |s| s["phase"] == json!("done"));
    assert_eq!(st["final_output"].as_str().unwrap().len(), 4096);
    assert_eq!(st["final_output_truncated"], json!(true));
    let full = c.call("result", json!({"runtime_id": rt}));
    let text = full["final_output"].as_str().unwrap();
    assert_eq!(text.len(), 8 * 1024 * 1024);
    assert!(text.bytes().all(|b| b == b'x'));
    // The file copy of session.end is complete.
    let file = lines(std::path::Path::new(st["on_event"].as_str().unwrap()));
    let fend = file.last().unwrap();
    assert_eq!(
        fend["final_output"].as_str().unwrap().len(),
        8 * 1024 * 1024
    );
    assert!(fend.get("final_output_truncated").is_none());
}

#[test]
fn sequential_dispatch_answers_in_order() {
    let d = Daemon::start();
    let mut c = d.connect();
    let rt = c.spawn(json!({"prompt": "hang"}));
    let started = Instant::now();
    let w = c.send("wait_turn", json!({"runtime_id": rt, "timeout_ms": 300}));
    let s = c.send("status", json!({"runtime_id": rt}));
    let first = c.read_response();
    assert_eq!(first["id"], json!(w));
    assert_eq!(first["error"]["code"], json!(-32020));
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(c.read_response()["id"], json!(s));
}

#[test]
fn concurrent_dispatch_lets_status_overtake_wait_turn() {
    let d = Daemon::start_with(Opts {
        env: &[("AVENOR_SIM_DISPATCH", "concurrent")],
        ..Opts::default()
    });
    let mut c = d.connect();
    let rt = c.spawn(json!({"prompt": "say working; hang"}));
    let w = c.send("wait_turn", json!({"runtime_id": rt}));
    let s = c.send("status", json!({"runtime_id": rt}));
    let first = c.read_response();
    assert_eq!(
        first["id"],
        json!(s),
        "status must not wait behind wait_turn"
    );
    // Interrupt only once the turn has said "working" (it may not have begun).
    let deadline = Instant::now() + Duration::from_secs(10);
    while !c.call("history", json!({"runtime_id": rt}))["events"]
        .as_array()
        .is_some_and(|evs| evs.iter().any(|e| is_event(e, "agent.message_chunk")))
    {
        assert!(
            Instant::now() < deadline,
            "the first turn never said anything"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let i = c.send(
        "interrupt_and_prompt",
        json!({"runtime_id": rt, "text": "say next"}),
    );
    let mut got = [c.read_response(), c.read_response()];
    got.sort_by_key(|r| r["id"].as_u64());
    assert_eq!(got[0]["id"], json!(w));
    assert_eq!(
        got[0]["result"],
        json!({"runtime_id": rt, "session_id": "ses_1", "stop_reason": "cancelled", "final_output": "working"})
    );
    assert_eq!(got[1]["id"], json!(i));
    let st = c.wait_status(&rt, |s| s["phase"] == json!("done"));
    assert_eq!(st["final_output"], json!("next"));
}

#[test]
fn admission_limit_and_children() {
    let d = Daemon::start_with(Opts {
        args: &["--max-runtimes", "1"],
        ..Opts::default()
    });
    let mut c = d.connect();
    let parent = c.spawn(json!({"prompt": "hang"}));
    c.wait_status(&parent, |s| s["status"] == json!("running"));
    let e = c.call_err("spawn", json!({"prompt": "say x", "parent_id": parent}));
    assert_eq!(
        e,
        json!({"code": -32050, "message": "max runtimes (1) reached",
               "data": {"source": "local", "retryable": true, "limit": 1, "active": 1}})
    );
    c.call(
        "interrupt_and_prompt",
        json!({"runtime_id": parent, "text": "say ok"}),
    );
    c.wait_status(&parent, |s| s["phase"] == json!("done"));
    // Parked runtimes do not count; parent_id links the child.
    let child = c.spawn(json!({"prompt": "say x", "parent_id": parent}));
    let p = c.call("status", json!({"runtime_id": parent}));
    assert_eq!(p["children"], json!([child]));
    let ch = c.call("status", json!({"runtime_id": child}));
    assert_eq!(ch["parent_id"], json!(parent));
}

#[test]
fn reserved_permission_falls_back_to_file_when_last_client_leaves() {
    let d = Daemon::start();
    let mut c = d.connect();
    c.call("subscribe", json!({"runtime_id": "rt_1"}));
    assert_eq!(
        c.call_err(
            "answer_permission",
            json!({"request_id": "x", "option_id": "y"})
        ),
        json!({"code": -32001, "message": "no_pending_permission"})
    );
    let sentinel = d.path("p/sentinel.done");
    let rt = c.spawn(json!({"prompt": "permission rm", "sentinel_file": sentinel}));
    let evs = c.events_until(|e| is_event(e, "permission.request"));
    assert_eq!(evs.last().unwrap()["resolver"], json!("reserved"));
    drop(c);
    let req = d.path("p/sentinel.perm.req");
    wait_for_file(&req);
    std::fs::write(
        d.path("p/sentinel.perm.req.response"),
        r#"{"option_id":"reject"}"#,
    )
    .unwrap();
    let mut c = d.connect();
    let st = c.wait_status(&rt, |s| s["phase"] == json!("done"));
    assert_eq!(st["final_output"], json!("permission rejected"));
    let file = lines(std::path::Path::new(st["on_event"].as_str().unwrap()));
    let resp = file
        .iter()
        .find(|e| is_event(e, "permission.response"))
        .unwrap();
    assert_eq!(resp["source"], json!("file"));
    assert_eq!(resp["kind"], json!("reject"));
    // wait_turn on an ended runtime returns at once with the last turn.
    c.call("cancel", json!({"runtime_id": rt}));
    c.wait_status(&rt, |s| s["status"] == json!("ended"));
    let t = c.call("wait_turn", json!({"runtime_id": rt}));
    assert_eq!(t["final_output"], json!("permission rejected"));
    assert_eq!(t["stop_reason"], json!("end_turn"));
}

#[test]
fn retries_after_exit_one_and_parked_timeout() {
    let d = Daemon::start_with(Opts {
        args: &["--parked-timeout", "200ms"],
        ..Opts::default()
    });
    let mut c = d.connect();
    c.call("subscribe", json!({"runtime_id": "rt_1"}));
    let rt = c.spawn(json!({"prompt": "say try; exit 1", "max_retries": 1}));
    let first = c.events_until(|e| is_event(e, "avenor.error"));
    assert_eq!(first.len(), 2);
    // No sentinel for an attempt that will be retried (2 s backoff).
    let sentinel = c.call("status", json!({"runtime_id": rt}))["sentinel_file"].clone();
    assert!(!std::path::Path::new(sentinel.as_str().unwrap()).exists());
    let second = c.events_until(|e| is_event(e, "avenor.error"));
    assert_eq!(
        second[0]["seq"],
        json!(3),
        "the retry continues the seq counter"
    );
    let st = c.wait_status(&rt, |s| s["status"] == json!("ended"));
    assert_eq!(st["exit_code"], json!(1));
    assert!(sentinel_of(&mut c, &rt).starts_with("FAILED\n"));

    // A parked runtime ends after --parked-timeout; its sentinel stays DONE.
    let rt = c.spawn(json!({"prompt": "say parked"}));
    let st = c.wait_status(&rt, |s| s["status"] == json!("ended"));
    assert_eq!(st["exit_code"], json!(0));
    assert!(sentinel_of(&mut c, &rt).starts_with("DONE\n"));
}

/// `status` never shows a finished turn (`phase: "done"`) without its final
/// output: both change together. Tests (and clients) read the output as soon as
/// they see `done`; the output used to be stored just after the phase, so a
/// status in between reported `done` with no `final_output`.
#[test]
fn done_and_the_final_output_appear_together() {
    let d = Daemon::start_with(Opts {
        args: &["--dispatch", "concurrent"],
        ..Opts::default()
    });
    let mut c = d.connect();
    for round in 0..40 {
        let text = format!("round {round}");
        let rt = c.spawn(json!({ "prompt": format!("say {text}") }));
        // Polls without pausing, to land between the two changes if they are apart.
        let deadline = Instant::now() + Duration::from_secs(10);
        let st = loop {
            let st = c.call("status", json!({ "runtime_id": rt }));
            if st["phase"] == json!("done") {
                break st;
            }
            assert!(Instant::now() < deadline, "never done: {st}");
        };
        assert_eq!(st["final_output"], json!(text), "{st}");
    }
}
