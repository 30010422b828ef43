//! Supervisor-wide state (`Sup`): runtimes, ownership, connection count, admission and
//! shutdown. It sits below every method handler and names none of them.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, watch, Notify};

use crate::broker::Broker;
use crate::cli::Config;
use crate::rpc::RpcError;
use crate::runtime::Runtime;
use crate::subscription::Hub;
use crate::util::{self, lock, XorShift};
use crate::workflow::{Controllers, Workflows};

pub struct Sup {
    pub cfg: Config,
    /// 16 hex chars, fixed for the process (`run_id`, sentinel `RUN=`).
    pub run_id: Arc<str>,
    pub identity_token: String,
    pub started_at: u64,
    pub hub: Arc<Hub>,
    pub broker: Arc<Broker>,
    pub workflows: Workflows,
    pub controllers: Controllers,
    runtimes: Mutex<BTreeMap<u64, Arc<Runtime>>>,
    next_rt: AtomicU64,
    owner: Mutex<Option<u64>>,
    next_conn: AtomicU64,
    conns: watch::Sender<usize>,
    shutting_down: AtomicBool,
    /// Wakes the idle timer (the only wake-up source besides shutdown, §5.2).
    pub spawned: Notify,
    exit_tx: mpsc::UnboundedSender<&'static str>,
    rng: Mutex<XorShift>,
}

impl Sup {
    pub fn new(
        cfg: Config,
        identity_token: String,
        exit_tx: mpsc::UnboundedSender<&'static str>,
    ) -> Sup {
        Sup {
            cfg,
            run_id: format!("{:016x}", util::random_u64()).into(),
            identity_token,
            started_at: util::now_ms(),
            hub: Arc::new(Hub::default()),
            broker: Arc::new(Broker::default()),
            workflows: Workflows::default(),
            controllers: Controllers::default(),
            runtimes: Mutex::new(BTreeMap::new()),
            next_rt: AtomicU64::new(0),
            owner: Mutex::new(None),
            next_conn: AtomicU64::new(0),
            conns: watch::channel(0).0,
            shutting_down: AtomicBool::new(false),
            spawned: Notify::new(),
            exit_tx,
            rng: Mutex::new(XorShift::new(util::random_u64())),
        }
    }

    /// Ownership (§2.1): the first mutating caller owns the socket until it disconnects.
    pub fn claim_owner(&self, conn: u64) -> Result<(), RpcError> {
        let mut owner = lock(&self.owner);
        match *owner {
            Some(o) if o != conn => Err(RpcError::denied()),
            _ => {
                *owner = Some(conn);
                Ok(())
            }
        }
    }

    pub fn conn_opened(&self) -> u64 {
        self.conns.send_modify(|n| *n += 1);
        self.next_conn.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Disconnect: release ownership; the count drop lets reserved permission requests
    /// fall back to the file handler when it reaches zero.
    pub fn conn_closed(&self, conn: u64) {
        {
            let mut owner = lock(&self.owner);
            if *owner == Some(conn) {
                *owner = None;
            }
        }
        self.conns.send_modify(|n| *n = n.saturating_sub(1));
    }

    pub fn conn_watch(&self) -> watch::Receiver<usize> {
        self.conns.subscribe()
    }

    /// Looks up `rt_<n>`.
    pub fn runtime(&self, id: &str) -> Option<Arc<Runtime>> {
        let n: u64 = id.strip_prefix("rt_")?.parse().ok()?;
        let rt = lock(&self.runtimes).get(&n).cloned()?;
        (rt.id == id).then_some(rt)
    }

    pub fn all_runtimes(&self) -> Vec<Arc<Runtime>> {
        lock(&self.runtimes).values().cloned().collect()
    }

    /// Runtimes in a deliberately random order (Go map iteration), so clients that
    /// depend on order fail in tests.
    pub fn shuffled_runtimes(&self) -> Vec<Arc<Runtime>> {
        let mut v = self.all_runtimes();
        lock(&self.rng).shuffle(&mut v);
        v
    }

    pub fn active_count(&self) -> usize {
        lock(&self.runtimes)
            .values()
            .filter(|r| r.is_active())
            .count()
    }

    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }

    /// Admission + number reservation. The number is consumed even if the spawn then
    /// fails (§2.3).
    pub fn reserve_runtime_number(&self) -> Result<u64, RpcError> {
        let map = lock(&self.runtimes);
        if self.is_shutting_down() {
            return Err(RpcError::handler("supervisor is shutting down"));
        }
        let active = map.values().filter(|r| r.is_active()).count() as i64;
        let limit = self.cfg.max_runtimes;
        if limit > 0 && active >= limit {
            return Err(RpcError::new(
                crate::rpc::ADMISSION,
                format!("max runtimes ({limit}) reached"),
            )
            .with_data(serde_json::json!({
                "source": "local",
                "retryable": true,
                "limit": limit,
                "active": active,
            })));
        }
        Ok(self.next_rt.fetch_add(1, Ordering::SeqCst) + 1)
    }

    /// Registers a started runtime; fails if shutdown began meanwhile.
    pub fn insert_runtime(&self, rt: Arc<Runtime>) -> Result<(), RpcError> {
        let mut map = lock(&self.runtimes);
        if self.is_shutting_down() {
            return Err(RpcError::handler("supervisor is shutting down"));
        }
        map.insert(rt.n, rt);
        Ok(())
    }

    /// Closes admission, cancels every runtime and waits for them: up to
    /// `--shutdown-timeout` for graceful (0 = no limit), without limit for kill.
    pub async fn shutdown(&self, kill: bool) {
        let rts = {
            let map = lock(&self.runtimes);
            self.shutting_down.store(true, Ordering::SeqCst);
            map.values().cloned().collect::<Vec<_>>()
        };
        for rt in &rts {
            rt.cancel();
        }
        let wait_all = async {
            for rt in &rts {
                let mut rx = rt.ended.subscribe();
                let _ = rx.wait_for(|e| *e).await;
            }
        };
        let limit = self.cfg.shutdown_timeout;
        if kill || limit.is_zero() {
            wait_all.await;
        } else {
            let _ = tokio::time::timeout(limit, wait_all).await;
        }
        self.hub.drain(std::time::Duration::from_millis(500)).await;
    }

    /// Asks `main` to tear down and exit with this tombstone reason.
    pub fn request_exit(&self, reason: &'static str) {
        let _ = self.exit_tx.send(reason);
    }

    /// Flushes every event log before the process exits.
    pub fn flush_all(&self) {
        for rt in self.all_runtimes() {
            rt.events.flush();
        }
    }
}
