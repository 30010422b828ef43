//! `shutdownTool(args)` [LATE] (core-spec §12).
//!
//! Choice: `force: true` sends mode `kill`, the daemon's forced mode. The original
//! sent `force`, which the daemon rejects (`shutdown mode must be graceful or kill`).

use std::path::Path;
use std::sync::Arc;

use serde_json::{json, Value};

use super::args::{supervisor_id, Args};
use super::supervisor_client::{get_supervisor_client, singleton_supervisor};
use crate::client::{ControlClient, CONNECTION_CLOSED};
use crate::error::{CoreError, CoreResult};
use crate::jsval::is_truthy_opt;
use crate::runs::external::clear_external_runs;
use crate::runs::external::external_run_metadata_path;
use crate::supervisor::singleton;
use crate::supervisor::Supervisor;

/// Sends `shutdown`; the daemon may close the connection before its reply
/// reaches us, which counts as success (protocol §2.13).
async fn send_shutdown(client: &ControlClient, mode: &str) -> CoreResult<()> {
    match client.call("shutdown", Some(json!({ "mode": mode }))).await {
        Ok(_) => Ok(()),
        Err(CoreError::Plain(m)) if m == CONNECTION_CLOSED => Ok(()),
        Err(e) => Err(e),
    }
}

fn remove(path: &Path, cleaned: &mut Vec<String>) {
    if std::fs::remove_file(path).is_ok() {
        cleaned.push(path.to_string_lossy().into_owned());
    }
}

fn clean_tracked_runs(sup: &Supervisor, cleaned: &mut Vec<String>) {
    let runs = sup
        .runs
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .all()
        .to_vec();
    for run in runs {
        remove(Path::new(&run.sentinel_path), cleaned);
        remove(Path::new(&run.event_log_path), cleaned);
    }
}

async fn close_singleton(sup: &Arc<Supervisor>, cleaned: &mut Vec<String>) {
    clean_tracked_runs(sup, cleaned);
    singleton::close(sup, true).await;
}

pub async fn shutdown_tool(args: Args) -> CoreResult<Value> {
    let mode = if is_truthy_opt(args.get("force")) {
        "kill"
    } else {
        "graceful"
    };
    let mut cleaned = Vec::new();
    match supervisor_id(&args) {
        None => {
            let sup = singleton_supervisor().await?;
            sup.begin_close();
            if let Ok(client) = sup.get_client() {
                let _ = send_shutdown(&client, mode).await;
            }
            close_singleton(&sup, &mut cleaned).await;
        }
        Some(id) => {
            let target = get_supervisor_client(Some(&id)).await?;
            match &target.sup {
                Some(sup) => {
                    sup.begin_close();
                    send_shutdown(&target.client, mode).await?;
                    close_singleton(sup, &mut cleaned).await;
                }
                None => {
                    let sent = send_shutdown(&target.client, mode).await;
                    target.finish().await;
                    sent?;
                    for run in clear_external_runs(&target.supervisor_id) {
                        remove(Path::new(&run.sentinel_path), &mut cleaned);
                        remove(Path::new(&run.event_log_path), &mut cleaned);
                        if let Ok(meta) = external_run_metadata_path(&run.run_id) {
                            remove(&meta, &mut cleaned);
                        }
                    }
                }
            }
        }
    }
    Ok(json!({ "ok": true, "cleaned_up": cleaned }))
}
