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
use super::framing::{
    classify_text, encode_request, oversized_request, reply_head, sniff_event, sniff_reply,
    RawIncoming,
};
use super::line_splitter::LineSplitter;
use super::subscription::{SubscribeStep, Subscription};
use super::{write_failed_error, CLOSED, CONNECTION_CLOSED, MAX_REQUEST_LINE, TIMEOUT};
use crate::error::{CoreError, CoreResult};

/// A request sent and not yet awaited (`DrivenConnection::send_request`).
#[must_use = "the reply to a sent request goes nowhere until it is awaited"]
#[derive(Debug)]
pub struct SentRequest {
    id: u64,
    deadline: Instant,
}

/// A reply's outcome as the owner gets it.
pub type RawReply = Result<ReplyResult, CoreError>;

/// A reply's outcome with its `result` as checked JSON text (`None`: none).
pub type CheckedReply = Result<Option<Box<RawValue>>, CoreError>;

/// A reply's `result`.
#[derive(Debug)]
pub enum ReplyResult {
    /// Checked JSON text (`None`: the reply had no `result`).
    Checked(Option<Box<RawValue>>),
    /// Sniffed from a line written as the daemon writes replies, not read.
    Sniffed(SniffedReply),
}

/// A reply line recognised by `framing::sniff_reply`: its result text is
/// unchecked, for the owner to check with the parse it needs anyway. When
/// that parse refuses it, `recheck` says what the line really is.
#[derive(Debug)]
pub struct SniffedReply {
    line: Box<str>,
    result: std::ops::Range<usize>,
    sent: SentRequest,
}

impl SniffedReply {
    /// The result's JSON text, unchecked.
    pub fn result_text(&self) -> &str {
        &self.line[self.result.clone()]
    }

    /// What the line is, read in full: its reply's outcome, or, when it is no
    /// reply (malformed), the request to await again (the call waits on, as
    /// for any line that is not its reply).
    pub fn recheck(self) -> Result<CheckedReply, SentRequest> {
        match classify_text(&self.line) {
            RawIncoming::Reply { id, outcome } if id == self.sent.id => {
                Ok(outcome.map(|r| r.map(RawValue::to_owned)))
            }
            _ => Err(self.sent),
        }
    }
}

pub struct DrivenConnection<W> {
    /// Owns the socket's descriptor.
    writes: DirectWriter,
    splitter: LineSplitter,
    /// Calls in flight by id. Every call has the same timeout, so id order is
    /// deadline order: the first entry is always the next to expire.
    pending: BTreeMap<u64, (Instant, W)>,
    next_id: u64,
    events: EventQueue,
    /// Large replies handed to the owner to parse off the host's thread
    /// (`take_offloaded`); their calls stay pending until `settle_offloaded`.
    offloaded: Vec<(u64, Vec<u8>)>,
    /// Ids of offloaded replies being parsed: the connection's end and the
    /// timeout leave their calls alone (the reply did arrive).
    parsing: std::collections::HashSet<u64>,
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
            writes,
            splitter: LineSplitter::default(),
            pending: BTreeMap::new(),
            next_id: 1,
            events: EventQueue::default(),
            offloaded: Vec::new(),
            parsing: std::collections::HashSet::new(),
            subscription: Subscription::default(),
            closed: false,
            close_called: false,
            call_timeout,
        })
    }

    /// Sends a request and registers `waiter` for its reply (the tests'
    /// shorthand for `send_request` + `await_reply`). On failure the waiter is
    /// handed back with the error and nothing is registered.
    #[cfg(test)]
    pub fn start_call(
        &mut self,
        method: &str,
        params: Option<&Value>,
        waiter: W,
    ) -> Result<(), (CoreError, W)> {
        match self.send_request(method, params) {
            Ok(sent) => {
                self.await_reply(sent, waiter);
                Ok(())
            }
            Err(e) => Err((e, waiter)),
        }
    }

    /// Sends a request whose reply is to be awaited (`await_reply`), so that
    /// the owner can make its waiter after the request is on its way. The
    /// reply cannot be routed before: the owner feeds the replies.
    pub fn send_request(
        &mut self,
        method: &str,
        params: Option<&Value>,
    ) -> CoreResult<SentRequest> {
        if self.closed {
            return Err(CoreError::plain(CLOSED));
        }
        let id = self.next_id;
        self.next_id += 1;
        let line = encode_request(id, method, params);
        if line.len() > MAX_REQUEST_LINE {
            return Err(CoreError::plain(oversized_request(method, line.len())));
        }
        if let Err(e) = self.writes.send(line) {
            self.closed = true;
            return Err(write_failed_error(&e));
        }
        Ok(SentRequest {
            id,
            deadline: Instant::now() + self.call_timeout,
        })
    }

    /// Registers `waiter` for the reply to a sent request.
    pub fn await_reply(&mut self, sent: SentRequest, waiter: W) {
        self.pending.insert(sent.id, (sent.deadline, waiter));
    }

    /// Awaits a sniffed reply's request again (its line was no reply), with
    /// its first deadline; the waiter comes back when the connection has
    /// ended meanwhile (nothing more will answer it).
    pub fn await_again(&mut self, sent: SentRequest, waiter: W) -> Option<W> {
        if self.closed {
            return Some(waiter);
        }
        self.await_reply(sent, waiter);
        None
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
        let offloaded = &mut self.offloaded;
        let taken = self.splitter.feed_while(chunk, |line| {
            if let Some(id) = offloadable_reply(line.bytes(), pending) {
                // A line this long crossed reads: it is moved, not copied.
                offloaded.push((id, line.into_owned()));
                return true;
            }
            let queued_event = route_line(line.bytes(), pending, events, &mut replies);
            !(stop_when_full && queued_event && events.is_full())
        });
        (replies, taken)
    }

    /// The large replies read since the last call, to parse elsewhere; each
    /// comes back through `parsed`.
    pub fn take_offloaded(&mut self) -> Vec<(u64, Vec<u8>)> {
        let lines = std::mem::take(&mut self.offloaded);
        self.parsing.extend(lines.iter().map(|(id, _)| *id));
        lines
    }

    /// An offloaded reply was parsed: the waiter of call `id` when the line
    /// answered it (`answered`) and it still waits. A line that turned out not
    /// to be its reply (malformed) leaves the call waiting for its timeout, or
    /// fails it when the connection has ended meanwhile.
    pub fn parsed(&mut self, id: u64, answered: bool) -> Option<(W, Option<CoreError>)> {
        self.parsing.remove(&id);
        if answered {
            return self.pending.remove(&id).map(|(_, w)| (w, None));
        }
        if self.closed {
            let w = self.pending.remove(&id)?.1;
            return Some((w, Some(CoreError::plain(CONNECTION_CLOSED))));
        }
        None
    }

    /// The socket's read side ended (or failed with `read_error`): a final
    /// unterminated line still counts, then every waiting call fails and the
    /// event readers finish.
    pub fn end(&mut self, read_error: Option<String>) -> Vec<(W, RawReply)> {
        let mut replies = Vec::new();
        let pending = &mut self.pending;
        let events = &self.events;
        // Large replies read but not handed out yet are routed here and now.
        for (_, line) in std::mem::take(&mut self.offloaded) {
            route_line(&line, pending, events, &mut replies);
        }
        self.splitter.finish(|line| {
            route_line(line, pending, events, &mut replies);
        });
        if let (Some(message), false) = (read_error, self.closed) {
            let event = serde_json::json!({"event": "protocol-error", "message": message});
            self.events.push(EventItem::Built(event));
        }
        self.closed = true;
        // Calls whose reply is being parsed keep waiting for it, unless the
        // caller closed the connection.
        if self.close_called {
            self.parsing.clear();
        }
        let parsing = &self.parsing;
        let (keep, lost): (BTreeMap<_, _>, BTreeMap<_, _>) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|(id, _)| parsing.contains(id));
        self.pending = keep;
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

    /// The socket's descriptor, open until `release_descriptor` (-1 then).
    pub fn raw_fd(&self) -> RawFd {
        self.writes.raw_fd()
    }

    /// Shuts the socket down without settling anything (safe from a finalizer):
    /// the read side then sees the end and settles what waits.
    pub fn shut_down(&self) {
        let fd = self.writes.raw_fd();
        if fd < 0 {
            return;
        }
        // SAFETY: shutdown on a descriptor `self.writes` keeps open.
        unsafe { libc::shutdown(fd, libc::SHUT_RDWR) };
    }

    /// Closes the descriptor (the connection has ended, or is abandoned with
    /// its env); nothing can be sent after. Its number may then be reused by
    /// anything: `raw_fd` is -1 from here on.
    pub fn release_descriptor(&mut self) {
        self.closed = true;
        self.writes.release();
    }

    /// The calls whose deadline is at or before `now`, failed with the timeout.
    pub fn expire(&mut self, now: Instant) -> Vec<(W, RawReply)> {
        let due: Vec<u64> = self
            .pending
            .iter()
            .take_while(|(_, (at, _))| *at <= now)
            .map(|(id, _)| *id)
            .filter(|id| !self.parsing.contains(id))
            .collect();
        due.into_iter()
            .filter_map(|id| self.pending.remove(&id))
            .map(|(_, waiter)| (waiter, Err(CoreError::plain(TIMEOUT))))
            .collect()
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

/// Replies from this size up are parsed off the host's thread: parsing one on
/// it would stall the host's loop for as long as `JSON.parse` of it does.
pub const OFFLOAD_LINE: usize = 1024 * 1024;

/// The id of a large reply written as the daemon writes replies
/// (`{"jsonrpc":"2.0","id":<digits>,`), when its call waits. Anything else,
/// events above all (their order matters), is routed in line.
fn offloadable_reply<W>(line: &[u8], pending: &BTreeMap<u64, (Instant, W)>) -> Option<u64> {
    if line.len() < OFFLOAD_LINE {
        return None;
    }
    let (id, _, after) = reply_head(line)?;
    (after.first() == Some(&b',') && pending.contains_key(&id)).then_some(id)
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
    if let Some(params) = sniff_event(&text) {
        events.push_sniffed(params);
        return true;
    }
    if let Some((id, result)) = sniff_reply(&text) {
        if let Some((deadline, waiter)) = pending.remove(&id) {
            let start = result.as_ptr() as usize - text.as_ptr() as usize;
            let sniffed = SniffedReply {
                line: text.as_ref().into(),
                result: start..start + result.len(),
                sent: SentRequest { id, deadline },
            };
            replies.push((waiter, Ok(ReplyResult::Sniffed(sniffed))));
        }
        return false;
    }
    match classify_text(&text) {
        RawIncoming::Reply { id, outcome } => {
            if let Some((_, waiter)) = pending.remove(&id) {
                let result = outcome.map(|r| ReplyResult::Checked(r.map(RawValue::to_owned)));
                replies.push((waiter, result));
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
                    Ok(ReplyResult::Checked(Some(raw))) => raw.get().to_string(),
                    Ok(ReplyResult::Checked(None)) => "undefined".into(),
                    Ok(ReplyResult::Sniffed(sniffed)) => {
                        format!("sniffed: {}", sniffed.result_text())
                    }
                    Err(e) => format!("error: {e}"),
                };
                (w, text)
            })
            .collect()
    }

    #[test]
    fn sniffed_replies_are_left_to_their_owner_and_recheck_reads_the_line() {
        let (mut conn, _theirs) = connection(Duration::from_secs(30));
        for w in 1..=4u32 {
            conn.start_call("m", None, w).ok().unwrap();
        }
        let replies = conn.feed(
            concat!(
                r#"{"jsonrpc":"2.0","id":1,"result":{"ok":true}}"#,
                "\n",
                r#"{"jsonrpc":"2.0","id":2,"result":{},"error":{"code":-5,"message":"no"}}"#,
                "\n",
                r#"{"jsonrpc":"2.0","id":3,"result":{"broken":}}"#,
                "\n",
                r#"{"jsonrpc":"2.0","id":4,"result":[}"#,
                "\n",
            )
            .as_bytes(),
        );
        let mut sniffed: Vec<(u32, SniffedReply)> = replies
            .into_iter()
            .map(|(w, r)| match r {
                Ok(ReplyResult::Sniffed(s)) => (w, s),
                other => panic!("not sniffed: {other:?}"),
            })
            .collect();
        assert_eq!(sniffed[0].1.result_text(), r#"{"ok":true}"#);
        // Call 2's line, read in full, is a reply with an error.
        let (_, second) = sniffed.remove(1);
        match second.recheck() {
            Ok(Err(e)) => assert_eq!(e.to_string(), "rpc error [-5]: no"),
            other => panic!("unexpected {other:?}"),
        }
        // Call 3's line is malformed: the call waits on, and its reply counts.
        let (w3, third) = sniffed.remove(1);
        let sent = third.recheck().expect_err("a malformed line is no reply");
        assert!(conn.await_again(sent, w3).is_none());
        assert_eq!(
            texts(conn.feed(b"{\"id\":3,\"result\":7}\n")),
            vec![(3, "7".into())]
        );
        // Once the connection has ended, nothing more can answer: it comes back.
        let (w4, fourth) = sniffed.remove(1);
        let sent = fourth.recheck().expect_err("a malformed line is no reply");
        assert!(texts(conn.end(None)).is_empty());
        assert_eq!(conn.await_again(sent, w4), Some(4));
        assert_eq!(conn.in_flight(), 0);
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
    fn large_replies_of_waiting_calls_are_set_aside_and_the_rest_routed_in_line() {
        let (mut conn, _theirs) = connection(Duration::from_secs(30));
        conn.start_call("a", None, 1u32).ok().unwrap();
        conn.start_call("b", None, 2u32).ok().unwrap();
        let big = format!(
            r#"{{"jsonrpc":"2.0","id":1,"result":"{}"}}"#,
            "x".repeat(OFFLOAD_LINE)
        );
        let unknown = format!(
            r#"{{"jsonrpc":"2.0","id":9,"result":"{}"}}"#,
            "y".repeat(OFFLOAD_LINE)
        );
        let event = format!(
            r#"{{"jsonrpc":"2.0","method":"event","params":{{"t":"{}"}}}}"#,
            "z".repeat(OFFLOAD_LINE)
        );
        let data = format!("{big}\n{unknown}\n{event}\n{{\"id\":2,\"result\":3}}\n");
        let replies = conn.feed(data.as_bytes());
        assert_eq!(texts(replies), vec![(2, "3".to_string())]);
        let offloaded = conn.take_offloaded();
        assert_eq!(offloaded.len(), 1);
        assert_eq!(offloaded[0].0, 1);
        assert_eq!(offloaded[0].1, big.as_bytes());
        assert!(matches!(conn.events().take(1), Take::Event(_)));
        // Neither the timeout nor the connection's end fails a call whose
        // reply is being parsed; the parse settles it.
        assert!(conn
            .expire(Instant::now() + Duration::from_secs(60))
            .is_empty());
        assert!(conn.end(None).is_empty());
        assert_eq!(
            conn.parsed(1, true).map(|(w, e)| (w, e.is_none())),
            Some((1, true))
        );
        assert!(conn.parsed(1, true).is_none());
    }

    #[test]
    fn a_large_line_that_was_not_a_reply_fails_its_call_once_the_connection_ended() {
        let (mut conn, _theirs) = connection(Duration::from_secs(30));
        conn.start_call("a", None, 1u32).ok().unwrap();
        let bad = format!(
            r#"{{"jsonrpc":"2.0","id":1,"result":"{}"#,
            "x".repeat(OFFLOAD_LINE)
        );
        conn.feed(format!("{bad}\n").as_bytes());
        assert_eq!(conn.take_offloaded().len(), 1);
        assert!(conn.parsed(1, false).is_none(), "still waits while open");
        let (mut conn, _theirs) = connection(Duration::from_secs(30));
        conn.start_call("a", None, 1u32).ok().unwrap();
        conn.feed(format!("{bad}\n").as_bytes());
        conn.take_offloaded();
        conn.end(None);
        let (w, e) = conn.parsed(1, false).unwrap();
        assert_eq!(
            (w, e.unwrap().to_string()),
            (1, CONNECTION_CLOSED.to_string())
        );
    }

    #[test]
    fn a_large_reply_read_just_before_the_end_still_answers() {
        let (mut conn, _theirs) = connection(Duration::from_secs(30));
        conn.start_call("a", None, 1u32).ok().unwrap();
        let big = format!(
            r#"{{"jsonrpc":"2.0","id":1,"result":"{}"}}"#,
            "x".repeat(OFFLOAD_LINE)
        );
        assert!(conn.feed(format!("{big}\n").as_bytes()).is_empty());
        let replies = conn.end(None);
        assert_eq!(replies.len(), 1);
        assert!(matches!(
            &replies[0],
            (1, Ok(ReplyResult::Sniffed(s))) if s.result_text().len() == OFFLOAD_LINE + 2
        ));
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
