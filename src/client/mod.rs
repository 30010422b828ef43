//! The control-socket client: one Unix-socket connection, request ids, reply
//! routing, the event queue and the connection's subscription.

mod direct_write;
pub mod driven;
mod event_queue;
mod event_stream;
mod framing;
pub mod large_reply;
mod line_splitter;
pub mod methods;
pub mod os_error;
mod routing;
mod subscription;
mod write_queue;

use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Map, Value};
use tokio::io::BufReader;
use tokio::net::unix::OwnedReadHalf;
use tokio::net::UnixStream;

use crate::error::{CoreError, CoreResult};
pub use event_queue::{EventItem, Queued, Take, WaitTicket, EVENT_QUEUE_CAPACITY};
pub use event_stream::{EventStream, NextStep};
use framing::{encode_request, oversized_request, MAX_REQUEST_LINE};
use routing::PendingCalls;
pub use subscription::{normalize_history, SubscribeStep, ALREADY_SUBSCRIBED};
// Public for the fuzz targets (fuzz/) only: the line reader and classifier.
#[doc(hidden)]
pub use framing::{
    check_sniffed_event, classify_line, read_line, sniff_event, sniff_reply, Incoming,
};
#[doc(hidden)]
pub use line_splitter::LineSplitter;
use subscription::Subscription;

pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_millis(30_000);
pub const CLOSED: &str = "control socket is closed";
pub const CONNECTION_CLOSED: &str = "read response: connection closed";
pub const TIMEOUT: &str = "read response: timeout";

/// A connection to the daemon. Cheap to clone; all clones share the connection.
#[derive(Clone)]
pub struct ControlClient {
    shared: Arc<Shared>,
}

struct Shared {
    writes: write_queue::WriteQueue,
    /// A duplicate of the socket's descriptor, used only to shut the connection
    /// down from `close()` without waiting for a writer or the reader task.
    shutdown_fd: OwnedFd,
    pending: PendingCalls,
    events: event_queue::EventQueue,
    subscription: Mutex<Subscription>,
    next_id: AtomicU64,
    next_iterator_id: AtomicU64,
    closed: AtomicBool,
    /// `close()` was called (not merely the connection lost): a new event
    /// iterator then rejects instead of draining what is queued.
    close_called: AtomicBool,
    /// Set when the read loop has ended (the daemon closed its side).
    read_ended: tokio::sync::watch::Sender<bool>,
    call_timeout: Duration,
}

/// `write request: <reason>`, the original's text for a failed write.
fn write_failed_error(e: &std::io::Error) -> CoreError {
    CoreError::plain(format!(
        "write request: {}",
        os_error::describe(e, "write", None)
    ))
}

/// Connects to `socket_path`; no retry and no connect timeout of its own.
pub async fn dial(socket_path: &str, call_timeout: Duration) -> CoreResult<ControlClient> {
    let stream = connect(socket_path).await?;
    let shutdown_fd = duplicate(&stream)?;
    let (read_half, write_half) = stream.into_split();
    let shared = Arc::new_cyclic(|weak: &std::sync::Weak<Shared>| {
        let weak = weak.clone();
        // A queued request that could not be written fails its own call.
        let on_write_error: write_queue::OnWriteError = Box::new(move |id, e| {
            if let Some(shared) = weak.upgrade() {
                shared.closed.store(true, Ordering::SeqCst);
                shared.pending.resolve(id, Err(write_failed_error(&e)));
            }
        });
        Shared {
            writes: write_queue::WriteQueue::new(write_half, on_write_error),
            shutdown_fd,
            pending: PendingCalls::default(),
            events: event_queue::EventQueue::default(),
            subscription: Mutex::new(Subscription::default()),
            next_id: AtomicU64::new(1),
            next_iterator_id: AtomicU64::new(1),
            closed: AtomicBool::new(false),
            close_called: AtomicBool::new(false),
            read_ended: tokio::sync::watch::channel(false).0,
            call_timeout,
        }
    });
    tokio::spawn(read_loop(shared.clone(), read_half));
    Ok(ControlClient { shared })
}

/// The connection to the control socket at `socket_path`.
pub async fn connect(socket_path: &str) -> CoreResult<UnixStream> {
    UnixStream::connect(socket_path).await.map_err(|e| {
        CoreError::plain(format!(
            "dial control socket: {}",
            os_error::describe(&e, "connect", Some(socket_path))
        ))
    })
}

/// A second descriptor of the same connection (close-on-exec).
pub fn duplicate(stream: &impl std::os::fd::AsFd) -> CoreResult<OwnedFd> {
    stream.as_fd().try_clone_to_owned().map_err(|e| {
        CoreError::plain(format!(
            "dial control socket: {}",
            os_error::describe(&e, "dup", None)
        ))
    })
}

async fn read_loop(shared: Arc<Shared>, read_half: OwnedReadHalf) {
    let mut reader = BufReader::with_capacity(64 * 1024, read_half);
    let mut line = Vec::new();
    loop {
        match read_line(&mut reader, &mut line).await {
            Ok(true) => match classify_line(&line) {
                Incoming::Reply { id, outcome } => shared.pending.resolve(id, outcome),
                Incoming::Event(event) => shared.events.push(EventItem::Raw(event)),
                Incoming::Ignored => {}
            },
            Ok(false) => break,
            Err(e) => {
                if !shared.closed.load(Ordering::SeqCst) {
                    let event = json!({"event": "protocol-error", "message": os_error::describe(&e, "read", None)});
                    shared.events.push(EventItem::Built(event));
                }
                break;
            }
        }
    }
    shared.end();
    shared.read_ended.send_replace(true);
}

/// A call whose request is (being) sent; `finish` completes it.
pub struct PendingCall {
    client: ControlClient,
    id: u64,
    reply: tokio::sync::oneshot::Receiver<routing::Reply>,
    deadline: tokio::time::Instant,
}

impl PendingCall {
    /// Waits for the reply until the call's deadline (the request is written
    /// by then, or queued in call order).
    pub async fn finish(self) -> CoreResult<Option<Value>> {
        let PendingCall {
            client,
            id,
            reply,
            deadline,
        } = self;
        let shared = &client.shared;
        match tokio::time::timeout_at(deadline, reply).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) => Err(CoreError::plain(CONNECTION_CLOSED)),
            Err(_) => {
                shared.pending.forget(id);
                Err(CoreError::plain(TIMEOUT))
            }
        }
    }
}

impl Shared {
    /// The read side is gone: the client is closed, calls fail, readers finish.
    fn end(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.pending.end(CoreError::plain(CONNECTION_CLOSED));
        self.events.end();
    }
}

impl ControlClient {
    /// Sends one request and waits for its reply (`None` when the reply had no `result`).
    pub async fn call(&self, method: &str, params: Option<Value>) -> CoreResult<Option<Value>> {
        self.start_call(method, params.as_ref())?.finish().await
    }

    /// Registers a call and writes its request at once when the socket takes it
    /// without waiting, so a caller on the JS thread needs no hop to Tokio to send;
    /// the rest happens in [`PendingCall::finish`].
    pub fn start_call(&self, method: &str, params: Option<&Value>) -> CoreResult<PendingCall> {
        let shared = &self.shared;
        if shared.closed.load(Ordering::SeqCst) {
            return Err(CoreError::plain(CLOSED));
        }
        let id = shared.next_id.fetch_add(1, Ordering::SeqCst);
        let line = encode_request(id, method, params);
        if line.len() > MAX_REQUEST_LINE {
            return Err(CoreError::plain(oversized_request(method, line.len())));
        }
        let reply = shared.pending.register(id)?;
        let deadline = tokio::time::Instant::now() + shared.call_timeout;
        if let Err(e) = shared.writes.send(id, line) {
            shared.pending.forget(id);
            return Err(self.write_failed(&e));
        }
        Ok(PendingCall {
            client: self.clone(),
            id,
            reply,
            deadline,
        })
    }

    fn write_failed(&self, e: &std::io::Error) -> CoreError {
        self.shared.closed.store(true, Ordering::SeqCst);
        write_failed_error(e)
    }

    /// `call` for methods whose params are an object built by the caller.
    pub async fn call_with(
        &self,
        method: &str,
        params: Map<String, Value>,
    ) -> CoreResult<Option<Value>> {
        self.call(method, Some(Value::Object(params))).await
    }

    /// Subscribes this connection once (see `Subscription`).
    pub async fn subscribe(&self, opts: Option<&Value>) -> CoreResult<()> {
        let step = self
            .shared
            .subscription
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .request(opts)?;
        match step {
            SubscribeStep::AlreadyDone => Ok(()),
            SubscribeStep::Send(params) => self
                .call("subscribe", params.map(Value::Object))
                .await
                .map(drop),
        }
    }

    /// A new event iterator over this connection's queue.
    pub fn events(&self, opts: Option<Value>) -> EventStream {
        let id = self.shared.next_iterator_id.fetch_add(1, Ordering::SeqCst);
        EventStream::new(self.clone(), id, opts)
    }

    pub fn is_closed(&self) -> bool {
        self.shared.closed.load(Ordering::SeqCst)
    }

    /// True once `close()` was called on any clone.
    pub fn close_called(&self) -> bool {
        self.shared.close_called.load(Ordering::SeqCst)
    }

    /// Closes the connection at once; idempotent, never fails.
    pub fn close(&self) {
        self.shared.close_called.store(true, Ordering::SeqCst);
        self.shared.closed.store(true, Ordering::SeqCst);
        // SAFETY: shutdown on a descriptor this struct owns.
        unsafe { libc::shutdown(self.shared.shutdown_fd.as_raw_fd(), libc::SHUT_RDWR) };
        self.shared.end();
    }

    /// Closes after the daemon has seen the end of the connection, waiting at
    /// most `limit`: the daemon releases its owner (protocol §2.1) when it sees
    /// the connection end, so a mutating call on a new connection right after
    /// would otherwise race that release and fail with -32010.
    pub async fn close_and_wait(&self, limit: Duration) {
        let mut ended = self.shared.read_ended.subscribe();
        if !self.shared.closed.load(Ordering::SeqCst) {
            // SAFETY: shutdown on a descriptor this struct owns.
            unsafe { libc::shutdown(self.shared.shutdown_fd.as_raw_fd(), libc::SHUT_WR) };
            let _ = tokio::time::timeout(limit, ended.wait_for(|done| *done)).await;
        }
        self.close();
    }

    pub(crate) fn take_event(&self, iterator: u64) -> Take {
        self.shared.events.take(iterator)
    }

    pub(crate) fn release_iterator(&self, iterator: u64) {
        self.shared.events.release(iterator)
    }
}
