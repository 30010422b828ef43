//! Finding what a tool's `runId` refers to: the singleton's registry (public id,
//! then label) or the external registry of an explicit supervisor.

use serde_json::{json, Map, Value};

use super::supervisor_client::SupervisorClient;
use crate::client::ControlClient;
use crate::error::CoreResult;
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

/// The daemon's `list`, its object entries only.
pub async fn list_entries(client: &ControlClient) -> CoreResult<Vec<Map<String, Value>>> {
    Ok(match client.call("list", None).await? {
        Some(Value::Array(items)) => items
            .into_iter()
            .filter_map(|v| match v {
                Value::Object(m) => Some(m),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    })
}

/// The `list` entry whose `runtime_id`, `id`, `label` or `run_id` is `reference`.
pub async fn find_list_entry(
    client: &ControlClient,
    reference: &str,
) -> CoreResult<Option<Map<String, Value>>> {
    let matches = |e: &Map<String, Value>| {
        ["runtime_id", "id", "label", "run_id"]
            .iter()
            .any(|k| e.get(*k).and_then(Value::as_str) == Some(reference))
    };
    Ok(list_entries(client).await?.into_iter().find(matches))
}
