//! The process-wide supervisor (core-spec §5.2): one instance, concurrent cold
//! starts coalesce, a failed start does not poison the next call, a crashed or
//! disconnected instance is replaced.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use super::instance::Supervisor;
use super::startup::{start, StartOptions};
use crate::error::{CoreError, CoreResult};

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
        if let Some(inst) = &s.instance {
            if !inst.is_crashed() && inst.client_is_open() {
                return Ok(inst.clone());
            }
            if !inst.is_crashed() {
                inst.mark_crashed(0);
            }
            previous_process = inst.process().cloned();
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

/// `Supervisor.currentInstance()`.
pub fn current() -> Option<Arc<Supervisor>> {
    lock().instance.clone()
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
    let mut s = lock();
    if s.instance.as_ref().is_some_and(|i| Arc::ptr_eq(i, sup)) {
        s.instance = None;
    }
}
