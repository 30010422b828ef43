//! The broker: asks between runtimes and the control plane, replies, cancels,
//! timeouts, peers, and the owner-only rule for the mutating broker methods.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};

/// Polls `broker_receive` until it lists something.
fn receive_until_some(c: &mut Client) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let asks = c.call("broker_receive", Value::Null);
        match asks.as_array() {
            Some(a) if !a.is_empty() => return a.clone(),
            _ => {}
        }
        assert!(Instant::now() < deadline, "no ask arrived");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn final_output(c: &mut Client, rt: &str) -> Value {
    let st = c.wait_status(rt, |s| s["phase"] == json!("done"));
    st["final_output"].clone()
}

/// Reads responses until the one for request `id` (others are dropped).
fn response_for(c: &mut Client, id: u64) -> Value {
    loop {
        let r = c.read_response();
        if r["id"] == json!(id) {
            return r;
        }
    }
}

#[test]
fn a_runs_ask_is_listed_and_answered_by_the_owner_not_by_a_monitor() {
    let d = Daemon::start();
    let mut owner = d.connect();
    let mut monitor = d.connect();
    let rt = owner.spawn(json!({"prompt": "ask which branch?; say !"}));
    let asks = receive_until_some(&mut monitor);
    assert_eq!(
        asks,
        vec![
            json!({"from_run_id": rt, "message_id": "msg_1", "message": "which branch?", "role": "agent"})
        ]
    );
    let reply = json!({"to_run_id": rt, "reply_to": "msg_1", "message": "main"});
    let denied = monitor.call_err("broker_reply", reply.clone());
    assert_eq!(
        denied,
        json!({"code": -32010, "message": "permission_denied"})
    );
    // A reply must go back to the asker.
    let wrong = owner.call_err(
        "broker_reply",
        json!({"to_run_id": "supervisor", "reply_to": "msg_1", "message": "x"}),
    );
    assert_eq!(
        wrong["message"],
        json!(format!(
            "ask \"msg_1\" is from \"{rt}\", not \"supervisor\""
        ))
    );
    assert_eq!(
        owner.call("broker_reply", reply.clone()),
        json!({"ok": true})
    );
    assert_eq!(final_output(&mut owner, &rt), json!("main!"));
    assert_eq!(owner.call("broker_receive", Value::Null), json!([]));
    let gone = owner.call_err("broker_reply", reply);
    assert_eq!(
        gone,
        json!({"code": -32000, "message": "no pending ask for message id \"msg_1\""})
    );
}

#[test]
fn once_the_owner_leaves_a_second_connection_can_reply() {
    let d = Daemon::start();
    let mut first = d.connect();
    let rt = first.spawn(json!({"prompt": "ask ready?"}));
    let mut second = d.connect();
    receive_until_some(&mut second);
    drop(first);
    let reply = json!({"to_run_id": rt, "reply_to": "msg_1", "message": "yes"});
    // The daemon notices the disconnect asynchronously.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = second.call_raw("broker_reply", reply.clone());
        if r.get("result").is_some() {
            break;
        }
        assert_eq!(r["error"]["code"], json!(-32010), "{r}");
        assert!(Instant::now() < deadline, "ownership never released");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(final_output(&mut second, &rt), json!("yes"));
}

#[test]
fn a_control_ask_is_answered_by_the_runtime() {
    let d = Daemon::start();
    let mut c = d.connect();
    let rt = c.spawn(json!({"prompt": "answer hello back"}));
    let reply = c.call(
        "broker_ask",
        json!({"to_run_id": rt, "message": "hello", "role": "agent"}),
    );
    assert_eq!(
        reply,
        json!({"message_id": "msg_1", "from_run_id": rt, "payload": {"message": "hello back"}})
    );
    assert_eq!(final_output(&mut c, &rt), json!("hello"));
}

#[test]
fn cancel_ends_a_runs_ask_and_a_control_ask() {
    let d = Daemon::start_with(Opts {
        args: &["--dispatch", "concurrent"],
        ..Opts::default()
    });
    let mut c = d.connect();
    let rt = c.spawn(json!({"prompt": "ask anyone?"}));
    receive_until_some(&mut c);
    assert_eq!(
        c.call("broker_cancel", json!({"message_id": "msg_1"})),
        json!({"ok": true})
    );
    assert_eq!(final_output(&mut c, &rt), json!("(cancelled)"));

    // A control-plane ask to the supervisor itself, cancelled on the same
    // (owner) connection while it is parked.
    let ask = c.send(
        "broker_ask",
        json!({"to_run_id": "supervisor", "message": "ping"}),
    );
    let listed = receive_until_some(&mut c);
    assert_eq!(listed[0]["from_run_id"], json!("supervisor"));
    let id = listed[0]["message_id"].clone();
    assert_eq!(id, json!("msg_2"));
    c.call("broker_cancel", json!({"message_id": id}));
    assert_eq!(
        response_for(&mut c, ask)["result"],
        json!({"message_id": "msg_2", "cancelled": true})
    );
    let err = c.call_err("broker_cancel", json!({"message_id": "msg_2"}));
    assert_eq!(
        err["message"],
        json!("no pending ask for message id \"msg_2\"")
    );
}

#[test]
fn an_unanswered_ask_times_out_and_is_withdrawn() {
    let d = Daemon::start_with(Opts {
        args: &["--ask-timeout", "200ms"],
        ..Opts::default()
    });
    let mut c = d.connect();
    let started = Instant::now();
    let r = c.call(
        "broker_ask",
        json!({"to_run_id": "supervisor", "message": "anyone?"}),
    );
    assert_eq!(r, json!({"message_id": "msg_1", "timeout": true}));
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(c.call("broker_receive", Value::Null), json!([]));
}

#[test]
fn peers_params_and_ownership() {
    let d = Daemon::start();
    let mut owner = d.connect();
    let mut other = d.connect();
    let rt =
        owner.spawn(json!({"prompt": "say hi", "label": "peer", "model": "m1", "dir": "/tmp"}));
    // Parked after its turn: status `idle`.
    // `idle` alone also covers "not started yet" (protocol §3.1): wait for the park.
    owner.wait_status(&rt, |s| {
        s["status"] == json!("idle") && s["phase"] == json!("done")
    });
    assert_eq!(
        other.call("broker_peers", Value::Null),
        json!({"sessions": [{"run_id": rt, "label": "peer", "status": "idle",
            "backend": "opencode-acp", "model": "m1", "dir": "/tmp"}]})
    );
    assert_eq!(
        owner.call_err("broker_ask", json!({"message": "x"})),
        json!({"code": -32602, "message": "invalid params", "data": {"required": ["to_run_id", "message"]}})
    );
    assert_eq!(
        owner.call_err("broker_ask", json!({"to_run_id": "rt_9", "message": "x"})),
        json!({"code": -32000, "message": "unknown run \"rt_9\""})
    );
    assert_eq!(
        owner.call_err("broker_reply", json!({"to_run_id": rt})),
        json!({"code": -32602, "message": "invalid params", "data": {"required": ["to_run_id", "reply_to", "message"]}})
    );
    assert_eq!(
        owner.call(
            "broker_send",
            json!({"from_run_id": "supervisor", "to_run_id": rt, "message": "fyi"})
        ),
        json!({"ok": true})
    );
    for (method, params) in [
        (
            "broker_send",
            json!({"from_run_id": "supervisor", "to_run_id": rt, "message": "m"}),
        ),
        ("broker_ask", json!({"to_run_id": rt, "message": "m"})),
        ("broker_cancel", json!({"message_id": "msg_1"})),
        (
            "broker_reply",
            json!({"to_run_id": rt, "reply_to": "msg_1", "message": "m"}),
        ),
    ] {
        assert_eq!(
            other.call_err(method, params)["code"],
            json!(-32010),
            "{method}"
        );
    }
    assert_eq!(other.call("broker_receive", Value::Null), json!([]));
}
