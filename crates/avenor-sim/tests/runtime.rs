//! Spawn, turns, events file, sentinel, list/status/result, cancel, interrupt, dispatch.

mod common;

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
