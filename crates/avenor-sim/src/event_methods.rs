//! The event-stream methods: `history` (§2.12) over a runtime's 256-event window, and
//! `subscribe` (§2.11), which registers a subscription on the calling connection.

use std::sync::Arc;

use serde_json::{json, Value};

use crate::conn_state::Conn;
use crate::params::int_param;
use crate::rpc::{self, RpcError};
use crate::subscription::Subscription;
use crate::sup::Sup;

fn clamp_limit(limit: i64) -> usize {
    if limit <= 0 {
        64
    } else {
        limit.min(256) as usize
    }
}

pub fn history(sup: &Sup, params: &Value) -> Result<Value, RpcError> {
    let Some(id) = rpc::runtime_id(params) else {
        return Err(RpcError::required(&["runtime_id"]));
    };
    let limit = clamp_limit(int_param(params, "limit")?);
    let after = int_param(params, "after_seq")?.max(0) as u64;
    let (events, latest) = match sup.runtime(id) {
        Some(rt) => (
            rt.events
                .window(after, limit)
                .iter()
                .map(|e| e.value())
                .collect(),
            rt.events.latest_seq(),
        ),
        None => (Vec::new(), 0),
    };
    Ok(json!({ "runtime_id": id, "events": events, "latest_seq": latest }))
}

pub fn subscribe(sup: &Sup, conn: &Arc<Conn>, params: &Value) -> Result<Value, RpcError> {
    let filter = rpc::runtime_id(params).map(str::to_string);
    let replay = match params.get("replay") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(RpcError::detail(
                "json: cannot unmarshal replay into Go struct field of type bool",
            ))
        }
    };
    let limit = clamp_limit(int_param(params, "limit")?);
    let after = int_param(params, "after_seq")?.max(0) as u64;
    if (replay || after > 0) && filter.is_none() {
        return Err(RpcError::required(&["runtime_id"]));
    }
    let rt = filter.as_deref().and_then(|id| sup.runtime(id));
    let sub = match (&rt, replay || after > 0) {
        // Replay and registration happen under the runtime's event lock: no gap, no dup.
        (Some(rt), true) => rt.events.with_replay(after, limit, |events| {
            let sub = Subscription::new(filter.clone(), events);
            sup.hub.add(sub.clone());
            sub
        }),
        _ => {
            let sub = Subscription::new(filter.clone(), Vec::new());
            sup.hub.add(sub.clone());
            sub
        }
    };
    sub.spawn_writer(conn.writer.clone());
    conn.add_subscription(sub);
    Ok(json!({ "subscribed": true }))
}
