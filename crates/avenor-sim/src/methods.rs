//! Method table (§2): maps a method name to its handler; nothing else. Handlers live in
//! the `*_methods` modules and `spawn`, below this table, and never name it. Ownership
//! (§2.1) is checked by each mutating handler, except `spawn`'s, which is checked here
//! before its params are decoded.

use std::sync::Arc;

use serde_json::Value;

use crate::broker_methods;
use crate::conn_state::Conn;
use crate::control_methods;
use crate::event_methods;
use crate::query_methods;
use crate::rpc::{self, RpcError};
use crate::spawn;
use crate::sup::Sup;
use crate::supervisor_methods;
use crate::workflow_methods;

pub async fn dispatch(
    sup: &Arc<Sup>,
    conn: &Arc<Conn>,
    method: &str,
    params: &Value,
) -> Result<Value, RpcError> {
    match method {
        "status" => query_methods::status(sup, params),
        "list" => Ok(query_methods::list(sup)),
        "result" => query_methods::result(sup, params),
        "history" => event_methods::history(sup, params),
        "subscribe" => event_methods::subscribe(sup, conn, params),
        "identity" => Ok(supervisor_methods::identity(sup)),
        "wait_turn" => query_methods::wait_turn(sup, params).await,
        "tree_budget" => Ok(supervisor_methods::tree_budget(sup)),
        "wait_for_capacity" => supervisor_methods::wait_for_capacity(sup, params).await,
        "spawn" => {
            sup.claim_owner(conn.id)?;
            spawn::spawn(sup, params)
        }
        "shutdown" => supervisor_methods::shutdown(sup, conn, params).await,
        "cancel" => control_methods::cancel(sup, conn, params),
        "prompt" => control_methods::prompt(sup, conn, params),
        "interrupt_and_prompt" => control_methods::interrupt_and_prompt(sup, conn, params),
        "answer_permission" => control_methods::answer_permission(sup, conn, params),
        m if m.starts_with("broker_") => broker_methods::dispatch(sup, conn, m, params).await,
        m if m.starts_with("workflow.") => workflow_methods::dispatch(sup, m, params).await,
        _ => Err(RpcError::new(rpc::METHOD_NOT_FOUND, "method not found")),
    }
}
