//! Finding what a tool's `runId` refers to: the singleton's registry (public id,
//! then label) or the external registry of an explicit supervisor.

use super::supervisor_client::SupervisorClient;
use crate::runs::external::find_external_run;
use crate::runs::RunInfo;

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
