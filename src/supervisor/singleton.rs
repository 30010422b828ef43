//! The process-wide supervisor (core-spec §5.2): one instance, concurrent cold
//! starts coalesce, a failed start does not poison the next call, a crashed or
//! disconnected instance is replaced.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use super::instance::Supervisor;
use super::startup::{start, StartOptions};
use crate::error::{CoreError, CoreResult};
use crate::runs::lost;

/// How long a replaced daemon child gets to report its exit, for the message.
const EXIT_REPORT_WAIT: Duration = Duration::from_secs(1);

type StartOutcome = Option<Result<Arc<Supervisor>, CoreError>>;

#[derive(Default)]
struct Singleton {
    instance: Option<Arc<Supervisor>>,
    starting: Option<watch::Receiver<StartOutcome>>,
}

static SINGLETON: Mutex<Singleton> = Mutex::new(Singleton {
    instance: None,
    starting: None,
});

fn lock() -> std::sync::MutexGuard<'static, Singleton> {
    SINGLETON.lock().unwrap_or_else(|p| p.into_inner())
}

pub struct GetOptions {
    pub binary_path: Option<std::path::PathBuf>,
    pub call_timeout: Duration,
}

/// `Supervisor.get(opts)`.
pub async fn get(opts: GetOptions) -> CoreResult<Arc<Supervisor>> {
    let mut outcome = {
        let mut s = lock();
        let mut previous_process = None;
        let mut previous = None;
        if let Some(inst) = &s.instance {
            if is_ready(inst) {
                return Ok(inst.clone());
            }
            if !inst.is_crashed() {
                inst.mark_crashed(0);
            }
            previous_process = inst.process().cloned();
            previous = Some(inst.clone());
        }
        match &s.starting {
            Some(rx) => rx.clone(),
            None => {
                let (tx, rx) = watch::channel(None);
                s.starting = Some(rx.clone());
                let start_opts = StartOptions {
                    binary_path: opts.binary_path,
                    call_timeout: opts.call_timeout,
                    previous_process,
                };
                tokio::spawn(async move {
                    let result = start(start_opts).await.map(Supervisor::new);
                    if let (Some(previous), Ok(next)) = (&previous, &result) {
                        hand_over_runs(previous, next).await;
                    }
                    {
                        let mut s = lock();
                        s.starting = None;
                        if let Ok(sup) = &result {
                            s.instance = Some(sup.clone());
                        }
                    }
                    let _ = tx.send(Some(result));
                });
                rx
            }
        }
    };
    let settled = outcome
        .wait_for(Option::is_some)
        .await
        .map_err(|_| CoreError::plain("supervisor start was abandoned"))?;
    settled.clone().expect("waited for Some")
}

/// What the replaced supervisor knew about its runs: kept when the new one is
/// attached to the same daemon (only the connection was lost), else recorded
/// as lost with what became of the old daemon.
async fn hand_over_runs(previous: &Arc<Supervisor>, next: &Arc<Supervisor>) {
    let runs = previous.take_runs();
    let same_daemon = match (previous.process(), next.process()) {
        (Some(old), Some(new)) => Arc::ptr_eq(old, new),
        (None, None) => true,
        _ => false,
    };
    if same_daemon {
        next.adopt_runs(runs);
        return;
    }
    let error = match previous.process() {
        Some(old) => match tokio::time::timeout(EXIT_REPORT_WAIT, old.exited()).await {
            Ok(info) => lost::crash_message(&info),
            Err(_) => lost::VANISHED.to_string(),
        },
        None => lost::VANISHED.to_string(),
    };
    lost::record(runs.into_all(), &error);
}

/// `Supervisor.currentInstance()`.
pub fn current() -> Option<Arc<Supervisor>> {
    lock().instance.clone()
}

/// The instance `get()` would return at once, without starting anything.
pub fn ready() -> Option<Arc<Supervisor>> {
    current().filter(|inst| is_ready(inst))
}

/// Neither crashed nor disconnected: `get()` keeps it.
fn is_ready(inst: &Supervisor) -> bool {
    !inst.is_crashed() && inst.client_is_open()
}

/// `Supervisor.isCurrentInstance(id)`: exact string comparison.
pub fn is_current(id: &str) -> bool {
    lock()
        .instance
        .as_ref()
        .is_some_and(|s| s.supervisor_id() == id)
}

/// Closes `sup` and clears the singleton if it is still `sup`.
pub async fn close(sup: &Arc<Supervisor>, skip_shutdown: bool) {
    sup.close(skip_shutdown).await;
    lost::forget_all();
    let mut s = lock();
    if s.instance.as_ref().is_some_and(|i| Arc::ptr_eq(i, sup)) {
        s.instance = None;
    }
}
