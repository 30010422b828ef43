//! The simulated message broker: pending asks between the control plane (the
//! "supervisor") and runtimes, answered by a reply or ended by a cancel.
//! Message ids are `msg_<n>`, counted from 1 per daemon, so tests can rely on them.

use std::sync::Mutex;

use serde_json::{json, Value};
use tokio::sync::{oneshot, watch};

use crate::util::lock;

/// The address of the control plane: asks to it are listed by `broker_receive`,
/// and asks sent over the control socket come from it.
pub const SUPERVISOR: &str = "supervisor";

/// How a pending ask ended.
#[derive(Debug)]
pub enum Outcome {
    Reply { from: String, message: String },
    Cancelled,
}

struct Ask {
    id: String,
    from: String,
    to: String,
    message: String,
    role: String,
    tx: oneshot::Sender<Outcome>,
}

/// An ask taken out of the broker by its addressee, to be answered.
pub struct Taken {
    pub message: String,
    tx: oneshot::Sender<Outcome>,
}

impl Taken {
    pub fn answer(self, from: &str, message: &str) {
        let _ = self.tx.send(Outcome::Reply {
            from: from.to_string(),
            message: message.to_string(),
        });
    }
}

#[derive(Default)]
struct Inner {
    next: u64,
    /// In creation order.
    asks: Vec<Ask>,
}

pub struct Broker {
    inner: Mutex<Inner>,
    /// Bumped whenever an ask is added, so addressees waiting for one wake up.
    added: watch::Sender<u64>,
}

impl Default for Broker {
    fn default() -> Self {
        Broker {
            inner: Mutex::new(Inner::default()),
            added: watch::channel(0).0,
        }
    }
}

fn no_pending(id: &str) -> String {
    format!("no pending ask for message id {id:?}")
}

impl Broker {
    /// Registers an ask; the receiver yields its outcome.
    pub fn ask(
        &self,
        from: &str,
        to: &str,
        message: &str,
        role: &str,
    ) -> (String, oneshot::Receiver<Outcome>) {
        let (tx, rx) = oneshot::channel();
        let id = {
            let mut inner = lock(&self.inner);
            inner.next += 1;
            let id = format!("msg_{}", inner.next);
            inner.asks.push(Ask {
                id: id.clone(),
                from: from.to_string(),
                to: to.to_string(),
                message: message.to_string(),
                role: role.to_string(),
                tx,
            });
            id
        };
        self.added.send_modify(|n| *n += 1);
        (id, rx)
    }

    fn remove(&self, id: &str) -> Option<Ask> {
        let mut inner = lock(&self.inner);
        let i = inner.asks.iter().position(|a| a.id == id)?;
        Some(inner.asks.remove(i))
    }

    /// `broker_reply`: answers ask `reply_to`, which must come from `to_run_id`.
    /// The reply comes from the ask's addressee.
    pub fn reply(&self, to_run_id: &str, reply_to: &str, message: &str) -> Result<(), String> {
        let ask = {
            let mut inner = lock(&self.inner);
            let Some(i) = inner.asks.iter().position(|a| a.id == reply_to) else {
                return Err(no_pending(reply_to));
            };
            if inner.asks[i].from != to_run_id {
                return Err(format!(
                    "ask {reply_to:?} is from {:?}, not {to_run_id:?}",
                    inner.asks[i].from
                ));
            }
            inner.asks.remove(i)
        };
        let _ = ask.tx.send(Outcome::Reply {
            from: ask.to,
            message: message.to_string(),
        });
        Ok(())
    }

    /// `broker_cancel`: ends ask `id` as cancelled.
    pub fn cancel(&self, id: &str) -> Result<(), String> {
        let ask = self.remove(id).ok_or_else(|| no_pending(id))?;
        let _ = ask.tx.send(Outcome::Cancelled);
        Ok(())
    }

    /// Drops an ask whose asker stopped waiting (timeout, aborted turn).
    pub fn withdraw(&self, id: &str) {
        self.remove(id);
    }

    /// The oldest pending ask addressed to `to`, removed for answering.
    pub fn take_for(&self, to: &str) -> Option<Taken> {
        let mut inner = lock(&self.inner);
        let i = inner.asks.iter().position(|a| a.to == to)?;
        let ask = inner.asks.remove(i);
        Some(Taken {
            message: ask.message,
            tx: ask.tx,
        })
    }

    /// `broker_receive` entries for the asks addressed to `to`, oldest first.
    pub fn pending_for(&self, to: &str) -> Vec<Value> {
        lock(&self.inner)
            .asks
            .iter()
            .filter(|a| a.to == to)
            .map(|a| {
                json!({
                    "from_run_id": a.from,
                    "message_id": a.id,
                    "message": a.message,
                    "role": a.role,
                })
            })
            .collect()
    }

    pub fn added(&self) -> watch::Receiver<u64> {
        self.added.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_cancel_and_listing() {
        let b = Broker::default();
        let (id1, mut rx1) = b.ask("rt_1", SUPERVISOR, "which branch?", "agent");
        let (id2, mut rx2) = b.ask(SUPERVISOR, "rt_1", "status?", "agent");
        assert_eq!((id1.as_str(), id2.as_str()), ("msg_1", "msg_2"));
        assert_eq!(
            b.pending_for(SUPERVISOR),
            vec![
                json!({"from_run_id": "rt_1", "message_id": "msg_1", "message": "which branch?", "role": "agent"})
            ]
        );
        assert_eq!(
            b.reply("rt_2", &id1, "main"),
            Err("ask \"msg_1\" is from \"rt_1\", not \"rt_2\"".into())
        );
        assert_eq!(b.reply("rt_1", &id1, "main"), Ok(()));
        match rx1.try_recv() {
            Ok(Outcome::Reply { from, message }) => {
                assert_eq!((from.as_str(), message.as_str()), (SUPERVISOR, "main"))
            }
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(
            b.reply("rt_1", &id1, "again"),
            Err("no pending ask for message id \"msg_1\"".into())
        );
        assert_eq!(b.cancel(&id2), Ok(()));
        assert!(matches!(rx2.try_recv(), Ok(Outcome::Cancelled)));
        assert!(b.pending_for(SUPERVISOR).is_empty());
        assert!(b.cancel("msg_9").is_err());
    }

    #[test]
    fn addressee_takes_the_oldest_ask() {
        let b = Broker::default();
        let (_, mut rx) = b.ask(SUPERVISOR, "rt_3", "hello", "agent");
        assert!(b.take_for("rt_4").is_none());
        let taken = b.take_for("rt_3").expect("ask for rt_3");
        assert_eq!(taken.message, "hello");
        taken.answer("rt_3", "hello back");
        assert!(
            matches!(rx.try_recv(), Ok(Outcome::Reply { ref from, ref message }) if from == "rt_3" && message == "hello back")
        );
    }
}
