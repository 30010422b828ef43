//! Supervisor-wide methods: `identity`, `tree_budget`, `wait_for_capacity` (§2.15)
//! and `shutdown` (§2.13).

use std::time::Duration;

use serde_json::{json, Value};

use crate::conn_state::Conn;
use crate::params::int_param;
use crate::rpc::RpcError;
use crate::sup::Sup;

pub fn identity(sup: &Sup) -> Value {
    json!({ "token": sup.identity_token })
}

pub fn tree_budget(sup: &Sup) -> Value {
    json!({
        "active": sup.active_count(),
        "capacity": sup.cfg.max_tree_budget,
        "root_id": &*sup.run_id,
        "mode": "active",
    })
}

pub async fn shutdown(sup: &Sup, conn: &Conn, params: &Value) -> Result<Value, RpcError> {
    sup.claim_owner(conn.id)?;
    // Malformed params are treated as {} (graceful).
    let kill = match params.get("mode") {
        Some(Value::String(m)) => match m.as_str() {
            "" | "graceful" => false,
            "kill" => true,
            _ => return Err(RpcError::handler("shutdown mode must be graceful or kill")),
        },
        _ => false,
    };
    sup.shutdown(kill).await;
    Ok(json!({ "shutting_down": true }))
}

/// Only a hint, like the daemon's: returns on capacity or after a 2 s poll tick.
pub async fn wait_for_capacity(sup: &Sup, params: &Value) -> Result<Value, RpcError> {
    let timeout_ms = match int_param(params, "timeout_ms")? {
        t if t <= 0 => 5000,
        t => t as u64,
    };
    let has_room =
        || sup.cfg.max_runtimes <= 0 || (sup.active_count() as i64) < sup.cfg.max_runtimes;
    let start = tokio::time::Instant::now();
    let tick = Duration::from_millis(timeout_ms.min(2000));
    while start.elapsed() < tick {
        if has_room() {
            return Ok(json!({ "capacity_available": true }));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if has_room() || timeout_ms > 2000 {
        return Ok(json!({ "capacity_available": true }));
    }
    Err(RpcError::handler("timed out waiting for capacity").with_data(json!({ "retryable": true })))
}
