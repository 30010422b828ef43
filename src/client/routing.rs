//! Routes replies to the calls waiting for them, by id, so replies may arrive in
//! any order. Once the connection has ended, every waiting call is failed and no
//! new call can register.

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::Value;
use tokio::sync::oneshot;

use crate::error::CoreError;

pub type Reply = Result<Option<Value>, CoreError>;

#[derive(Default)]
pub struct PendingCalls {
    state: Mutex<PendingState>,
}

#[derive(Default)]
struct PendingState {
    waiting: HashMap<u64, oneshot::Sender<Reply>>,
    ended: Option<CoreError>,
}

impl PendingCalls {
    /// Registers call `id`; fails with the end error once the connection ended.
    pub fn register(&self, id: u64) -> Result<oneshot::Receiver<Reply>, CoreError> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(err) = &state.ended {
            return Err(err.clone());
        }
        let (tx, rx) = oneshot::channel();
        state.waiting.insert(id, tx);
        Ok(rx)
    }

    /// Delivers a reply; unknown or late ids are ignored.
    pub fn resolve(&self, id: u64, reply: Reply) {
        let sender = self
            .state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .waiting
            .remove(&id);
        if let Some(tx) = sender {
            let _ = tx.send(reply);
        }
    }

    /// Forgets a call that timed out or failed to send.
    pub fn forget(&self, id: u64) {
        self.state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .waiting
            .remove(&id);
    }

    /// Fails every waiting call and all later registrations with `err`.
    pub fn end(&self, err: CoreError) {
        let drained: Vec<_> = {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            if state.ended.is_none() {
                state.ended = Some(err.clone());
            }
            state.waiting.drain().map(|(_, tx)| tx).collect()
        };
        for tx in drained {
            let _ = tx.send(Err(err.clone()));
        }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.state.lock().unwrap().waiting.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn out_of_order_replies_reach_their_callers() {
        let pending = PendingCalls::default();
        let a = pending.register(1).unwrap();
        let b = pending.register(2).unwrap();
        pending.resolve(2, Ok(Some(json!("b"))));
        pending.resolve(99, Ok(None));
        pending.resolve(1, Ok(Some(json!("a"))));
        assert_eq!(a.await.unwrap().unwrap(), Some(json!("a")));
        assert_eq!(b.await.unwrap().unwrap(), Some(json!("b")));
        assert_eq!(pending.len(), 0);
    }

    #[tokio::test]
    async fn end_fails_waiting_and_later_calls() {
        let pending = PendingCalls::default();
        let a = pending.register(1).unwrap();
        pending.end(CoreError::plain("read response: connection closed"));
        assert_eq!(
            a.await.unwrap().unwrap_err().to_string(),
            "read response: connection closed"
        );
        assert!(pending.register(2).is_err());
    }
}
