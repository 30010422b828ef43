//! `eventsTool(args)` [LATE] (core-spec §11.2). The newest `limit` matching
//! records are read from the end of the run's NDJSON log, so the cost does not
//! grow with the log's size; the daemon's `history` is the fallback.

use std::path::PathBuf;

use serde_json::{json, Map, Value};

use super::args::{member, supervisor_id, text, Args};
use super::resolve::{find_list_entry, find_run};
use super::supervisor_client::{get_supervisor_client, SupervisorClient};
use crate::client::methods;
use crate::error::{CoreError, CoreResult};
use crate::events_log::{clip_record, read_newest_records_off_workers, EventFilter};
use crate::jsval::{number_value, to_number};
use crate::policy::validate::validate_run_id;

/// Where a run's events can be read.
struct Source {
    runtime_id: Option<String>,
    log: Option<PathBuf>,
}

fn unable_to_resolve(run_id: &str) -> String {
    format!("unable to resolve run {run_id}")
}

fn str_of<'a>(m: &'a Map<String, Value>, keys: &[&str]) -> Option<&'a str> {
    keys.iter()
        .find_map(|k| m.get(*k).and_then(Value::as_str).filter(|s| !s.is_empty()))
}

fn source_of(live: &Map<String, Value>, run_id: &str) -> Source {
    Source {
        runtime_id: Some(str_of(live, &["runtime_id"]).unwrap_or(run_id).to_string()),
        log: str_of(live, &["event_path", "on_event"]).map(PathBuf::from),
    }
}

async fn resolve(target: &SupervisorClient, run_id: &str, explicit: bool) -> CoreResult<Source> {
    if let Some(info) = find_run(target, run_id) {
        return Ok(Source {
            runtime_id: info.runtime_id,
            log: Some(PathBuf::from(info.event_log_path)),
        });
    }
    let client = &target.client;
    let status_err = match client
        .call("status", Some(json!({ "runtime_id": run_id })))
        .await
    {
        Ok(Some(Value::Object(live))) => return Ok(source_of(&live, run_id)),
        Ok(_) => CoreError::plain("status returned no object"),
        Err(e) => e,
    };
    if !explicit {
        return Err(CoreError::plain(format!(
            "{}: {status_err}",
            unable_to_resolve(run_id)
        )));
    }
    match find_list_entry(client, run_id).await {
        Ok(Some(entry)) => {
            let mut source = source_of(&entry, run_id);
            source.runtime_id = str_of(&entry, &["runtime_id", "id"])
                .map(str::to_string)
                .or(source.runtime_id);
            Ok(source)
        }
        Ok(None) => Err(CoreError::plain(format!(
            "{}: {status_err}",
            unable_to_resolve(run_id)
        ))),
        Err(list_err) => Err(CoreError::Aggregate {
            message: unable_to_resolve(run_id),
            errors: vec![status_err, list_err],
        }),
    }
}

async fn read(
    target: &SupervisorClient,
    run_id: &str,
    source: Source,
    limit: usize,
    filter: &EventFilter,
) -> CoreResult<Vec<Value>> {
    let mut failures = Vec::new();
    if let Some(log) = &source.log {
        match read_newest_records_off_workers(log.clone(), limit, filter.clone()).await {
            Ok(records) => return Ok(records),
            Err(e) => failures.push(CoreError::plain(format!("read {}: {e}", log.display()))),
        }
    }
    if let Some(rt) = &source.runtime_id {
        let mut opts = json!({ "runtime_id": rt, "limit": limit });
        if let Some(after) = filter.after_seq {
            opts["after_seq"] = number_value(after);
        }
        let rpc = methods::history(Some(&opts));
        match target.client.call(rpc.method, rpc.params).await {
            Ok(reply) => {
                let events = reply
                    .and_then(|r| r.get("events").cloned())
                    .and_then(|e| match e {
                        Value::Array(items) => Some(items),
                        _ => None,
                    })
                    .unwrap_or_default();
                let mut kept: Vec<Value> =
                    events.into_iter().filter(|e| filter.matches(e)).collect();
                let excess = kept.len().saturating_sub(limit);
                kept.drain(..excess);
                return Ok(kept);
            }
            Err(e) => failures.push(e),
        }
    }
    if failures.is_empty() {
        return Ok(Vec::new());
    }
    Err(CoreError::Aggregate {
        message: format!("unable to read events for run {run_id}"),
        errors: failures,
    })
}

pub async fn events_tool(args: Args) -> CoreResult<Value> {
    let run_id = text(&args, "runId").unwrap_or_default();
    validate_run_id(&run_id)?;
    let limit = member(&args, "limit").map_or(50.0, to_number).trunc();
    let limit = if limit.is_nan() {
        50.0
    } else {
        limit.clamp(1.0, 1000.0)
    } as usize;
    let filter = EventFilter {
        types: match member(&args, "types") {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            _ => Vec::new(),
        },
        after_seq: member(&args, "after_seq")
            .map(to_number)
            .filter(|n| n.is_finite()),
    };
    let explicit = supervisor_id(&args);
    let target = get_supervisor_client(explicit.as_deref()).await?;
    let outcome = async {
        let source = resolve(&target, &run_id, explicit.is_some()).await?;
        read(&target, &run_id, source, limit, &filter).await
    }
    .await;
    target.finish().await;
    let events: Vec<Value> = outcome?.into_iter().map(clip_record).collect();
    Ok(json!({ "events": events }))
}
