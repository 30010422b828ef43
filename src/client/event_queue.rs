//! The client's single bounded event queue (capacity 256). An arriving event goes
//! to the oldest waiting reader first, else into the queue. A full queue sheds
//! load by importance, counting every event it loses: streaming chunks
//! (`*_chunk`) go first; any other event may take the place of the oldest queued
//! chunk; `session.end` and `permission.request` are never shed while anything
//! less important is queued, and may go past the capacity (up to
//! `PROTECTED_CAPACITY`, a bound against a hostile daemon). The first loss queues
//! one `{event: "client.lagged", dropped_count}` after what is queued, so it
//! comes before any later event; while it is still queued, further losses merge
//! into its count, so the notice is never lost, never repeats and takes no
//! event's place.
//!
//! Choice beyond the original: when the connection ends, events already queued are
//! still handed out before readers see the end, so nothing received is lost.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::Mutex;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};
use tokio::sync::oneshot;

use super::framing::check_sniffed_event;

pub const EVENT_QUEUE_CAPACITY: usize = 256;

/// How far protected events may take the queue past its capacity.
pub const PROTECTED_CAPACITY: usize = 2 * EVENT_QUEUE_CAPACITY;

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

    /// How much the event matters when the queue must shed one.
    fn importance(&self) -> Importance {
        match self {
            EventItem::Raw(raw) => importance_of_text(raw.get()),
            EventItem::Built(v) => importance_of_name(v.get("event").and_then(Value::as_str)),
        }
    }
}

/// The importance of an event given as JSON text (malformed text: normal).
fn importance_of_text(text: &str) -> Importance {
    #[derive(Deserialize)]
    struct Head<'a> {
        #[serde(borrow, default)]
        event: Option<Cow<'a, str>>,
    }
    let head = serde_json::from_str::<Head>(text).ok();
    importance_of_name(head.as_ref().and_then(|h| h.event.as_deref()))
}

fn importance_of_name(name: Option<&str>) -> Importance {
    match name {
        Some("session.end" | "permission.request") => Importance::Protected,
        Some(n) if n.ends_with("_chunk") => Importance::Chunk,
        _ => Importance::Normal,
    }
}

impl PartialEq for EventItem {
    fn eq(&self, other: &Self) -> bool {
        self.to_value() == other.to_value()
    }
}

/// Shedding order: chunks first, protected events never while others remain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Importance {
    Chunk,
    Normal,
    Protected,
}

/// An event as the queue holds it: checked, or as sniffed from the daemon's
/// line (`framing::sniff_event`), its params not yet checked to be well-formed.
/// Readers here get checked events only (`pop_checked`); `take_all` hands the
/// sniffed ones to the host's batched reader, which checks them with
/// `JSON.parse` as it reads them.
#[derive(Debug)]
pub enum Queued {
    Checked(EventItem),
    Sniffed(Box<str>),
}

impl Queued {
    /// The event, or `None` for a sniffed line that is not an event after all.
    pub fn checked(self) -> Option<EventItem> {
        match self {
            Queued::Checked(item) => Some(item),
            Queued::Sniffed(params) => check_sniffed_event(&params).map(EventItem::Raw),
        }
    }

    /// How long `write_text`'s text is: exact, but for an event the client
    /// made itself (rare; a guess is enough to size a buffer).
    pub fn text_len_hint(&self) -> usize {
        match self {
            Queued::Checked(EventItem::Raw(raw)) => raw.get().len(),
            Queued::Checked(EventItem::Built(_)) => 64,
            Queued::Sniffed(params) => params.len(),
        }
    }

    /// The event's JSON text (one line: it holds no newline).
    pub fn write_text(&self, out: &mut String) {
        match self {
            Queued::Checked(EventItem::Raw(raw)) => out.push_str(raw.get()),
            Queued::Checked(EventItem::Built(value)) => out.push_str(&value.to_string()),
            Queued::Sniffed(params) => out.push_str(params),
        }
    }

    fn importance(&self) -> Importance {
        match self {
            Queued::Checked(item) => item.importance(),
            Queued::Sniffed(params) => importance_of_text(params),
        }
    }
}

/// A queue slot: an event (its importance worked out only when the queue is
/// full, so the usual path parses nothing), or the pending lag notice.
enum Slot {
    Event {
        item: Queued,
        importance: Option<Importance>,
    },
    LagNotice,
}

impl Slot {
    fn importance(&mut self) -> Importance {
        match self {
            Slot::Event { item, importance } => {
                *importance.get_or_insert_with(|| item.importance())
            }
            Slot::LagNotice => Importance::Protected,
        }
    }

    fn event(item: Queued) -> Slot {
        Slot::Event {
            item,
            importance: None,
        }
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
    slots: VecDeque<Slot>,
    /// Events lost and not yet announced.
    dropped: u64,
    /// Whether a lag notice is queued (it then carries `dropped` when taken).
    notice_queued: bool,
    /// Waiting readers, oldest first, tagged with their iterator id.
    waiters: VecDeque<(u64, oneshot::Sender<Option<EventItem>>)>,
    ended: bool,
}

fn lagged(count: u64) -> EventItem {
    EventItem::Built(json!({"event": "client.lagged", "dropped_count": count}))
}

impl QueueState {
    /// Hands `event` to the oldest live waiter; gives it back when none waits.
    fn hand_to_waiter(&mut self, mut event: EventItem) -> Option<EventItem> {
        while let Some((_, tx)) = self.waiters.pop_front() {
            match tx.send(Some(event)) {
                Ok(()) => return None,
                Err(Some(back)) => event = back,
                Err(None) => return None,
            }
        }
        Some(event)
    }

    /// Hands a checked event to the oldest live waiter, else queues it.
    fn offer(&mut self, event: EventItem) {
        if let Some(event) = self.hand_to_waiter(event) {
            self.enqueue(Queued::Checked(event));
        }
    }

    /// Queued events, not counting the lag notice.
    fn event_count(&self) -> usize {
        self.slots.len() - usize::from(self.notice_queued)
    }

    /// Counts one lost event. The first loss since the last announcement queues
    /// the notice here, after everything already queued; later ones merge into it.
    fn lose_one(&mut self) {
        self.dropped += 1;
        if !self.notice_queued {
            self.slots.push_back(Slot::LagNotice);
            self.notice_queued = true;
        }
    }

    /// Queues `event`, shedding the least important event when full.
    fn enqueue(&mut self, item: Queued) {
        let mut slot = Slot::event(item);
        if self.event_count() < EVENT_QUEUE_CAPACITY {
            self.slots.push_back(slot);
            return;
        }
        let arriving = slot.importance();
        if arriving > Importance::Chunk {
            // The oldest queued event of the lowest importance below the arrival's.
            let mut victim: Option<(usize, Importance)> = None;
            for (i, queued) in self.slots.iter_mut().enumerate() {
                let level = queued.importance();
                if level < arriving && victim.is_none_or(|(_, v)| level < v) {
                    victim = Some((i, level));
                    if level == Importance::Chunk {
                        break;
                    }
                }
            }
            if let Some((i, _)) = victim {
                self.slots.remove(i);
                self.lose_one();
                self.slots.push_back(slot);
                return;
            }
            if arriving == Importance::Protected && self.event_count() < PROTECTED_CAPACITY {
                self.slots.push_back(slot);
                return;
            }
        }
        self.lose_one();
    }

    /// The next queued event, the lag notice made with the count it absorbed.
    fn pop(&mut self) -> Option<Queued> {
        match self.slots.pop_front()? {
            Slot::Event { item, .. } => Some(item),
            Slot::LagNotice => {
                self.notice_queued = false;
                Some(Queued::Checked(lagged(std::mem::take(&mut self.dropped))))
            }
        }
    }

    /// The next queued event that is one (sniffed lines checked here).
    fn pop_checked(&mut self) -> Option<EventItem> {
        loop {
            if let Some(item) = self.pop()?.checked() {
                return Some(item);
            }
        }
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
        state.offer(event);
    }

    /// Adds one event sniffed from the daemon's line (`framing::sniff_event`):
    /// queued as it is, or checked first when a reader waits for it.
    pub fn push_sniffed(&self, params: &str) {
        let mut state = self.lock();
        if state.ended {
            return;
        }
        if state.waiters.is_empty() {
            state.enqueue(Queued::Sniffed(params.into()));
            return;
        }
        if let Some(event) = check_sniffed_event(params).map(EventItem::Raw) {
            state.offer(event);
        }
    }

    /// Takes a queued event, or reports the end, or registers reader `iterator`.
    pub fn take(&self, iterator: u64) -> Take {
        let mut state = self.lock();
        if let Some(event) = state.pop_checked() {
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
        self.lock().pop_checked()
    }

    /// Takes every queued event at once (the lag notice made as by `try_take`),
    /// sniffed ones unchecked: for a reader that checks them itself.
    pub fn take_all(&self) -> Vec<Queued> {
        let mut state = self.lock();
        std::iter::from_fn(|| state.pop()).collect()
    }

    /// Puts events a reader took but did not use back at the front, in their
    /// order, ahead of anything queued since (handing them to waiting readers
    /// first, as `push` does).
    pub fn put_back(&self, items: Vec<Queued>) {
        let mut state = self.lock();
        for item in items.into_iter().rev() {
            state.slots.push_front(Slot::event(item));
        }
        while !state.waiters.is_empty() {
            let Some(item) = state.pop_checked() else {
                break;
            };
            if let Some(back) = state.hand_to_waiter(item) {
                state.slots.push_front(Slot::event(Queued::Checked(back)));
                break;
            }
        }
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

    /// Nothing queued (not even a lag notice).
    pub fn is_empty(&self) -> bool {
        self.lock().slots.is_empty()
    }

    /// As many events queued as the queue holds (a lag notice aside).
    pub fn is_full(&self) -> bool {
        self.lock().event_count() >= EVENT_QUEUE_CAPACITY
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().event_count()
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
    fn events_put_back_come_first_and_reach_a_waiting_reader() {
        let q = EventQueue::default();
        q.push(ev("a"));
        q.push(ev("b"));
        q.push(ev("c"));
        let mut taken = q.take_all();
        assert_eq!(taken.len(), 3);
        q.push(ev("d"));
        taken.remove(0);
        q.put_back(taken);
        assert_eq!(take_value(&q), Some(json!({"event": "b"})));
        assert_eq!(take_value(&q), Some(json!({"event": "c"})));
        assert_eq!(take_value(&q), Some(json!({"event": "d"})));
        let Take::Wait(mut ticket) = q.take(7) else {
            panic!("expected to wait")
        };
        q.put_back(vec![Queued::Checked(ev("e"))]);
        assert_eq!(
            ticket.0.try_recv().unwrap().map(|e| e.to_value()),
            Some(json!({"event": "e"}))
        );
        assert_eq!(q.len(), 0);
    }

    #[test]
    fn sniffed_events_are_checked_on_the_way_to_readers_here() {
        let q = EventQueue::default();
        q.push_sniffed(r#"{"event":"a"}"#);
        q.push_sniffed(r#"{"event":"broken""#);
        q.push_sniffed(r#"{"event":"b"},"more":1"#);
        assert_eq!(take_value(&q), Some(json!({"event": "a"})));
        // The malformed line is skipped; the oddly written one is an event.
        assert_eq!(take_value(&q), Some(json!({"event": "b"})));
        assert_eq!(take_value(&q), None);
        // A waiting reader is handed checked events only.
        let Take::Wait(mut ticket) = q.take(1) else {
            panic!("expected to wait")
        };
        q.push_sniffed(r#"{"event":"broken""#);
        assert!(ticket.0.try_recv().is_err(), "nothing handed over yet");
        q.push_sniffed(r#"{"event":"c"}"#);
        assert_eq!(
            ticket.0.try_recv().unwrap().map(|e| e.to_value()),
            Some(json!({"event": "c"}))
        );
        assert_eq!(q.len(), 0);
        // The batched reader gets them as sniffed, and can give them back.
        q.push_sniffed(r#"{"event":"d"}"#);
        let taken = q.take_all();
        assert!(matches!(&taken[..], [Queued::Sniffed(t)] if &**t == r#"{"event":"d"}"#));
        q.put_back(taken);
        assert_eq!(take_value(&q), Some(json!({"event": "d"})));
    }

    #[test]
    fn sniffed_chunks_are_shed_first_and_sniffed_ends_kept() {
        let q = EventQueue::default();
        for i in 0..256 {
            q.push_sniffed(&format!(r#"{{"event":"agent.message_chunk","seq":{i}}}"#));
        }
        q.push_sniffed(r#"{"event":"session.end"}"#);
        let events = drain(&q);
        assert_eq!(events.len(), 257);
        assert_eq!(events[0]["seq"], 1, "the oldest chunk made room");
        assert_eq!(
            names(&events[255..]),
            ["client.lagged", "session.end"].map(String::from)
        );
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

    fn raw(text: &str) -> EventItem {
        EventItem::Raw(RawValue::from_string(text.to_string()).unwrap())
    }

    fn drain(q: &EventQueue) -> Vec<Value> {
        std::iter::from_fn(|| take_value(q)).collect()
    }

    fn names(events: &[Value]) -> Vec<String> {
        events
            .iter()
            .map(|e| e["event"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn losses_while_the_notice_is_queued_merge_into_its_count() {
        let q = EventQueue::default();
        for _ in 0..260 {
            q.push(ev("x"));
        }
        q.try_take();
        q.push(ev("y"));
        q.push(ev("w"));
        let events = drain(&q);
        // 255 x, then one notice for the four lost x and the lost w, then y.
        assert_eq!(events.len(), 257);
        assert_eq!(
            events[255],
            json!({"event": "client.lagged", "dropped_count": 5})
        );
        assert_eq!(events[256], json!({"event": "y"}));
        q.push(ev("z"));
        assert_eq!(drain(&q), vec![json!({"event": "z"})]);
    }

    #[test]
    fn the_end_of_a_turn_survives_a_queue_full_of_chunks() {
        let q = EventQueue::default();
        for i in 0..300 {
            q.push(raw(&format!(
                r#"{{"event":"agent.message_chunk","seq":{i}}}"#
            )));
        }
        q.push(raw(r#"{"event":"permission.request","request_id":"p1"}"#));
        q.push(raw(
            r#"{"seq":400,"event":"session.end","stop_reason":"end_turn"}"#,
        ));
        let events = drain(&q);
        let tail: Vec<_> = names(&events).into_iter().skip(events.len() - 3).collect();
        assert_eq!(tail, ["client.lagged", "permission.request", "session.end"]);
        assert_eq!(events.len(), 256 + 1);
        // 44 chunks never got in, 2 were pushed out for the protected events.
        assert_eq!(events[254]["dropped_count"], json!(46));
        // The oldest chunks made room; the newest kept ones are in order.
        assert_eq!(events[0]["seq"], json!(2));
        assert_eq!(events[253]["seq"], json!(255));
    }

    #[test]
    fn other_events_push_out_chunks_but_not_each_other() {
        let q = EventQueue::default();
        q.push(ev("agent.thought_chunk"));
        for _ in 0..255 {
            q.push(ev("tool.call"));
        }
        q.push(ev("agent.status"));
        q.push(ev("agent.status"));
        let got = names(&drain(&q));
        assert_eq!(got.len(), 257);
        assert!(!got.contains(&"agent.thought_chunk".to_string()));
        assert_eq!(got.iter().filter(|n| *n == "agent.status").count(), 1);
        assert_eq!(got[255], "client.lagged");
    }

    #[test]
    fn protected_events_go_past_the_capacity_up_to_a_bound() {
        let q = EventQueue::default();
        for _ in 0..(PROTECTED_CAPACITY + 10) {
            q.push(ev("session.end"));
        }
        assert_eq!(q.len(), PROTECTED_CAPACITY);
        let events = drain(&q);
        assert_eq!(events.len(), PROTECTED_CAPACITY + 1);
        assert_eq!(
            events[PROTECTED_CAPACITY],
            json!({"event": "client.lagged", "dropped_count": 10})
        );
    }

    #[test]
    fn a_reader_waiting_on_an_empty_queue_gets_events_directly() {
        let q = EventQueue::default();
        let Take::Wait(ticket) = q.take(1) else {
            panic!()
        };
        q.push(ev("session.end"));
        assert_eq!(ticket.0.blocking_recv().unwrap(), Some(ev("session.end")));
        assert_eq!(q.len(), 0);
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
