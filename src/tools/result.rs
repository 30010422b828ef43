//! `resultTool(args)` (core-spec §14.1): poll a run's status until it is
//! terminal (or waiting, or the timeout passes), then fetch its complete final
//! output with the lossless `result` RPC, falling back to the preview.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Map, Value};
use tokio::sync::Notify;

use super::args::{member, string, supervisor_id, text, Args};
use super::inspect::{inspect_tool, run_not_found};
use super::status::status_of;
use super::supervisor_client::get_supervisor_client;
use crate::error::{CoreError, CoreResult};
use crate::jsval::is_truthy;
use crate::policy::validate::validate_timeout;

pub const CANCELLED: &str = "result wait cancelled";
const POLL_INTERVAL: Duration = Duration::from_millis(1000);
const TERMINAL: [&str; 4] = ["done", "failed", "timeout", "killed"];

/// Set from JS when the caller's `AbortSignal` fires.
#[derive(Default)]
pub struct AbortFlag {
    aborted: AtomicBool,
    notify: Notify,
}

impl AbortFlag {
    pub fn abort(&self) {
        self.aborted.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    fn check(&self) -> CoreResult<()> {
        if self.aborted.load(Ordering::SeqCst) {
            Err(CoreError::Aborted(CANCELLED.into()))
        } else {
            Ok(())
        }
    }

    /// Sleeps `d` unless aborted first.
    async fn sleep(&self, d: Duration) -> CoreResult<()> {
        let notified = self.notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        self.check()?;
        tokio::select! {
            _ = tokio::time::sleep(d) => Ok(()),
            _ = notified => Err(CoreError::Aborted(CANCELLED.into())),
        }
    }
}

/// The complete output: `result` RPC (exact), else the status preview, else the
/// inspected snapshot's text. Returns `(output, exact)`.
async fn final_output(
    status: &Map<String, Value>,
    run_id: &str,
    supervisor: Option<&str>,
) -> (Option<Value>, bool) {
    if let Some(rt) = status.get("runtime_id").and_then(Value::as_str) {
        if let Ok(target) = get_supervisor_client(supervisor).await {
            let reply = target
                .client
                .call("result", Some(json!({ "runtime_id": rt })))
                .await;
            target.finish().await;
            if let Ok(Some(Value::Object(r))) = reply {
                if let Some(Value::String(text)) = r.get("final_output") {
                    return (Some(Value::from(text.clone())), true);
                }
            }
        }
    }
    if let Some(preview) = status.get("final_output") {
        return (Some(preview.clone()), false);
    }
    let mut args = Map::new();
    args.insert("runId".into(), Value::from(run_id));
    if let Some(s) = supervisor {
        args.insert("supervisorId".into(), Value::from(s));
    }
    let inspected = inspect_tool(args).await.ok();
    let from_snapshot = inspected.and_then(|i| {
        i.get("final_output").cloned().or_else(|| {
            let snapshot = i.get("snapshot")?;
            snapshot
                .get("final_output")
                .or_else(|| {
                    snapshot
                        .get("assistant_text")
                        .filter(|t| t.as_str() != Some(""))
                })
                .cloned()
        })
    });
    (from_snapshot, false)
}

fn outcome(status: &Map<String, Value>, ready: bool) -> Map<String, Value> {
    let mut out = Map::new();
    for key in ["run_id", "label", "status"] {
        out.insert(key.into(), status.get(key).cloned().unwrap_or(Value::Null));
    }
    out.insert("ready".into(), Value::Bool(ready));
    for key in [
        "runtime_id",
        "session_id",
        "stop_reason",
        "pending_permission",
    ] {
        if let Some(v) = status.get(key) {
            out.insert(key.into(), v.clone());
        }
    }
    out
}

pub async fn result_tool(args: Args, abort: Arc<AbortFlag>) -> CoreResult<Value> {
    abort.check()?;
    let run_id = string(&args, "runId").unwrap_or_default();
    let supervisor = supervisor_id(&args);
    let wait = member(&args, "wait").is_none_or(is_truthy);
    let timeout = text(&args, "timeout")
        .filter(|t| !t.is_empty())
        .map(|t| validate_timeout(&t))
        .transpose()?
        .map(|s| Duration::from_millis(s.saturating_mul(1000)));
    let started = tokio::time::Instant::now();
    loop {
        abort.check()?;
        // Armed before the status read, so a crash in between still wakes the wait.
        let lost = crate::runs::lost::changed().notified();
        tokio::pin!(lost);
        lost.as_mut().enable();
        let status = status_of(&run_id, supervisor.as_deref())
            .await?
            .ok_or_else(|| run_not_found(&run_id))?;
        abort.check()?;
        let state = status
            .get("status")
            .and_then(Value::as_str)
            .unwrap_or_default();
        // Its daemon died under it: the wait ends with that cause.
        if let (Some(Value::String(error)), "failed") = (status.get("error"), state) {
            return Err(CoreError::plain(error.clone()));
        }
        if TERMINAL.contains(&state) {
            let (output, exact) = final_output(&status, &run_id, supervisor.as_deref()).await;
            let mut out = outcome(&status, true);
            if let Some(o) = output {
                out.insert("output".into(), o);
            }
            if !exact {
                out.insert("output_truncated".into(), Value::Bool(true));
                if let Some(path) = status.get("event_path") {
                    out.insert("output_event_path".into(), path.clone());
                }
            }
            return Ok(Value::Object(out));
        }
        if state == "waiting" || !wait {
            return Ok(Value::Object(outcome(&status, false)));
        }
        let mut remaining = POLL_INTERVAL;
        if let Some(limit) = timeout {
            let elapsed = started.elapsed();
            if elapsed >= limit {
                let mut out = outcome(&status, false);
                out.insert("timed_out".into(), Value::Bool(true));
                return Ok(Value::Object(out));
            }
            remaining = (limit - elapsed).clamp(Duration::from_millis(1), POLL_INTERVAL);
        }
        // A daemon crash wakes the wait at once instead of at the next poll.
        tokio::select! {
            slept = abort.sleep(remaining) => slept?,
            _ = lost => {}
        }
    }
}
