//! One connection's state as the method handlers see it: its id (for ownership, §2.1),
//! its writer and its subscriptions. The read loop that owns it is `conn`, above the
//! method table; this part sits below the handlers so they need not name their caller.

use std::sync::{Arc, Mutex};

use crate::subscription::{Hub, Subscription};
use crate::util::lock;
use crate::writer::ConnWriter;

pub struct Conn {
    pub id: u64,
    pub writer: ConnWriter,
    subs: Mutex<Vec<Arc<Subscription>>>,
}

impl Conn {
    pub fn new(id: u64, writer: ConnWriter) -> Conn {
        Conn {
            id,
            writer,
            subs: Mutex::new(Vec::new()),
        }
    }

    pub fn add_subscription(&self, sub: Arc<Subscription>) {
        lock(&self.subs).push(sub);
    }

    /// Subscriptions end with the connection (§1.5).
    pub fn drop_subscriptions(&self, hub: &Hub) {
        for sub in lock(&self.subs).drain(..) {
            hub.remove(&sub);
        }
    }
}
