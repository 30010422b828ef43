//! Finding what a tool's `runId` refers to: the singleton's registry (public id,
//! then label) or the external registry of an explicit supervisor.

use serde_json::{json, Map, Value};

use super::supervisor_client::SupervisorClient;
use crate::client::ControlClient;
use crate::runs::external::find_external_run;
use crate::runs::RunInfo;

/// The daemon's `status` of one runtime, or `None` when it fails.
pub async fn live_status(client: &ControlClient, runtime_id: &str) -> Option<Map<String, Value>> {
    match client
        .call("status", Some(json!({ "runtime_id": runtime_id })))
        .await
    {
        Ok(Some(Value::Object(m))) => Some(m),
        _ => None,
    }
}

pub fn find_run(target: &SupervisorClient, reference: &str) -> Option<RunInfo> {
    match &target.sup {
        Some(sup) => sup
            .runs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .find(reference)
            .cloned(),
        None => find_external_run(&target.supervisor_id, reference),
    }
}
