//! `statusTool({ runId })` for a run the running singleton tracks, its most
//! common call, answered on the host's loop. Through Tokio the call paid four
//! thread wakes (the JS thread waking a worker, the daemon's reply waking the
//! reader, the reader the tool, the tool the JS thread), each ~15–30 µs of CPU
//! on a small virtual machine, three times the daemon's own work. Here the
//! tool's steps run on the JS thread (`tools::status::begin_tracked`, then
//! `TrackedCall::end` when the reply arrives) and its one `status` request goes
//! over a connection of this thread's own, read by the host's loop like a
//! `dial()`ed client's. Anything else takes the tool's Tokio path.
//!
//! The connection is opened at the first such call and kept (unreferenced: it
//! keeps no process alive; only a call in flight does) until the singleton is
//! replaced or the connection ends. `status` changes nothing, so a second
//! connection to the singleton's daemon is safe (ownership of mutating calls
//! is per connection, protocol §2.1).

use std::cell::RefCell;
use std::rc::Rc;

use napi::bindgen_prelude::*;
use napi::sys;

use super::host_socket;
use super::loop_client::{LoopClient, LoopOwner, Prepared, Then};
use crate::client::DEFAULT_CALL_TIMEOUT;
use crate::tools::args::Args;
use crate::tools::status::{begin_tracked, TrackedRequest};

/// This thread's connection to the singleton's daemon.
struct Connection {
    env: sys::napi_env,
    supervisor_serial: u64,
    owner: Rc<LoopOwner>,
}

thread_local! {
    static CONNECTION: RefCell<Option<Connection>> = const { RefCell::new(None) };
    /// Per env: whether the host can read a socket on its loop.
    static SUPPORTED: RefCell<Option<(sys::napi_env, bool)>> = const { RefCell::new(None) };
}

/// The promise of the status, or `None` when the call takes the Tokio path.
pub fn try_status(env: &Env, args: &Args) -> Result<Option<sys::napi_value>> {
    if !supported(env) {
        return Ok(None);
    }
    let Some((call, request)) = begin_tracked(args) else {
        return Ok(None);
    };
    let Some(owner) = connection(env, &request) else {
        return Ok(None);
    };
    let then = Then::Native(Box::new(move |reply| call.end(reply)));
    let promise = owner.call(env, "status", Some(&request.params), then)?;
    Ok(Some(promise.raw()))
}

fn supported(env: &Env) -> bool {
    if let Some(known) =
        SUPPORTED.with_borrow(|s| s.and_then(|(e, ok)| (e == env.raw()).then_some(ok)))
    {
        return known;
    }
    let ok = host_socket::supported(env);
    SUPPORTED.set(Some((env.raw(), ok)));
    ok
}

/// The open connection to `request`'s supervisor, dialled if needed; `None`
/// when it cannot be had at once (the Tokio path then dials as it does).
fn connection(env: &Env, request: &TrackedRequest) -> Option<Rc<LoopOwner>> {
    let kept = CONNECTION.with_borrow(|c| {
        c.as_ref()
            .filter(|c| {
                c.env == env.raw()
                    && c.supervisor_serial == request.supervisor_serial
                    && !c.owner.0.is_closed()
            })
            .map(|c| c.owner.clone())
    });
    if kept.is_some() {
        return kept;
    }
    // A connection to a replaced supervisor (or of another env) is let go:
    // dropping its owner shuts it down, which settles what still waits.
    if let Some(old) = CONNECTION.take() {
        if old.env == env.raw() {
            old.owner.0.close(env);
        }
    }
    let stream = connect_now(&request.socket)?;
    let prepared = Prepared::from_stream(stream, DEFAULT_CALL_TIMEOUT).ok()?;
    let client = LoopClient::start(env, prepared).ok()?;
    let owner = Rc::new(LoopOwner(client));
    CONNECTION.set(Some(Connection {
        env: env.raw(),
        supervisor_serial: request.supervisor_serial,
        owner: owner.clone(),
    }));
    Some(owner)
}

/// Connects without waiting: a daemon whose backlog is full (`EAGAIN`) would
/// make a blocking connect stall the JS thread.
fn connect_now(path: &str) -> Option<std::os::unix::net::UnixStream> {
    use socket2::{Domain, SockAddr, Socket, Type};
    // Close-on-exec, as socket2 makes every socket.
    let socket = Socket::new(Domain::UNIX, Type::STREAM, None).ok()?;
    socket.set_nonblocking(true).ok()?;
    socket.connect(&SockAddr::unix(path).ok()?).ok()?;
    Some(socket.into())
}
