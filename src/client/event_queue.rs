//! The client's single bounded event queue (capacity 256). An arriving event goes
//! to the oldest waiting reader first, else into the queue; when the queue is full
//! it is dropped and counted, and the next delivered event is preceded by one
//! `{event: "client.lagged", dropped_count}`.
//!
//! Choice beyond the original: when the connection ends, events already queued are
//! still handed out before readers see the end, so nothing received is lost.

use std::collections::VecDeque;
use std::sync::Mutex;

use serde_json::value::RawValue;
use serde_json::{json, Value};
use tokio::sync::oneshot;

pub const EVENT_QUEUE_CAPACITY: usize = 256;

/// An event as the queue holds it: the daemon's params as raw JSON text (made a
/// JS object by `JSON.parse` on the JS thread, which is quicker than building it
/// member by member through Node-API), or an event the client made itself.
#[derive(Debug, Clone)]
pub enum EventItem {
    Raw(Box<RawValue>),
    Built(Value),
}

impl EventItem {
    pub fn to_value(&self) -> Value {
        match self {
            EventItem::Raw(raw) => serde_json::from_str(raw.get()).unwrap_or(Value::Null),
            EventItem::Built(v) => v.clone(),
        }
    }
}

impl PartialEq for EventItem {
    fn eq(&self, other: &Self) -> bool {
        self.to_value() == other.to_value()
    }
}

/// What a reader gets without waiting.
#[derive(Debug, PartialEq)]
pub enum Take {
    Event(EventItem),
    Ended,
    /// Nothing queued: wait on this receiver (`None` = ended or cancelled).
    Wait(WaitTicket),
}

#[derive(Debug)]
pub struct WaitTicket(pub oneshot::Receiver<Option<EventItem>>);

impl PartialEq for WaitTicket {
    fn eq(&self, _: &Self) -> bool {
        false
    }
}

#[derive(Default)]
pub struct EventQueue {
    state: Mutex<QueueState>,
}

#[derive(Default)]
struct QueueState {
    items: VecDeque<EventItem>,
    dropped: u64,
    /// Waiting readers, oldest first, tagged with their iterator id.
    waiters: VecDeque<(u64, oneshot::Sender<Option<EventItem>>)>,
    ended: bool,
}

impl QueueState {
    /// Hands `event` to the oldest live waiter, or queues it; false when full.
    fn deliver(&mut self, mut event: EventItem) -> bool {
        while let Some((_, tx)) = self.waiters.pop_front() {
            match tx.send(Some(event)) {
                Ok(()) => return true,
                Err(Some(back)) => event = back,
                Err(None) => return true,
            }
        }
        if self.items.len() < EVENT_QUEUE_CAPACITY {
            self.items.push_back(event);
            true
        } else {
            false
        }
    }

    fn has_room(&self) -> bool {
        !self.waiters.is_empty() || self.items.len() < EVENT_QUEUE_CAPACITY
    }
}

impl EventQueue {
    fn lock(&self) -> std::sync::MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds one event from the daemon (or a pseudo-event of the client).
    pub fn push(&self, event: EventItem) {
        let mut state = self.lock();
        if state.ended {
            return;
        }
        // The lag notice goes out only when it has room, so its count is never lost.
        if state.dropped > 0 && state.has_room() {
            let lagged = json!({"event": "client.lagged", "dropped_count": state.dropped});
            state.dropped = 0;
            state.deliver(EventItem::Built(lagged));
        }
        if !state.deliver(event) {
            state.dropped += 1;
        }
    }

    /// Takes a queued event, or reports the end, or registers reader `iterator`.
    pub fn take(&self, iterator: u64) -> Take {
        let mut state = self.lock();
        if let Some(event) = state.items.pop_front() {
            return Take::Event(event);
        }
        if state.ended {
            return Take::Ended;
        }
        let (tx, rx) = oneshot::channel();
        state.waiters.push_back((iterator, tx));
        Take::Wait(WaitTicket(rx))
    }

    /// Takes a queued event without waiting.
    pub fn try_take(&self) -> Option<EventItem> {
        self.lock().items.pop_front()
    }

    /// Releases the waiting readers of one iterator (its `return()`).
    pub fn release(&self, iterator: u64) {
        let mut state = self.lock();
        let (mine, others): (VecDeque<_>, VecDeque<_>) =
            state.waiters.drain(..).partition(|(id, _)| *id == iterator);
        state.waiters = others;
        drop(state);
        for (_, tx) in mine {
            let _ = tx.send(None);
        }
    }

    /// The connection ended: waiting readers finish; queued events stay readable.
    pub fn end(&self) {
        let waiters: Vec<_> = {
            let mut state = self.lock();
            state.ended = true;
            state.waiters.drain(..).collect()
        };
        for (_, tx) in waiters {
            let _ = tx.send(None);
        }
    }

    pub fn is_ended(&self) -> bool {
        self.lock().ended
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().items.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(name: &str) -> EventItem {
        EventItem::Built(json!({ "event": name }))
    }

    fn take_value(q: &EventQueue) -> Option<Value> {
        q.try_take().map(|e| e.to_value())
    }

    #[test]
    fn overflow_is_reported_before_the_next_event() {
        let q = EventQueue::default();
        for i in 0..257 {
            q.push(ev(&format!("e{i}")));
        }
        assert_eq!(q.len(), 256);
        for i in 0..256 {
            assert_eq!(take_value(&q), Some(json!({"event": format!("e{i}")})));
        }
        q.push(ev("trigger"));
        assert_eq!(
            take_value(&q),
            Some(json!({"event": "client.lagged", "dropped_count": 1}))
        );
        assert_eq!(take_value(&q), Some(json!({"event": "trigger"})));
        assert_eq!(take_value(&q), None);
    }

    #[test]
    fn a_full_queue_keeps_counting_until_there_is_room() {
        let q = EventQueue::default();
        for _ in 0..260 {
            q.push(ev("x"));
        }
        q.try_take();
        q.push(ev("y"));
        // One slot: the notice takes it, and "y" is counted as dropped too.
        let mut last = None;
        while let Some(e) = take_value(&q) {
            last = Some(e);
        }
        assert_eq!(
            last,
            Some(json!({"event": "client.lagged", "dropped_count": 4}))
        );
        q.push(ev("z"));
        assert_eq!(
            take_value(&q),
            Some(json!({"event": "client.lagged", "dropped_count": 1}))
        );
    }

    #[tokio::test]
    async fn oldest_waiter_first_and_release_and_end() {
        let q = EventQueue::default();
        let Take::Wait(a) = q.take(1) else { panic!() };
        let Take::Wait(b) = q.take(2) else { panic!() };
        let Take::Wait(c) = q.take(2) else { panic!() };
        q.push(ev("first"));
        assert_eq!(a.0.await.unwrap(), Some(ev("first")));
        q.release(2);
        assert_eq!(b.0.await.unwrap(), None);
        assert_eq!(c.0.await.unwrap(), None);
        q.push(ev("kept"));
        q.end();
        assert_eq!(q.take(3), Take::Event(ev("kept")));
        assert_eq!(q.take(3), Take::Ended);
        q.push(ev("late"));
        assert_eq!(q.take(3), Take::Ended);
    }
}
