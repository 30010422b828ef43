//! subscribe (replay, after_seq, filters, lagged) and history.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};

fn seqs(events: &[Value]) -> Vec<u64> {
    events.iter().map(|e| e["seq"].as_u64().unwrap()).collect()
}

#[test]
fn replay_after_seq_then_live_without_duplicates() {
    let d = Daemon::start();
    let mut c = d.connect();
    let rt = c.spawn(json!({"prompt": "say a; say b; say c; say d"}));
    c.wait_status(&rt, |s| s["phase"] == json!("done"));
    // Turn 1 = 4 chunks + agent.status done + session.end = seq 1..6.
    assert_eq!(
        c.call(
            "subscribe",
            json!({"runtime_id": rt, "replay": true, "after_seq": 2, "limit": 3})
        ),
        json!({"subscribed": true})
    );
    let replayed: Vec<Value> = (0..3).map(|_| c.next_event()).collect();
    assert_eq!(
        seqs(&replayed),
        [4, 5, 6],
        "newest `limit` events after after_seq"
    );
    c.call("prompt", json!({"runtime_id": rt, "text": "say e"}));
    let live = c.events_until(|e| is_event(e, "session.end"));
    assert_eq!(seqs(&live), [7, 8, 9]);
    // A second, unfiltered subscription sees every runtime; replay needs a runtime_id.
    let mut w = d.connect();
    assert_eq!(
        w.call_err("subscribe", json!({"replay": true})),
        json!({"code": -32602, "message": "invalid params", "data": {"required": ["runtime_id"]}})
    );
    assert_eq!(
        w.call_err("subscribe", json!({"after_seq": 3}))["data"],
        json!({"required": ["runtime_id"]})
    );
    w.call("subscribe", json!({"runtime_id": "rt_99"}));
    w.call("subscribe", Value::Null);
    let rt2 = c.spawn(json!({"prompt": "say other"}));
    let evs = w.events_until(|e| is_event(e, "session.end"));
    assert!(evs.iter().all(|e| e["runtime_id"] == json!(rt2)));
    assert_eq!(seqs(&evs), [1, 2, 3]);
    // The filtered subscription on the first connection saw nothing of rt_2.
    c.call("list", Value::Null);
    assert!(c.events.iter().all(|e| e["runtime_id"] == json!(rt)));
}

#[test]
fn history_window() {
    let d = Daemon::start();
    let mut c = d.connect();
    assert_eq!(
        c.call_err("history", Value::Null)["data"],
        json!({"required": ["runtime_id"]})
    );
    assert_eq!(
        c.call("history", json!({"runtime_id": "rt_5"})),
        json!({"runtime_id": "rt_5", "events": [], "latest_seq": 0})
    );
    let rt = c.spawn(json!({"prompt": "chunks 300"}));
    c.wait_status(&rt, |s| s["phase"] == json!("done"));
    let h = c.call("history", json!({"runtime_id": rt}));
    assert_eq!(h["latest_seq"], json!(302));
    let evs = h["events"].as_array().unwrap();
    assert_eq!(evs.len(), 64);
    assert_eq!(evs[0]["seq"], json!(239));
    let h = c.call(
        "history",
        json!({"runtime_id": rt, "limit": 1000, "after_seq": 0}),
    );
    let evs = h["events"].as_array().unwrap();
    assert_eq!(evs.len(), 256, "window holds the last 256 events");
    assert_eq!(evs[0]["seq"], json!(47));
    assert_eq!(evs[0]["content"]["text"], json!("chunk 47"));
    let h = c.call("history", json!({"runtime_id": rt, "after_seq": 300}));
    assert_eq!(seqs(h["events"].as_array().unwrap()), [301, 302]);
}

#[test]
fn slow_subscriber_gets_lagged_notice_and_loses_only_oldest() {
    let d = Daemon::start();
    let mut owner = d.connect();
    let mut slow = d.connect();
    slow.call("subscribe", json!({"runtime_id": "rt_1"}));
    // Enough events to overflow the kernel socket buffer and the 256-deep queue.
    let n = 20_000;
    let rt = owner.spawn(json!({"prompt": format!("chunks {n}")}));
    // `done` is announced just before `session.end`: wait for the last event too.
    let st = owner.wait_status(&rt, |s| {
        s["phase"] == json!("done") && s["latest_seq"].as_u64() >= Some(n + 2)
    });
    let total = st["latest_seq"].as_u64().unwrap();
    assert_eq!(total, n + 2);
    let mut received = 0u64;
    let mut dropped = 0u64;
    let mut last_seq = 0u64;
    let mut lag_before_next = false;
    let deadline = Instant::now() + Duration::from_secs(20);
    while last_seq < total {
        assert!(
            Instant::now() < deadline,
            "stream stalled at seq {last_seq}"
        );
        let e = slow.next_event();
        if is_event(&e, "subscriber.lagged") {
            assert!(e["dropped_count"].as_u64().unwrap() > 0);
            assert!(e.get("seq").is_none() && e.get("runtime_id").is_none());
            dropped += e["dropped_count"].as_u64().unwrap();
            lag_before_next = true;
            continue;
        }
        let seq = e["seq"].as_u64().unwrap();
        assert!(seq > last_seq, "seq order");
        if lag_before_next {
            lag_before_next = false;
        } else {
            assert_eq!(
                seq,
                last_seq + 1,
                "a gap must be announced by subscriber.lagged"
            );
        }
        last_seq = seq;
        received += 1;
    }
    assert!(dropped > 0, "the slow subscriber should have lagged");
    assert_eq!(received + dropped, total);
}
