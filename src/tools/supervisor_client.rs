//! `getSupervisorClient(supervisorId)` (core-spec §6.2): the singleton's client
//! (auto-starting it) or a fresh connection to another supervisor's socket,
//! which the caller must close (`finish`).

use std::sync::Arc;

use crate::client::{dial, ControlClient, DEFAULT_CALL_TIMEOUT};
use crate::discovery::ensure_sockets_root;
use crate::error::CoreResult;
use crate::policy::validate::validate_supervisor_socket_path;
use crate::supervisor::singleton::{self, GetOptions};
use crate::supervisor::Supervisor;

pub struct SupervisorClient {
    pub client: ControlClient,
    /// `Some` when this is the singleton's own client (never closed by tools).
    pub sup: Option<Arc<Supervisor>>,
    /// The supervisor id the caller should report (validated when given).
    pub supervisor_id: String,
}

impl SupervisorClient {
    pub fn is_singleton(&self) -> bool {
        self.sup.is_some()
    }

    /// Closes a connection the tool opened itself, once the daemon has seen it
    /// end (so the next tool's mutating call finds the daemon's owner released).
    pub async fn finish(&self) {
        if self.sup.is_none() {
            self.client.close_and_wait(CLOSE_WAIT).await;
        }
    }
}

/// How long closing a tool's own connection waits for the daemon's side.
const CLOSE_WAIT: std::time::Duration = std::time::Duration::from_millis(500);

/// The singleton, started if needed (`Supervisor.get()` with default options).
pub async fn singleton_supervisor() -> CoreResult<Arc<Supervisor>> {
    singleton::get(GetOptions {
        binary_path: None,
        call_timeout: DEFAULT_CALL_TIMEOUT,
    })
    .await
}

pub async fn get_supervisor_client(supervisor_id: Option<&str>) -> CoreResult<SupervisorClient> {
    let Some(id) = supervisor_id else {
        let sup = singleton_supervisor().await?;
        return Ok(SupervisorClient {
            client: sup.get_client()?,
            supervisor_id: sup.supervisor_id().to_string(),
            sup: Some(sup),
        });
    };
    let root = ensure_sockets_root()?;
    let validated = validate_supervisor_socket_path(id, &root)?;
    let validated_id = validated.to_string_lossy().into_owned();
    if let Some(sup) = singleton::current() {
        let same = validate_supervisor_socket_path(sup.supervisor_id(), &root)
            .is_ok_and(|own| own == validated);
        if same {
            return Ok(SupervisorClient {
                client: sup.get_client()?,
                supervisor_id: validated_id,
                sup: Some(sup),
            });
        }
    }
    let client = dial(&validated_id, DEFAULT_CALL_TIMEOUT).await?;
    Ok(SupervisorClient {
        client,
        sup: None,
        supervisor_id: validated_id,
    })
}
