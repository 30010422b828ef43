//! One `events(opts)` iterator: subscribes once (on its first `next`), then takes
//! events from the connection's shared queue, competing with other iterators.

use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;

use super::{ControlClient, EventItem, Take, CLOSED};
use crate::error::{CoreError, CoreResult};

pub struct EventStream {
    client: ControlClient,
    id: u64,
    opts: Option<Value>,
    subscribe_started: AtomicBool,
    finished: AtomicBool,
}

/// What `next()` can answer without waiting.
pub enum NextStep {
    Item(EventItem),
    Done,
    /// Needs the async path (subscribe first, or wait for an event).
    Wait,
}

impl EventStream {
    pub(super) fn new(client: ControlClient, id: u64, opts: Option<Value>) -> Self {
        EventStream {
            client,
            id,
            opts,
            subscribe_started: AtomicBool::new(false),
            finished: AtomicBool::new(false),
        }
    }

    /// The synchronous fast path: a queued event or the end, when known now.
    pub fn try_next(&self) -> NextStep {
        if self.finished.load(Ordering::SeqCst) {
            return NextStep::Done;
        }
        if !self.subscribe_started.load(Ordering::SeqCst) {
            return NextStep::Wait;
        }
        match self.client.shared.events.try_take() {
            Some(event) => NextStep::Item(event),
            None if self.client.shared.events.is_ended() => {
                self.finished.store(true, Ordering::SeqCst);
                NextStep::Done
            }
            None => NextStep::Wait,
        }
    }

    /// The next event, or `None` when stopped or the connection ended. A failed
    /// subscribe rejects this call and finishes the iterator, and so does a first
    /// call after `close()`: like any call on a closed client, even when the
    /// connection had subscribed already (then no subscribe would be sent).
    pub async fn next(&self) -> CoreResult<Option<EventItem>> {
        if self.finished.load(Ordering::SeqCst) {
            return Ok(None);
        }
        if !self.subscribe_started.swap(true, Ordering::SeqCst) {
            if self.client.close_called() {
                self.finished.store(true, Ordering::SeqCst);
                return Err(CoreError::plain(CLOSED));
            }
            if let Err(e) = self.client.subscribe(self.opts.as_ref()).await {
                self.finished.store(true, Ordering::SeqCst);
                return Err(e);
            }
        }
        if self.finished.load(Ordering::SeqCst) {
            return Ok(None);
        }
        let event = match self.client.take_event(self.id) {
            Take::Event(event) => Some(event),
            Take::Ended => None,
            Take::Wait(ticket) => ticket.0.await.ok().flatten(),
        };
        if event.is_none() {
            self.finished.store(true, Ordering::SeqCst);
        }
        Ok(event)
    }

    /// Stops the iterator and ends its waiting `next()` calls.
    pub fn stop(&self) {
        self.finished.store(true, Ordering::SeqCst);
        self.client.release_iterator(self.id);
    }
}
