//! A `dial()`ed connection read on the host's own event loop: the host socket
//! (`host_socket`) hands each read to the driven connection core
//! (`client::driven`), which routes replies and queues events synchronously,
//! and the waiting promises are settled in that same callback. One wake of the
//! JS thread per socket read, no thread hop, and a reply crosses as JSON text
//! for `JSON.parse`. Requests are written on the calling thread, in call order.
//! Everything here lives on the JS thread.

use std::cell::{Cell, RefCell};
use std::os::fd::OwnedFd;
use std::rc::{Rc, Weak};
use std::time::{Duration, Instant};

use napi::bindgen_prelude::*;
use napi::sys;
use serde_json::Value;

use super::caller_origin::CallerOrigin;
use super::errors::js_error;
use super::events::iter_result;
use super::host_socket::{HostSocket, Listeners};
use super::keep_alive::KeepAlive;
use super::raw::{self, Deferred, JsRef};
use super::shutdown_at_teardown::ShutdownAtTeardown;
use crate::client::driven::{DrivenConnection, RawReply, ReplyResult, SniffedReply};
use crate::client::large_reply::{parse_large_reply, LargeReply};
use crate::client::{methods, EventItem, Queued, SubscribeStep, Take, WaitTicket, CLOSED};
use crate::error::{CoreError, CoreResult};

/// What a settled call does with its reply.
pub enum Then {
    /// Resolves with the `result` (`undefined` when absent).
    Json,
    /// Resolves with `undefined`.
    Void,
    /// Resolves with the `sessions` of the result (brokerPeers).
    Peers,
    /// The subscribe an iterator's first `next()` sent: then takes an event.
    Subscribed(Rc<LoopEvents>),
    /// Hands the `result` (`None` when the call failed or had none) to Rust,
    /// which makes the value the promise settles with (a tool's own request,
    /// see `status_on_host_loop`).
    Native(Box<dyn FnOnce(Option<Value>) -> CoreResult<Value>>),
}

/// A promise waiting for its call's reply.
pub struct Waiter {
    deferred: Deferred,
    origin: CallerOrigin,
    then: Then,
    /// A call in flight keeps its connection open even when JS has dropped
    /// the `Client`: its promise is still awaited.
    _keep: Rc<LoopOwner>,
}

/// The sole batched reader waiting until there is something to take
/// (`LoopEvents::pull`).
struct QueueWaiter {
    deferred: Deferred,
    /// Holds the connection open while the wait is awaited.
    events: Rc<LoopEvents>,
}

/// An iterator's `next()` waiting for an event.
struct EventWaiter {
    ticket: WaitTicket,
    deferred: Deferred,
    events: Rc<LoopEvents>,
}

pub struct LoopClient {
    conn: RefCell<DrivenConnection<Waiter>>,
    /// The connection's descriptor (owned by `conn`), for `LoopOwner::drop`;
    /// -1 once `finish` closed it.
    fd: Cell<std::os::fd::RawFd>,
    /// Shared out for each call into it: the runtime may call the socket's
    /// listeners from inside those calls.
    socket: RefCell<Option<Rc<HostSocket>>>,
    /// Keeps the process alive while a call or a `next()` waits.
    keep_alive: KeepAlive,
    /// Ends the connection if the env goes away with it open.
    teardown: ShutdownAtTeardown,
    event_waiters: RefCell<Vec<EventWaiter>>,
    queue_waiters: RefCell<Vec<QueueWaiter>>,
    /// The armed call-timeout timer, if any.
    timer: RefCell<Option<JsRef>>,
    next_iterator_id: Cell<u64>,
    /// Bytes read but not fed yet: the rest of a read that filled the event
    /// queue, fed on the next turn of the loop (the socket is paused meanwhile).
    backlog: RefCell<Vec<u8>>,
    /// Whether a read that fills the event queue may wait a turn for readers.
    /// Spent by each wait; given back when an iterator takes an event, so an
    /// iterator nobody reads costs one turn at most, then events are shed.
    reader_grace: Cell<bool>,
    /// Iterators not yet finished; a batch is taken only by a sole reader.
    live_iterators: Cell<usize>,
    me: Weak<LoopClient>,
}

/// Holds a `LoopClient` for JS objects (the `Client`, its iterators). When the
/// last is collected the connection is shut down, which needs no JS call: the
/// host socket then sees the end and settles what still waits.
pub struct LoopOwner(pub Rc<LoopClient>);

impl Drop for LoopOwner {
    fn drop(&mut self) {
        // From a finalizer, which may run while the connection is borrowed:
        // the descriptor is read without borrowing (open until `finish`
        // closes it and sets -1).
        let fd = self.0.fd.get();
        if fd >= 0 {
            // SAFETY: shutdown on a descriptor the connection keeps open.
            unsafe { libc::shutdown(fd, libc::SHUT_RDWR) };
        }
    }
}

/// What `dial` prepared off the JS thread: the connection's write side, and a
/// duplicate of its descriptor for the host socket to read.
pub struct Prepared {
    write_fd: OwnedFd,
    read_fd: OwnedFd,
    call_timeout: Duration,
}

impl Prepared {
    /// A connected socket readied for the host's loop: the addon writes on it,
    /// the host reads a duplicate.
    pub fn from_stream(
        stream: std::os::unix::net::UnixStream,
        call_timeout: Duration,
    ) -> CoreResult<Prepared> {
        let read_fd = crate::client::duplicate(&stream)?;
        Ok(Prepared {
            write_fd: OwnedFd::from(stream),
            read_fd,
            call_timeout,
        })
    }
}

/// Connects (on Tokio) and prepares a connection for the host's loop.
pub async fn prepare(socket_path: &str, call_timeout: Duration) -> CoreResult<Prepared> {
    let stream = crate::client::connect(socket_path).await?;
    // Off Tokio's poller: the addon writes, the host's loop reads.
    let stream = stream
        .into_std()
        .map_err(|e| CoreError::plain(format!("dial control socket: {e}")))?;
    Prepared::from_stream(stream, call_timeout)
}

impl LoopClient {
    /// Puts a prepared connection on the host's loop (on the JS thread).
    pub fn start(env: &Env, prepared: Prepared) -> Result<Rc<LoopClient>> {
        let Prepared {
            write_fd,
            read_fd,
            call_timeout,
        } = prepared;
        // A writer task, if ever needed, runs on the addon's runtime.
        let conn = napi::bindgen_prelude::within_runtime_if_available(|| {
            DrivenConnection::new(write_fd, call_timeout)
        })
        .map_err(|e| Error::from_reason(format!("dial control socket: {e}")))?;
        let keep_alive = KeepAlive::new(env)?;
        let client = Rc::new_cyclic(|me: &Weak<LoopClient>| LoopClient {
            fd: Cell::new(conn.raw_fd()),
            keep_alive,
            teardown: {
                let me = me.clone();
                ShutdownAtTeardown::arm(env, move || {
                    if let Some(client) = me.upgrade() {
                        client.end_at_teardown();
                    }
                })
            },
            conn: RefCell::new(conn),
            socket: RefCell::new(None),
            event_waiters: RefCell::new(Vec::new()),
            queue_waiters: RefCell::new(Vec::new()),
            timer: RefCell::new(None),
            next_iterator_id: Cell::new(1),
            backlog: RefCell::new(Vec::new()),
            reader_grace: Cell::new(true),
            live_iterators: Cell::new(0),
            me: me.clone(),
        });
        // The listeners hold the client strongly: while the socket is open,
        // replies must find their promises even if JS dropped the `Client`.
        let on_data = client.clone();
        let on_end = client.clone();
        let socket = HostSocket::open(
            env,
            read_fd,
            Listeners {
                data: Box::new(move |env, bytes| on_data.received(env, bytes)),
                ended: Box::new(move |env, error| on_end.ended(env, error)),
            },
        );
        match socket {
            Ok(socket) => {
                *client.socket.borrow_mut() = Some(Rc::new(socket));
                Ok(client)
            }
            Err(e) => {
                client.teardown.disarm();
                client.conn.borrow_mut().close();
                client.keep_alive.release(env);
                Err(e)
            }
        }
    }

    /// Sends one request and returns the promise its reply settles (from the
    /// socket's callbacks). The request goes out first; the promise and the
    /// caller's origin are made while the daemon works on it.
    fn start_call(
        &self,
        env: &Env,
        method: &str,
        params: Option<&Value>,
        then: Then,
        keep: Rc<LoopOwner>,
    ) -> Result<sys::napi_value> {
        let sent = self.conn.borrow_mut().send_request(method, params);
        // Bun's `index.js` wraps the `Client` methods, which make these calls.
        let wrapped_in_js = matches!(then, Then::Json | Then::Void | Then::Peers);
        let (deferred, promise, origin) = CallerOrigin::start(env, wrapped_in_js)?;
        let waiter = Waiter {
            deferred,
            origin,
            then,
            _keep: keep,
        };
        match sent {
            Ok(sent) => {
                self.conn.borrow_mut().await_reply(sent, waiter);
                self.arm_timer(env);
                self.update_reference(env);
            }
            Err(e) => self.settle(env, waiter, Err(e)),
        }
        Ok(promise)
    }

    pub fn is_closed(&self) -> bool {
        self.conn.borrow().is_closed()
    }

    /// Closes at once; what waits settles now (idempotent).
    pub fn close(&self, env: &Env) {
        let failed = self.conn.borrow_mut().close();
        self.settle_all(env, failed);
        self.finish(env);
    }

    fn received(&self, env: &Env, bytes: &[u8]) {
        if !self.backlog.borrow().is_empty() {
            // Paused for the readers; what arrives meanwhile waits its turn.
            self.backlog.borrow_mut().extend_from_slice(bytes);
            return;
        }
        self.feed(env, bytes);
    }

    /// Feeds `bytes`. A read carries hundreds of events, more than the event
    /// queue holds, and the reader runs only between reads: so when the queue
    /// fills mid-read, the rest waits one turn of the loop (socket paused, the
    /// daemon's own buffer absorbing) while the iterators drain the queue.
    fn feed(&self, env: &Env, bytes: &[u8]) {
        let grace = self.reader_grace.get();
        let (replies, taken) = self.conn.borrow_mut().feed_until_full(bytes, grace);
        self.settle_all(env, replies);
        self.parse_set_aside(env);
        if taken < bytes.len() {
            self.backlog.borrow_mut().extend_from_slice(&bytes[taken..]);
            self.reader_grace.set(false);
            self.wait_for_readers(env);
        }
        self.wake_event_waiters(env);
        self.update_reference(env);
    }

    fn wait_for_readers(&self, env: &Env) {
        let socket = self.socket.borrow().clone();
        if let Some(socket) = socket {
            // Pausing cannot fail.
            let _ = socket.set_paused(env, true);
        }
        let me = self.me.clone();
        let scheduled = env
            .create_function_from_closure("feedBacklog", move |ctx| {
                if let Some(client) = me.upgrade() {
                    client.feed_backlog(ctx.env);
                }
                Ok(())
            })
            .and_then(|f: Function<(), ()>| {
                let global = env.get_global()?.raw();
                raw::call_method(env, global, "setImmediate", &[f.raw()])
                    .map_err(|_| Error::from_reason("setImmediate failed"))
            });
        if scheduled.is_err() {
            // No way to wait: feed now (the grace is spent), shedding events
            // as the queue says.
            self.feed_backlog(env);
        }
    }

    /// Feeds what waits in the backlog (on the turn after a read filled the
    /// queue, or sooner when a reader asks for more); reading resumes once
    /// it is all fed.
    fn feed_backlog(&self, env: &Env) {
        let bytes = std::mem::take(&mut *self.backlog.borrow_mut());
        if !bytes.is_empty() {
            self.feed(env, &bytes);
        }
        if self.backlog.borrow().is_empty() {
            let socket = self.socket.borrow().clone();
            let failed = socket.and_then(|s| s.set_paused(env, false));
            if let Some(message) = failed {
                self.ended(env, Some(message));
            }
        }
    }

    fn ended(&self, env: &Env, error: Option<String>) {
        if self.socket.borrow().is_none() {
            return;
        }
        // What was read before the end still counts, without waiting.
        let backlog = std::mem::take(&mut *self.backlog.borrow_mut());
        let replies = self.conn.borrow_mut().feed(&backlog);
        self.settle_all(env, replies);
        let failed = self.conn.borrow_mut().end(error);
        self.settle_all(env, failed);
        self.finish(env);
    }

    /// The env is going away with the connection open (see
    /// `ShutdownAtTeardown`): the daemon sees it end, and the descriptor is
    /// closed. No JS: what waits is never settled.
    fn end_at_teardown(&self) {
        if let Ok(mut conn) = self.conn.try_borrow_mut() {
            conn.shut_down();
            self.fd.set(-1);
            conn.release_descriptor();
        }
    }

    /// After the end: iterators finish, the socket and timer are let go.
    fn finish(&self, env: &Env) {
        self.backlog.borrow_mut().clear();
        self.wake_event_waiters(env);
        let socket = self.socket.borrow_mut().take();
        if let Some(socket) = socket {
            socket.destroy(env);
        }
        self.disarm_timer(env);
        self.keep_alive.release(env);
        self.teardown.disarm();
        // The descriptor goes now, not when the `Client` is collected: a
        // program dialling and closing in a loop would run out of them first
        // (Bun's collector let 1 000 pile up).
        self.fd.set(-1);
        self.conn.borrow_mut().release_descriptor();
    }

    fn settle_all(&self, env: &Env, replies: Vec<(Waiter, RawReply)>) {
        for (waiter, reply) in replies {
            let body = match reply {
                Ok(ReplyResult::Checked(text)) => Ok(ReplyBody::Text(text)),
                Ok(ReplyResult::Sniffed(sniffed)) => {
                    match read_sniffed(env, &waiter.then, &sniffed) {
                        Some(body) => Ok(body),
                        None => match sniffed.recheck() {
                            Ok(reply) => reply.map(ReplyBody::Text),
                            Err(sent) => {
                                // Not its reply after all: the call waits on.
                                let back = self.conn.borrow_mut().await_again(sent, waiter);
                                if let Some(waiter) = back {
                                    let e = CoreError::plain(crate::client::CONNECTION_CLOSED);
                                    self.settle(env, waiter, Err(e));
                                }
                                continue;
                            }
                        },
                    }
                }
                Err(e) => Err(e),
            };
            self.settle(env, waiter, body);
        }
    }

    fn settle(&self, env: &Env, waiter: Waiter, reply: std::result::Result<ReplyBody, CoreError>) {
        let Waiter {
            deferred,
            origin,
            then,
            ..
        } = waiter;
        let outcome = match (then, reply) {
            (Then::Subscribed(events), Ok(_)) => {
                origin.release(env);
                return events.take_or_wait(env, deferred);
            }
            (Then::Subscribed(events), Err(e)) => {
                events.finished.set(true);
                Err(e)
            }
            (Then::Native(make), reply) => {
                let result = reply.ok().and_then(body_value);
                match make(result) {
                    Ok(value) => Ok(unsafe {
                        super::promise::Json::to_napi_value(
                            env.raw(),
                            super::promise::Json(Some(value)),
                        )
                    }),
                    Err(e) => Err(e),
                }
            }
            (then, Ok(body)) => Ok(result_value(env, then, body)),
            (_, Err(e)) => Err(e),
        };
        match outcome {
            Ok(Ok(value)) => {
                deferred.resolve(env, value);
                origin.release(env);
            }
            Ok(Err(e)) => origin.reject(env, deferred, napi_error_value(env, e)),
            Err(e) => {
                let error = js_error(env, &e)
                    .map(|error| error.raw())
                    .unwrap_or_else(|e| napi_error_value(env, e));
                origin.reject(env, deferred, error);
            }
        }
    }

    /// Parses the large replies the last read set aside on a Tokio worker,
    /// and settles their calls when each is parsed (see `large_reply`).
    fn parse_set_aside(&self, env: &Env) {
        let lines = self.conn.borrow_mut().take_offloaded();
        for (id, line) in lines {
            let Some(client) = self.me.upgrade() else {
                return;
            };
            let parsed = env.spawn_future_with_callback(
                async move { Ok(parse_large_reply(id, &line)) },
                move |env, reply| {
                    client.large_reply_parsed(env, id, reply);
                    Ok(())
                },
            );
            if parsed.is_err() {
                // No worker: the call is failed rather than left waiting.
                let waiter = self.conn.borrow_mut().parsed(id, true);
                if let Some((waiter, _)) = waiter {
                    let e = CoreError::plain("read response: could not parse the reply");
                    self.settle(env, waiter, Err(e));
                }
            }
        }
    }

    fn large_reply_parsed(&self, env: &Env, id: u64, reply: LargeReply) {
        let answered = !matches!(reply, LargeReply::NotIt);
        let waiter = self.conn.borrow_mut().parsed(id, answered);
        let Some((waiter, ended)) = waiter else {
            return;
        };
        let outcome = match (ended, reply) {
            (Some(e), _) | (None, LargeReply::Value(Err(e)) | LargeReply::Text(Err(e))) => Err(e),
            (None, LargeReply::Value(Ok(v))) => Ok(ReplyBody::Value(v)),
            (None, LargeReply::Text(Ok(t))) => Ok(ReplyBody::Text(t)),
            (None, LargeReply::NotIt) => return,
        };
        self.settle(env, waiter, outcome);
        self.update_reference(env);
    }

    /// Keeps the process alive exactly while a call or a `next()` waits.
    fn update_reference(&self, env: &Env) {
        let waiting = self.conn.borrow().in_flight() > 0
            || !self.event_waiters.borrow().is_empty()
            || !self.queue_waiters.borrow().is_empty();
        self.keep_alive.set(env, waiting);
    }

    /// One unreferenced timer per connection, for the oldest call's deadline
    /// (all calls share the timeout, so the oldest is always next).
    fn arm_timer(&self, env: &Env) {
        if self.timer.borrow().is_some() {
            return;
        }
        let Some(due) = self.conn.borrow().next_deadline() else {
            return;
        };
        let delay = due.saturating_duration_since(Instant::now());
        let me = self.me.clone();
        let fired: Result<Function<(), ()>> =
            env.create_function_from_closure("callTimeout", move |ctx| {
                if let Some(client) = me.upgrade() {
                    client.timer_fired(ctx.env);
                }
                Ok(())
            });
        let armed = fired.and_then(|f| {
            let global = env.get_global()?.raw();
            let set_timeout = raw::property(env, global, "setTimeout")?;
            let ms = (delay.as_secs_f64() * 1000.0).ceil().max(1.0);
            let ms = unsafe { f64::to_napi_value(env.raw(), ms)? };
            let timer = raw::call(env, global, set_timeout, &[f.raw(), ms])
                .map_err(|_| Error::from_reason("setTimeout failed"))?;
            let _ = raw::call_method(env, timer, "unref", &[]);
            JsRef::new(env, timer)
        });
        if let Ok(timer) = armed {
            *self.timer.borrow_mut() = Some(timer);
        }
    }

    fn timer_fired(&self, env: &Env) {
        if let Some(timer) = self.timer.borrow_mut().take() {
            timer.release(env);
        }
        let expired = self.conn.borrow_mut().expire(Instant::now());
        self.settle_all(env, expired);
        self.arm_timer(env);
        self.update_reference(env);
    }

    fn disarm_timer(&self, env: &Env) {
        let Some(timer) = self.timer.borrow_mut().take() else {
            return;
        };
        if let Ok(handle) = timer.get(env) {
            if let Ok(global) = env.get_global() {
                let _ = raw::call_method(env, global.raw(), "clearTimeout", &[handle]);
            }
        }
        timer.release(env);
    }

    /// Settles the `next()` calls whose ticket got an event or the end, and
    /// the batched reader's wait when there is something for it to look at.
    fn wake_event_waiters(&self, env: &Env) {
        self.wake_queue_waiters(env);
        if self.event_waiters.borrow().is_empty() {
            return;
        }
        let waiters = std::mem::take(&mut *self.event_waiters.borrow_mut());
        let mut still = Vec::new();
        for mut waiter in waiters {
            use tokio::sync::oneshot::error::TryRecvError;
            match waiter.ticket.0.try_recv() {
                Ok(Some(item)) => {
                    self.reader_grace.set(true);
                    resolve_item(env, waiter.deferred, Some(item))
                }
                Ok(None) | Err(TryRecvError::Closed) => {
                    waiter.events.finished.set(true);
                    waiter.events.uncount();
                    resolve_item(env, waiter.deferred, None);
                }
                Err(TryRecvError::Empty) => still.push(waiter),
            }
        }
        self.event_waiters.borrow_mut().extend(still);
        self.update_reference(env);
    }

    /// Resolves the batched reader's wait once events are queued, the
    /// connection ended or the iterator stopped: with the batch itself when
    /// there is one (so a read costs the reader one crossing back, not two),
    /// else with `undefined`, and the JS side looks again (`pull`, else
    /// `next`). Only the first wait gets a batch: a reader that made several
    /// waits gets the rest as "look again".
    fn wake_queue_waiters(&self, env: &Env) {
        if self.queue_waiters.borrow().is_empty() {
            return;
        }
        let queued = !self.conn.borrow().events().is_empty();
        let ended = self.conn.borrow().events().is_ended();
        let waiters = std::mem::take(&mut *self.queue_waiters.borrow_mut());
        let (wake, keep): (Vec<_>, Vec<_>) = waiters
            .into_iter()
            .partition(|w| queued || ended || w.events.finished.get());
        *self.queue_waiters.borrow_mut() = keep;
        for (i, waiter) in wake.into_iter().enumerate() {
            let batch = if i == 0 {
                waiter.events.take_batch(env)
            } else {
                Ok(None)
            };
            match batch {
                Ok(batch) => waiter
                    .deferred
                    .resolve(env, batch.unwrap_or_else(|| raw::undefined(env))),
                Err(e) => waiter.deferred.reject(env, napi_error_value(env, e)),
            }
        }
        self.update_reference(env);
    }
}

impl LoopOwner {
    /// Sends one request; the promise settles from the socket's callbacks.
    pub fn call<'env>(
        self: &Rc<Self>,
        env: &'env Env,
        method: &str,
        params: Option<&Value>,
        then: Then,
    ) -> Result<PromiseRaw<'env, super::promise::Json>> {
        let promise = self.0.start_call(env, method, params, then, self.clone())?;
        Ok(PromiseRaw::new(env.raw(), promise))
    }

    /// A new iterator over this connection's events (`client.events(opts)`).
    pub fn events(self: &Rc<Self>, opts: Option<Value>) -> Rc<LoopEvents> {
        let client = &self.0;
        let id = client.next_iterator_id.get();
        client.next_iterator_id.set(id + 1);
        client.live_iterators.set(client.live_iterators.get() + 1);
        Rc::new(LoopEvents {
            owner: self.clone(),
            id,
            opts,
            subscribe_started: Cell::new(false),
            finished: Cell::new(false),
            counted: Cell::new(true),
        })
    }

    /// `client.subscribe(opts)`: sends subscribe once per connection.
    pub fn subscribe<'env>(
        self: &Rc<Self>,
        env: &'env Env,
        opts: Option<&Value>,
    ) -> Result<PromiseRaw<'env, super::promise::Json>> {
        let step = self.0.conn.borrow_mut().subscribe_step(opts);
        match step {
            Ok(SubscribeStep::Send(params)) => {
                let params = params.map(Value::Object);
                self.call(env, "subscribe", params.as_ref(), Then::Void)
            }
            Ok(SubscribeStep::AlreadyDone) => PromiseRaw::resolve(env, super::promise::Json(None)),
            Err(e) => Ok(PromiseRaw::new(env.raw(), rejected(env, &e)?)),
        }
    }

    pub fn is_closed(&self) -> bool {
        self.0.is_closed()
    }

    pub fn close(&self, env: &Env) {
        self.0.close(env)
    }
}

/// A reply's `result` as it reaches the settling code.
enum ReplyBody {
    /// JSON text (`None`: the reply had no `result`).
    Text(Option<Box<serde_json::value::RawValue>>),
    /// A parsed value (a large reply of few members, parsed off-thread).
    Value(Option<Value>),
    /// The JS value already made (a sniffed result read by `JSON.parse`).
    Js(sys::napi_value),
}

/// Reads a sniffed result as its call needs it, which checks it: `JSON.parse`
/// for a JSON result, serde for the others. `None` when that refuses it.
fn read_sniffed(env: &Env, then: &Then, sniffed: &SniffedReply) -> Option<ReplyBody> {
    let text = sniffed.result_text();
    match then {
        Then::Json => raw::json_parse(env, text).ok().map(ReplyBody::Js),
        Then::Peers | Then::Native(_) => serde_json::from_str(text)
            .ok()
            .map(|v| ReplyBody::Value(Some(v))),
        Then::Void | Then::Subscribed(_) => serde_json::from_str::<serde::de::IgnoredAny>(text)
            .ok()
            .map(|_| ReplyBody::Text(None)),
    }
}

/// A reply's `result` as a Rust value (`Then::Native`).
fn body_value(body: ReplyBody) -> Option<Value> {
    match body {
        ReplyBody::Text(raw) => raw.and_then(|r| serde_json::from_str(r.get()).ok()),
        ReplyBody::Value(v) => v,
        // Made only for `Then::Json`.
        ReplyBody::Js(_) => None,
    }
}

fn result_value(env: &Env, then: Then, body: ReplyBody) -> Result<sys::napi_value> {
    match (then, body) {
        (Then::Json, ReplyBody::Js(value)) => Ok(value),
        (Then::Json, ReplyBody::Text(Some(raw))) => raw::json_parse(env, raw.get()),
        (Then::Json, ReplyBody::Value(Some(v))) => raw::value_to_js(env, &v),
        (Then::Peers, ReplyBody::Text(raw)) => {
            let result = raw.map(|r| serde_json::from_str(r.get()).unwrap_or(Value::Null));
            raw::value_to_js(env, &methods::peers_of(result))
        }
        (Then::Peers, ReplyBody::Value(v)) => raw::value_to_js(env, &methods::peers_of(v)),
        _ => Ok(raw::undefined(env)),
    }
}

fn napi_error_value(env: &Env, e: Error) -> sys::napi_value {
    js_error(env, &CoreError::plain(e.reason.clone()))
        .map(|v| v.raw())
        .unwrap_or_else(|_| raw::undefined(env))
}

/// A promise already rejected with `e`, made on the calling thread (so the
/// error has the caller's frames).
fn rejected(env: &Env, e: &CoreError) -> Result<sys::napi_value> {
    let (deferred, promise) = Deferred::new(env)?;
    deferred.reject(env, js_error(env, e)?.raw());
    Ok(promise)
}

fn resolve_item(env: &Env, deferred: Deferred, item: Option<EventItem>) {
    match iter_result(env, item) {
        Ok(value) => deferred.resolve(env, value),
        Err(e) => deferred.reject(env, napi_error_value(env, e)),
    }
}

/// One `events()` iterator of a loop connection: subscribes on its first
/// `next()`, then takes events from the connection's queue, competing with
/// the connection's other iterators (as `client::EventStream` does).
pub struct LoopEvents {
    /// Holds the connection open while the iterator is reachable or waits.
    owner: Rc<LoopOwner>,
    id: u64,
    opts: Option<Value>,
    subscribe_started: Cell<bool>,
    finished: Cell<bool>,
    /// Whether this iterator is counted in `live_iterators`.
    counted: Cell<bool>,
}

impl Drop for LoopEvents {
    fn drop(&mut self) {
        self.uncount();
    }
}

impl LoopEvents {
    pub fn next(self: &Rc<Self>, env: &Env) -> Result<sys::napi_value> {
        if !self.finished.get() && !self.subscribe_started.replace(true) {
            let client = &self.owner.0;
            if client.conn.borrow().close_called() {
                self.finished.set(true);
                return rejected(env, &CoreError::plain(CLOSED));
            }
            let step = client.conn.borrow_mut().subscribe_step(self.opts.as_ref());
            match step {
                Ok(SubscribeStep::Send(params)) => {
                    let params = params.map(Value::Object);
                    let then = Then::Subscribed(self.clone());
                    let keep = self.owner.clone();
                    return client.start_call(env, "subscribe", params.as_ref(), then, keep);
                }
                Ok(SubscribeStep::AlreadyDone) => {}
                Err(e) => {
                    self.finished.set(true);
                    return rejected(env, &e);
                }
            }
        }
        let (deferred, promise) = Deferred::new(env)?;
        self.take_or_wait(env, deferred);
        Ok(promise)
    }

    fn take_or_wait(self: &Rc<Self>, env: &Env, deferred: Deferred) {
        // Events go to the reader that has waited longest: a batched reader's
        // waits become ordinary waiting next() calls first, ahead of this one.
        let batched = std::mem::take(&mut *self.owner.0.queue_waiters.borrow_mut());
        for waiter in batched {
            waiter.events.take_or_wait(env, waiter.deferred);
        }
        if self.finished.get() {
            return resolve_item(env, deferred, None);
        }
        let taken = self.owner.0.conn.borrow().events().take(self.id);
        match taken {
            Take::Event(item) => {
                self.owner.0.reader_grace.set(true);
                resolve_item(env, deferred, Some(item))
            }
            Take::Ended => {
                self.finished.set(true);
                resolve_item(env, deferred, None);
            }
            Take::Wait(ticket) => {
                self.owner.0.event_waiters.borrow_mut().push(EventWaiter {
                    ticket,
                    deferred,
                    events: self.clone(),
                });
                self.owner.0.update_reference(env);
            }
        }
    }

    fn uncount(&self) {
        if self.counted.replace(false) {
            let live = &self.owner.0.live_iterators;
            live.set(live.get().saturating_sub(1));
        }
    }

    /// The batched reader's one call per turn (the JS side of `events()`,
    /// see index.js): everything queued, as one string holding one event's
    /// JSON per line, for it to parse and hand out one by one without
    /// crossing to Rust per event (events sniffed from the daemon's lines are
    /// checked by that `JSON.parse`; see `check_event`); else, when the queue
    /// is idle, a promise for the next batch (see
    /// `LoopClient::wake_queue_waiters`); or, should another reader start
    /// waiting meanwhile, for `{ value, done }` as a waiting `next()` (see
    /// `take_or_wait`). `null` when this iterator reads through `next`
    /// instead: not subscribed yet, finished, or other iterators compete for
    /// the queue (then each event goes to whichever asks first).
    pub fn pull(self: &Rc<Self>, env: &Env) -> Result<sys::napi_value> {
        if let Some(batch) = self.take_batch(env)? {
            return Ok(batch);
        }
        let client = &self.owner.0;
        let idle = client.conn.borrow().events().is_empty()
            && !client.conn.borrow().events().is_ended()
            && client.backlog.borrow().is_empty();
        if !self.reads_batches() || !idle {
            return Ok(raw::null(env));
        }
        let (deferred, promise) = Deferred::new(env)?;
        client.queue_waiters.borrow_mut().push(QueueWaiter {
            deferred,
            events: self.clone(),
        });
        client.update_reference(env);
        Ok(promise)
    }

    /// Whether this iterator is the connection's sole reader, subscribed and
    /// not finished: then it takes the queue a batch at a time.
    fn reads_batches(&self) -> bool {
        !self.finished.get()
            && self.subscribe_started.get()
            && self.owner.0.live_iterators.get() == 1
    }

    /// Everything queued as one JS string (see `pull`), or `None`.
    fn take_batch(&self, env: &Env) -> Result<Option<sys::napi_value>> {
        if !self.reads_batches() {
            return Ok(None);
        }
        let client = &self.owner.0;
        let mut items = client.conn.borrow().events().take_all();
        if items.is_empty() && !client.backlog.borrow().is_empty() {
            // The reader emptied the queue while the rest of a read waits for
            // the next turn: it is reading, so feed that rest now.
            client.reader_grace.set(true);
            client.feed_backlog(env);
            items = client.conn.borrow().events().take_all();
        }
        if items.is_empty() {
            return Ok(None);
        }
        let mut text = String::with_capacity(
            items.iter().map(Queued::text_len_hint).sum::<usize>() + items.len(),
        );
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                text.push('\n');
            }
            item.write_text(&mut text);
        }
        client.reader_grace.set(true);
        raw::js_string(env, &text).map(Some)
    }

    /// The JS side stopped with these lines of its batches unused (one
    /// event's JSON each, as `pull` gave them): they go back to the front of
    /// the queue, for the connection's next reader, and are checked as any
    /// sniffed line when read.
    pub fn put_back(&self, env: &Env, lines: &str) {
        let unused: Vec<Queued> = lines
            .split('\n')
            .filter(|line| !line.is_empty())
            .map(|line| Queued::Sniffed(line.into()))
            .collect();
        if !unused.is_empty() {
            self.owner.0.conn.borrow().events().put_back(unused);
            self.owner.0.wake_event_waiters(env);
        }
    }

    /// `return()`: stops; its waiting `next()` calls resolve as done.
    pub fn stop(&self, env: &Env) {
        self.uncount();
        self.finished.set(true);
        self.owner.0.conn.borrow().events().release(self.id);
        self.owner.0.wake_event_waiters(env);
    }
}
