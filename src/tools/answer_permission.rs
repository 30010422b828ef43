//! `answerPermissionTool(args)` [LATE] (core-spec §9).

use serde_json::{json, Value};

use super::args::{string, supervisor_id, text, Args};
use super::resolve::find_run;
use super::supervisor_client::get_supervisor_client;
use crate::error::{CoreError, CoreResult};
use crate::policy::validate::validate_run_id;
use crate::status::pending_permission_request_id;

pub const NO_PENDING: &str = "no pending permission request for this run";

pub async fn answer_permission_tool(args: Args) -> CoreResult<Value> {
    let target = get_supervisor_client(supervisor_id(&args).as_deref()).await?;
    let outcome = async {
        let run_id = text(&args, "runId").unwrap_or_default();
        validate_run_id(&run_id)?;
        let runtime_id = find_run(&target, &run_id)
            .and_then(|info| info.runtime_id)
            .unwrap_or_else(|| run_id.clone());
        let request_id = match string(&args, "requestId").filter(|s| !s.is_empty()) {
            Some(id) => id,
            None => {
                let live = target
                    .client
                    .call("status", Some(json!({ "runtime_id": runtime_id })))
                    .await?
                    .unwrap_or(Value::Null);
                pending_permission_request_id(&live).ok_or_else(|| CoreError::plain(NO_PENDING))?
            }
        };
        let mut params = json!({
            "runtime_id": runtime_id,
            "request_id": request_id,
            "option_id": text(&args, "optionId").unwrap_or_default(),
        });
        if let Some(message) = string(&args, "message").filter(|m| !m.is_empty()) {
            params["message"] = Value::from(message);
        }
        target
            .client
            .call("answer_permission", Some(params))
            .await?;
        Ok(json!({ "ok": true }))
    }
    .await;
    target.finish().await;
    outcome
}
