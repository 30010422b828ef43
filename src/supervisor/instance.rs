//! One supervisor: the daemon it owns (or adopted), its client, its crash state
//! and its local run registry (core-spec §5.1, §5.3, §5.5).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::daemon_process::DaemonProcess;
use super::live_daemons;
use super::startup::Started;
use crate::client::ControlClient;
use crate::error::{CoreError, CoreResult};
use crate::runs::{lost, LocalRuns};

pub const NOT_STARTED: &str = "supervisor not started";
pub const CONNECTION_CLOSED: &str = "avenor supervisor connection closed";

static NEXT_SERIAL: AtomicU64 = AtomicU64::new(1);

pub struct Supervisor {
    serial: u64,
    socket: PathBuf,
    id: String,
    process: Option<Arc<DaemonProcess>>,
    state: Mutex<State>,
    closing: AtomicBool,
    pub runs: Mutex<LocalRuns>,
}

#[derive(Default)]
struct State {
    client: Option<ControlClient>,
    crash_code: Option<i64>,
}

impl Supervisor {
    pub fn new(started: Started) -> Arc<Self> {
        let id = started.socket.to_string_lossy().into_owned();
        if let Some(p) = &started.process {
            live_daemons::register(p.clone(), started.socket.clone());
        }
        let sup = Arc::new(Supervisor {
            serial: NEXT_SERIAL.fetch_add(1, Ordering::SeqCst),
            socket: started.socket,
            id,
            process: started.process,
            state: Mutex::new(State {
                client: Some(started.client),
                crash_code: None,
            }),
            closing: AtomicBool::new(false),
            runs: Mutex::new(LocalRuns::default()),
        });
        sup.watch_for_exit();
        sup
    }

    /// Any exit of the child after a successful start marks the supervisor crashed.
    fn watch_for_exit(self: &Arc<Self>) {
        let Some(process) = self.process.clone() else {
            return;
        };
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let info = process.exited().await;
            if let Some(sup) = weak.upgrade() {
                if !sup.closing.load(Ordering::SeqCst) {
                    sup.mark_crashed(info.crash_code());
                    // Its runs died with it: they are over, not "running" elsewhere.
                    lost::record(sup.take_runs().into_all(), &lost::crash_message(&info));
                }
            }
        });
    }

    /// A shutdown was asked for: the daemon's exit from here on is not a crash
    /// (its runs are cleaned up by the caller, not recorded as lost).
    pub fn begin_close(&self) {
        self.closing.store(true, Ordering::SeqCst);
    }

    /// Empties the run registry, returning what it held.
    pub fn take_runs(&self) -> LocalRuns {
        std::mem::take(&mut *self.runs.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Takes over the runs of a supervisor replaced while its daemon lived on.
    pub fn adopt_runs(&self, runs: LocalRuns) {
        let mut mine = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        for info in runs.into_all() {
            mine.register(info);
        }
    }

    /// A number unique to this instance within the process.
    pub fn serial(&self) -> u64 {
        self.serial
    }

    /// The control-socket path, which is also the supervisor's identity.
    pub fn supervisor_id(&self) -> &str {
        &self.id
    }

    pub fn process(&self) -> Option<&Arc<DaemonProcess>> {
        self.process.as_ref()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn is_crashed(&self) -> bool {
        self.lock().crash_code.is_some()
    }

    /// Has a client whose connection is still open.
    pub fn client_is_open(&self) -> bool {
        self.lock().client.as_ref().is_some_and(|c| !c.is_closed())
    }

    /// Marks the supervisor crashed with `code` and closes its client.
    pub fn mark_crashed(&self, code: i64) {
        let client = {
            let mut state = self.lock();
            state.crash_code = Some(code);
            state.client.take()
        };
        if let Some(c) = client {
            c.close();
        }
    }

    /// `getClient()`: the open client, or the crash/closed errors of §5.3.
    pub fn get_client(&self) -> CoreResult<ControlClient> {
        let mut state = self.lock();
        if let Some(code) = state.crash_code {
            let word = if code == 0 { "exited" } else { "crashed" };
            return Err(CoreError::plain(format!(
                "avenor supervisor {word} (exit code {code}). Call avenor_shutdown to clean up and retry."
            )));
        }
        let Some(client) = state.client.clone() else {
            return Err(CoreError::plain(NOT_STARTED));
        };
        if client.is_closed() {
            state.crash_code = Some(0);
            state.client = None;
            return Err(CoreError::plain(CONNECTION_CLOSED));
        }
        Ok(client)
    }

    /// `close({ skipShutdown })`: graceful shutdown RPC unless skipped, stop the
    /// child, close the client, remove the socket, forget crash state and runs.
    pub async fn close(&self, skip_shutdown: bool) {
        self.closing.store(true, Ordering::SeqCst);
        let client = self.lock().client.take();
        if let Some(client) = &client {
            if !skip_shutdown {
                let _ = client
                    .call("shutdown", Some(serde_json::json!({"mode": "graceful"})))
                    .await;
            }
        }
        if let Some(process) = &self.process {
            // SIGINT is the daemon's graceful stop (SIGTERM would orphan its agents).
            process.stop(libc::SIGINT, Duration::from_secs(2)).await;
            live_daemons::forget(process);
        }
        if let Some(client) = client {
            client.close();
        }
        let _ = std::fs::remove_file(&self.socket);
        self.lock().crash_code = None;
        *self.runs.lock().unwrap_or_else(|p| p.into_inner()) = LocalRuns::default();
    }
}
