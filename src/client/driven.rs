//! A connection driven by its owner instead of a reader task: the owner hands
//! it the bytes the socket delivered (`feed`), and it routes the replies to the
//! waiters registered by `start_call`, queues the events, and tells which calls
//! ran out of time. No thread and no Tokio task reads it, so the owner can be
//! the host's event loop: one wake per socket read, as a plain-JS client has.
//! Requests are written as by `ControlClient` (in call order, at once when the
//! socket takes them). What a waiter is (a JS promise, say) is the owner's.

use std::collections::BTreeMap;
use std::os::fd::{OwnedFd, RawFd};
use std::time::{Duration, Instant};

use serde_json::value::RawValue;
use serde_json::Value;

use super::direct_write::DirectWriter;
use super::event_queue::{EventItem, EventQueue};
use super::framing::{classify_text, encode_request, oversized_request, RawIncoming};
use super::line_splitter::LineSplitter;
use super::subscription::{SubscribeStep, Subscription};
use super::{write_failed_error, CLOSED, CONNECTION_CLOSED, MAX_REQUEST_LINE, TIMEOUT};
use crate::error::{CoreError, CoreResult};

/// A reply's outcome with its `result` as JSON text (`None`: no `result`).
pub type RawReply = Result<Option<Box<RawValue>>, CoreError>;

pub struct DrivenConnection<W> {
    writes: DirectWriter,
    /// The socket's descriptor, owned by `writes`; used to shut it down.
    fd: RawFd,
    splitter: LineSplitter,
    /// Calls in flight by id. Every call has the same timeout, so id order is
    /// deadline order: the first entry is always the next to expire.
    pending: BTreeMap<u64, (Instant, W)>,
    next_id: u64,
    events: EventQueue,
    subscription: Subscription,
    /// No more calls: closed by the caller, or the connection ended.
    closed: bool,
    /// `close()` was called (not merely the connection lost).
    close_called: bool,
    call_timeout: Duration,
}

impl<W> DrivenConnection<W> {
    /// Writes to `fd`, a connected socket (reading it is the owner's). Call
    /// within a Tokio runtime: a request the socket cannot take at once is
    /// finished by a writer task on it.
    pub fn new(fd: OwnedFd, call_timeout: Duration) -> std::io::Result<Self> {
        let writes = DirectWriter::new(fd)?;
        Ok(DrivenConnection {
            fd: writes.raw_fd(),
            writes,
            splitter: LineSplitter::default(),
            pending: BTreeMap::new(),
            next_id: 1,
            events: EventQueue::default(),
            subscription: Subscription::default(),
            closed: false,
            close_called: false,
            call_timeout,
        })
    }

    /// Sends a request and registers `waiter` for its reply. On failure the
    /// waiter is handed back with the error and nothing is registered.
    pub fn start_call(
        &mut self,
        method: &str,
        params: Option<&Value>,
        waiter: W,
    ) -> Result<(), (CoreError, W)> {
        if self.closed {
            return Err((CoreError::plain(CLOSED), waiter));
        }
        let id = self.next_id;
        self.next_id += 1;
        let line = encode_request(id, method, params);
        if line.len() > MAX_REQUEST_LINE {
            return Err((
                CoreError::plain(oversized_request(method, line.len())),
                waiter,
            ));
        }
        if let Err(e) = self.writes.send(line) {
            self.closed = true;
            return Err((write_failed_error(&e), waiter));
        }
        let deadline = Instant::now() + self.call_timeout;
        self.pending.insert(id, (deadline, waiter));
        Ok(())
    }

    /// Takes one chunk of what the socket delivered: events are queued, and the
    /// calls whose replies it completes are returned with them, in order.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<(W, RawReply)> {
        self.feed_until_full(chunk, false).0
    }

    /// As `feed`, but with `stop_when_full` it stops after the event that fills
    /// the event queue, so the owner can let readers drain it before feeding
    /// the rest (the second value: how many bytes were taken).
    pub fn feed_until_full(
        &mut self,
        chunk: &[u8],
        stop_when_full: bool,
    ) -> (Vec<(W, RawReply)>, usize) {
        let mut replies = Vec::new();
        let pending = &mut self.pending;
        let events = &self.events;
        let taken = self.splitter.feed_while(chunk, |line| {
            let queued_event = route_line(line, pending, events, &mut replies);
            !(stop_when_full && queued_event && events.is_full())
        });
        (replies, taken)
    }

    /// The socket's read side ended (or failed with `read_error`): a final
    /// unterminated line still counts, then every waiting call fails and the
    /// event readers finish.
    pub fn end(&mut self, read_error: Option<String>) -> Vec<(W, RawReply)> {
        let mut replies = Vec::new();
        let pending = &mut self.pending;
        let events = &self.events;
        self.splitter.finish(|line| {
            route_line(line, pending, events, &mut replies);
        });
        if let (Some(message), false) = (read_error, self.closed) {
            let event = serde_json::json!({"event": "protocol-error", "message": message});
            self.events.push(EventItem::Built(event));
        }
        self.closed = true;
        let lost = std::mem::take(&mut self.pending);
        replies.extend(
            lost.into_values()
                .map(|(_, w)| (w, Err(CoreError::plain(CONNECTION_CLOSED)))),
        );
        self.events.end();
        replies
    }

    /// Closes at once (idempotent): the daemon sees the connection end, waiting
    /// calls fail with the connection's end, and event readers finish.
    pub fn close(&mut self) -> Vec<(W, RawReply)> {
        self.close_called = true;
        self.shut_down();
        self.end(None)
    }

    /// The socket's descriptor, open as long as this connection is.
    pub fn raw_fd(&self) -> RawFd {
        self.fd
    }

    /// Shuts the socket down without settling anything (safe from a finalizer):
    /// the read side then sees the end and settles what waits.
    pub fn shut_down(&self) {
        // SAFETY: shutdown on a descriptor `self.writes` keeps open.
        unsafe { libc::shutdown(self.fd, libc::SHUT_RDWR) };
    }

    /// The calls whose deadline is at or before `now`, failed with the timeout.
    pub fn expire(&mut self, now: Instant) -> Vec<(W, RawReply)> {
        let mut expired = Vec::new();
        while let Some(entry) = self.pending.first_entry() {
            if entry.get().0 > now {
                break;
            }
            let (_, waiter) = entry.remove();
            expired.push((waiter, Err(CoreError::plain(TIMEOUT))));
        }
        expired
    }

    /// When the oldest call in flight times out.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.pending.first_key_value().map(|(_, (at, _))| *at)
    }

    pub fn in_flight(&self) -> usize {
        self.pending.len()
    }

    pub fn is_closed(&self) -> bool {
        self.closed
    }

    pub fn close_called(&self) -> bool {
        self.close_called
    }

    pub fn events(&self) -> &EventQueue {
        &self.events
    }

    /// The once-per-connection subscription rule (see `Subscription`).
    pub fn subscribe_step(&mut self, opts: Option<&Value>) -> CoreResult<SubscribeStep> {
        self.subscription.request(opts)
    }
}

/// Routes one line; true when it queued an event.
fn route_line<W>(
    line: &[u8],
    pending: &mut BTreeMap<u64, (Instant, W)>,
    events: &EventQueue,
    replies: &mut Vec<(W, RawReply)>,
) -> bool {
    // Invalid UTF-8 becomes U+FFFD, as Node's line reader decodes it.
    let text = super::framing::decode_line(line);
    match classify_text(&text) {
        RawIncoming::Reply { id, outcome } => {
            if let Some((_, waiter)) = pending.remove(&id) {
                replies.push((waiter, outcome.map(|r| r.map(RawValue::to_owned))));
            }
            false
        }
        RawIncoming::Event(params) => {
            events.push(EventItem::Raw(params.to_owned()));
            true
        }
        RawIncoming::Ignored => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Take;
    use std::io::{BufRead, BufReader};
    use std::os::unix::net::UnixStream;

    fn connection(timeout: Duration) -> (DrivenConnection<u32>, UnixStream) {
        let (ours, theirs) = UnixStream::pair().unwrap();
        (
            DrivenConnection::new(OwnedFd::from(ours), timeout).unwrap(),
            theirs,
        )
    }

    fn texts(replies: Vec<(u32, RawReply)>) -> Vec<(u32, String)> {
        replies
            .into_iter()
            .map(|(w, r)| {
                let text = match r {
                    Ok(Some(raw)) => raw.get().to_string(),
                    Ok(None) => "undefined".into(),
                    Err(e) => format!("error: {e}"),
                };
                (w, text)
            })
            .collect()
    }

    #[test]
    fn replies_route_by_id_across_chunks_and_events_are_queued() {
        let (mut conn, theirs) = connection(Duration::from_secs(30));
        conn.start_call("status", None, 1u32).ok().unwrap();
        conn.start_call("list", Some(&serde_json::json!({"a": 1})), 2u32)
            .ok()
            .unwrap();
        let mut lines = BufReader::new(theirs).lines();
        assert_eq!(
            lines.next().unwrap().unwrap(),
            r#"{"jsonrpc":"2.0","id":1,"method":"status"}"#
        );
        assert_eq!(
            lines.next().unwrap().unwrap(),
            r#"{"jsonrpc":"2.0","id":2,"method":"list","params":{"a":1}}"#
        );
        let first = conn.feed(b"{\"id\":2,\"result\":[1, 2]}\n{\"method\":\"event\",\"par");
        assert_eq!(texts(first), vec![(2, "[1, 2]".to_string())]);
        let second = conn.feed(
            b"ams\":{\"event\":\"x\"}}\r\n{\"id\":1,\"error\":{\"code\":-1,\"message\":\"no\"}}\n",
        );
        assert_eq!(texts(second), vec![(1, "error: rpc error [-1]: no".into())]);
        assert!(
            matches!(conn.events().take(1), Take::Event(EventItem::Raw(r)) if r.get() == r#"{"event":"x"}"#)
        );
        assert_eq!(conn.in_flight(), 0);
    }

    #[test]
    fn deadlines_expire_in_call_order_and_the_end_fails_the_rest() {
        let (mut conn, _theirs) = connection(Duration::from_millis(50));
        conn.start_call("a", None, 1u32).ok().unwrap();
        let first_deadline = conn.next_deadline().unwrap();
        std::thread::sleep(Duration::from_millis(5));
        conn.start_call("b", None, 2u32).ok().unwrap();
        assert!(conn
            .expire(first_deadline - Duration::from_millis(1))
            .is_empty());
        assert_eq!(
            texts(conn.expire(first_deadline)),
            vec![(1, "error: read response: timeout".into())]
        );
        assert!(conn.next_deadline().unwrap() > first_deadline);
        // A final line without its newline still answers its call at the end.
        assert!(conn.feed(b"{\"id\":2,\"result\":7}").is_empty());
        assert_eq!(texts(conn.end(None)), vec![(2, "7".into())]);
        assert!(matches!(conn.events().take(1), Take::Ended));
        let refused = conn.start_call("c", None, 3u32).err().unwrap();
        assert_eq!(refused.0.to_string(), CLOSED);
    }

    #[test]
    fn close_fails_waiting_calls_and_a_read_error_becomes_an_event_only_when_not_closed() {
        let (mut conn, _theirs) = connection(Duration::from_secs(30));
        conn.start_call("a", None, 1u32).ok().unwrap();
        assert_eq!(
            texts(conn.end(Some("read: connection reset by peer".into()))),
            vec![(1, format!("error: {CONNECTION_CLOSED}"))]
        );
        match conn.events().take(1) {
            Take::Event(e) => assert_eq!(e.to_value()["event"], "protocol-error"),
            _ => panic!("no protocol-error event"),
        }
        let (mut closed, _theirs2) = connection(Duration::from_secs(30));
        closed.close();
        assert!(closed.close_called());
        closed.end(Some("late".into()));
        assert!(matches!(closed.events().take(1), Take::Ended));
    }
}
