//! `subscribe` delivery (§2.11, §4.4): each subscription owns a 256-deep queue that drops
//! its OLDEST event when full and announces the loss with one `subscriber.lagged`
//! notification before the next event; a writer task drains it onto the connection.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use serde_json::json;
use tokio::sync::Notify;

use crate::published::Published;
use crate::rpc;
use crate::util::{self, lock};
use crate::writer::ConnWriter;

pub const QUEUE_CAP: usize = 256;
/// Events written per syscall at most; batching keeps 100k-event streams cheap while each
/// batch is still whole lines written under the connection lock.
const BATCH: usize = 128;

pub struct Subscription {
    filter: Option<String>,
    st: Mutex<SubState>,
    notify: Notify,
}

struct SubState {
    queue: VecDeque<Arc<Published>>,
    dropped: u64,
    /// Highest seq delivered for the filtered runtime (replay/live de-duplication).
    last_seq: u64,
    closed: bool,
    /// A taken batch is still being written (see `Hub::drain`).
    writing: bool,
}

impl Subscription {
    pub fn new(filter: Option<String>, replay: Vec<Arc<Published>>) -> Arc<Subscription> {
        let last_seq = replay.last().map(|e| e.seq).unwrap_or(0);
        let sub = Arc::new(Subscription {
            filter,
            st: Mutex::new(SubState {
                queue: replay.into(),
                dropped: 0,
                last_seq,
                closed: false,
                writing: false,
            }),
            notify: Notify::new(),
        });
        sub.notify.notify_one();
        sub
    }

    fn offer(&self, ev: &Arc<Published>) {
        if let Some(f) = &self.filter {
            if **f != *ev.runtime_id {
                return;
            }
        }
        {
            let mut st = lock(&self.st);
            if st.closed {
                return;
            }
            if self.filter.is_some() {
                if ev.seq <= st.last_seq {
                    return;
                }
                st.last_seq = ev.seq;
            }
            if st.queue.len() >= QUEUE_CAP {
                st.queue.pop_front();
                st.dropped += 1;
            }
            st.queue.push_back(ev.clone());
        }
        self.notify.notify_one();
    }

    fn is_drained(&self) -> bool {
        let st = lock(&self.st);
        st.closed || (st.queue.is_empty() && !st.writing)
    }

    pub fn close(&self) {
        lock(&self.st).closed = true;
        self.notify.notify_one();
    }

    /// Drains the queue onto the connection until the subscription is closed or a
    /// write fails (the peer went away).
    pub fn spawn_writer(self: &Arc<Self>, writer: ConnWriter) {
        let sub = self.clone();
        tokio::spawn(async move {
            let mut buf = String::new();
            loop {
                sub.notify.notified().await;
                loop {
                    buf.clear();
                    {
                        let mut st = lock(&sub.st);
                        if st.closed {
                            return;
                        }
                        if st.queue.is_empty() {
                            st.writing = false;
                            break;
                        }
                        st.writing = true;
                        if st.dropped > 0 {
                            let lagged = json!({
                                "event": "subscriber.lagged",
                                "dropped_count": st.dropped,
                                "ts": util::now_ms(),
                            });
                            buf.push_str(&rpc::notification_line(&lagged.to_string()));
                            st.dropped = 0;
                        }
                        for _ in 0..BATCH {
                            match st.queue.pop_front() {
                                Some(ev) => buf.push_str(&ev.line),
                                None => break,
                            }
                        }
                    }
                    if writer.write(buf.as_bytes()).await.is_err() {
                        sub.close();
                        return;
                    }
                }
            }
        });
    }
}

/// All live subscriptions of the daemon.
#[derive(Default)]
pub struct Hub {
    subs: Mutex<Vec<Arc<Subscription>>>,
    /// Most recent event of any runtime, for the unscoped `status`.
    last: Mutex<Option<Arc<Published>>>,
}

impl Hub {
    pub fn add(&self, sub: Arc<Subscription>) {
        lock(&self.subs).push(sub);
    }

    pub fn remove(&self, sub: &Arc<Subscription>) {
        sub.close();
        lock(&self.subs).retain(|s| !Arc::ptr_eq(s, sub));
    }

    pub fn deliver(&self, ev: &Arc<Published>) {
        *lock(&self.last) = Some(ev.clone());
        for sub in lock(&self.subs).iter() {
            sub.offer(ev);
        }
    }

    /// Waits (bounded) until every subscriber has written what it has queued, so the
    /// events of a shutdown reach clients before the reply and the process exit.
    pub async fn drain(&self, limit: std::time::Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        while tokio::time::Instant::now() < deadline {
            let subs: Vec<_> = lock(&self.subs).clone();
            if subs.iter().all(|s| s.is_drained()) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }

    pub fn last_event(&self) -> Option<Arc<Published>> {
        lock(&self.last).clone()
    }
}
