//! One `events(opts)` iterator: subscribes once (on its first `next`), then takes
//! events from the connection's shared queue, competing with other iterators.

use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;

use super::{ControlClient, EventItem, Take, WaitTicket, CLOSED};
use crate::error::{CoreError, CoreResult};

pub struct EventStream {
    client: ControlClient,
    id: u64,
    opts: Option<Value>,
    subscribe_started: AtomicBool,
    finished: AtomicBool,
}

/// What `next()` can do on the calling thread.
pub enum NextStep {
    Item(EventItem),
    Done,
    /// Subscribed, nothing queued: this call's place among the waiting
    /// readers, taken now, so calls made together get events in the order
    /// they were made (`wait`).
    Wait(WaitTicket),
    /// Not subscribed yet: the async path (`next`).
    Start,
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

    /// The synchronous path: a queued event, the end, or a place in line.
    pub fn try_next(&self) -> NextStep {
        if self.finished.load(Ordering::SeqCst) {
            return NextStep::Done;
        }
        if !self.subscribe_started.load(Ordering::SeqCst) {
            return NextStep::Start;
        }
        match self.client.take_event(self.id) {
            Take::Event(event) => NextStep::Item(event),
            Take::Ended => {
                self.finished.store(true, Ordering::SeqCst);
                NextStep::Done
            }
            Take::Wait(ticket) => NextStep::Wait(ticket),
        }
    }

    /// The event a place in line (`NextStep::Wait`) gets, or `None` when
    /// the iterator stopped or the connection ended.
    pub async fn wait(&self, ticket: WaitTicket) -> Option<EventItem> {
        let event = ticket.0.await.ok().flatten();
        if event.is_none() {
            self.finished.store(true, Ordering::SeqCst);
        }
        event
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
        // Subscribed (or finished) now: the synchronous path decides.
        Ok(match self.try_next() {
            NextStep::Item(event) => Some(event),
            NextStep::Wait(ticket) => self.wait(ticket).await,
            NextStep::Done | NextStep::Start => None,
        })
    }

    /// Stops the iterator and ends its waiting `next()` calls.
    pub fn stop(&self) {
        self.finished.store(true, Ordering::SeqCst);
        self.client.release_iterator(self.id);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::net::UnixListener;

    use super::*;

    fn event(n: u64) -> String {
        format!("{{\"jsonrpc\":\"2.0\",\"method\":\"event\",\"params\":{{\"event\":\"e\",\"n\":{n}}}}}\n")
    }

    fn n_of(item: Option<EventItem>) -> u64 {
        item.expect("an event").to_value()["n"].as_u64().expect("n")
    }

    #[tokio::test]
    async fn next_calls_made_together_get_events_in_the_order_they_were_made() {
        let path =
            std::env::temp_dir().join(format!("avenor-stream-order-{}.sock", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path).unwrap();
        let (send_events, mut events_wanted) = tokio::sync::mpsc::unbounded_channel::<String>();
        let daemon = tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            let (read, mut write) = socket.into_split();
            let mut lines = BufReader::new(read).lines();
            let request: Value =
                serde_json::from_str(&lines.next_line().await.unwrap().unwrap()).unwrap();
            let reply = format!(
                "{{\"jsonrpc\":\"2.0\",\"id\":{},\"result\":{{\"subscribed\":true}}}}\n",
                request["id"]
            );
            write.write_all(reply.as_bytes()).await.unwrap();
            while let Some(text) = events_wanted.recv().await {
                write.write_all(text.as_bytes()).await.unwrap();
            }
        });
        let client = super::super::dial(path.to_str().unwrap(), Duration::from_secs(5))
            .await
            .unwrap();
        let stream = client.events(None);
        send_events.send(event(0)).unwrap();
        assert_eq!(n_of(stream.next().await.unwrap()), 0);
        // Three calls with nothing queued: each takes its place now.
        let places: Vec<WaitTicket> = (0..3)
            .map(|_| match stream.try_next() {
                NextStep::Wait(ticket) => ticket,
                _ => panic!("expected a place in line"),
            })
            .collect();
        send_events.send([1, 2, 3].map(event).concat()).unwrap();
        // Awaited last to first: the order of the calls decides, not of the waits.
        let mut got = Vec::new();
        for ticket in places.into_iter().rev() {
            got.push(n_of(stream.wait(ticket).await));
        }
        assert_eq!(got, [3, 2, 1]);
        drop(send_events);
        client.close();
        daemon.await.unwrap();
        let _ = std::fs::remove_file(&path);
    }
}
