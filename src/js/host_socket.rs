//! A connection's descriptor read by the host's event loop. In Node, a poll
//! handle on Node's libuv loop (`uv_poll_reader`): the addon reads when the
//! descriptor is readable. In Bun, Bun's own socket (`bun_socket`). Failing
//! those, the runtime's `node:net` socket object, whose `data`, `end`,
//! `error` and `close` events call native listeners directly: Bun's
//! `net.Socket` constructor ignores `fd`, so Bun would use
//! `net.connect({ fd })` (Node uses `new net.Socket({ fd })`).

use std::cell::{Cell, RefCell};
use std::os::fd::{AsRawFd, IntoRawFd, OwnedFd};

use napi::bindgen_prelude::*;
use napi::sys;

use super::bun_socket::BunSocket;
use super::raw::{self, JsRef};
use super::uv_poll_reader::PollReader;

/// Called with each chunk the socket reads.
pub type OnData = Box<dyn Fn(&Env, &[u8])>;
/// Called when the read side ended; `Some(message)` when it failed.
pub type OnEnded = Box<dyn Fn(&Env, Option<String>)>;

/// The listeners a socket reports to. They run on the JS thread.
pub struct Listeners {
    pub data: OnData,
    pub ended: OnEnded,
}

/// What a reader's `open` did.
pub enum Opened<R> {
    Reading(R),
    /// This host cannot read that way: the descriptor and listeners are
    /// given back.
    Unavailable(OwnedFd, Listeners),
}

pub enum HostSocket {
    Polled(PollReader),
    /// A socket object of the runtime's (Bun's own, or `node:net`'s).
    Object(JsSocket),
}

/// A runtime's socket object, held until `destroy`.
pub struct JsSocket {
    socket: RefCell<Option<JsRef>>,
    paused: Cell<bool>,
    /// The method that closes its descriptor.
    close_method: &'static str,
}

impl JsSocket {
    pub fn new(socket: JsRef, close_method: &'static str) -> Self {
        JsSocket {
            socket: RefCell::new(Some(socket)),
            paused: Cell::new(false),
            close_method,
        }
    }

    fn set_paused(&self, env: &Env, pause: bool) {
        if self.paused.replace(pause) == pause {
            return;
        }
        let handle = self.socket.borrow().as_ref().and_then(|s| s.get(env).ok());
        if let Some(handle) = handle {
            let _ = raw::call_method(env, handle, if pause { "pause" } else { "resume" }, &[]);
        }
    }

    /// Closes its descriptor with `close_method`, once.
    pub fn destroy(&self, env: &Env) {
        let Some(socket) = self.socket.borrow_mut().take() else {
            return;
        };
        if let Ok(handle) = socket.get(env) {
            let _ = raw::call_method(env, handle, self.close_method, &[]);
        }
        socket.release(env);
    }
}

/// Whether this runtime can read a descriptor on its own loop.
pub fn supported(env: &Env) -> bool {
    builtin_module(env, "node:net").is_ok()
}

fn builtin_module(env: &Env, name: &str) -> Result<sys::napi_value> {
    let process = raw::property(env, env.get_global()?.raw(), "process")?;
    let name = unsafe { <&str as ToNapiValue>::to_napi_value(env.raw(), name)? };
    match raw::call_method(env, process, "getBuiltinModule", &[name]) {
        Ok(Some(module)) if raw::type_of(env, module) == sys::ValueType::napi_object => Ok(module),
        _ => Err(Error::from_reason(
            "process.getBuiltinModule is not available",
        )),
    }
}

pub fn thrown_message(env: &Env, thrown: Option<sys::napi_value>) -> String {
    thrown
        .and_then(|v| raw::property(env, v, "message").ok())
        .and_then(|m| unsafe { String::from_napi_value(env.raw(), m) }.ok())
        .unwrap_or_else(|| "the host could not open the socket".into())
}

impl HostSocket {
    /// Hands `fd` to a new host socket (which owns and closes it from then on),
    /// unreferenced for good: what keeps the process alive while a call
    /// waits is the connection's `KeepAlive`, switched without a JS call.
    pub fn open(env: &Env, fd: OwnedFd, listeners: Listeners) -> Result<HostSocket> {
        let (fd, listeners) = match PollReader::open(env, fd, listeners)? {
            Opened::Reading(reader) => return Ok(HostSocket::Polled(reader)),
            Opened::Unavailable(fd, listeners) => (fd, listeners),
        };
        let (fd, listeners) = if raw::is_bun(env) {
            match BunSocket::open(env, fd, listeners)? {
                Opened::Reading(socket) => return Ok(HostSocket::Object(socket)),
                Opened::Unavailable(fd, listeners) => (fd, listeners),
            }
        } else {
            (fd, listeners)
        };
        let net = builtin_module(env, "node:net")?;
        let mut options = Object::new(env)?;
        options.set_named_property("fd", fd.as_raw_fd())?;
        let created = if raw::is_bun(env) {
            raw::call_method(env, net, "connect", &[options.raw()])
                .map(|s| s.unwrap_or(raw::undefined(env)))
        } else {
            // Read only: the addon writes to its own duplicate of the socket.
            options.set_named_property("readable", true)?;
            options.set_named_property("writable", false)?;
            let ctor = raw::property(env, net, "Socket")?;
            raw::construct(env, ctor, &[options.raw()])
        };
        let socket = match created {
            Ok(s) if raw::type_of(env, s) == sys::ValueType::napi_object => s,
            Ok(_) => return Err(Error::from_reason("the host could not open the socket")),
            // `fd` is still ours here and is closed when dropped.
            Err(thrown) => return Err(Error::from_reason(thrown_message(env, thrown))),
        };
        // From here the socket owns the descriptor.
        let _ = fd.into_raw_fd();
        let host = HostSocket::Object(JsSocket::new(JsRef::new(env, socket)?, "destroy"));
        listen(env, socket, listeners)?;
        let _ = raw::call_method(env, socket, "unref", &[]);
        Ok(host)
    }

    /// Stops (or restarts) reading; what was read stays delivered. The
    /// message of a restart that failed (reading is over then).
    pub fn set_paused(&self, env: &Env, pause: bool) -> Option<String> {
        match self {
            HostSocket::Polled(reader) => reader.set_paused(pause),
            HostSocket::Object(socket) => {
                socket.set_paused(env, pause);
                None
            }
        }
    }

    /// Stops reading and closes the descriptor, once. The runtime may call
    /// the `close` listener from inside (Bun does).
    pub fn destroy(&self, env: &Env) {
        match self {
            HostSocket::Polled(reader) => reader.destroy(),
            HostSocket::Object(socket) => socket.destroy(env),
        }
    }
}

/// The listeners' shared cell: emptied (by `bun_socket`) when the socket
/// they were made for is not used after all; they then report nothing.
pub type SharedListeners = std::rc::Rc<RefCell<Option<Listeners>>>;

/// The socket object's `data`, `end`, `error` and `close` callbacks, by
/// name, over `listeners`. The chunk or error is argument `at`: 0 for
/// `node:net`'s events, 1 for Bun's handlers (which get the socket first).
pub fn listener_functions<'env>(
    env: &'env Env,
    listeners: &SharedListeners,
    at: usize,
) -> Result<[(&'static str, Function<'env, (), ()>); 4]> {
    let on_data: Function<(), ()> = {
        let listeners = listeners.clone();
        env.create_function_from_closure("onData", move |ctx| {
            let chunk = ctx.get::<Unknown>(at)?;
            if let (Some(listeners), Some(bytes)) = (
                listeners.borrow().as_ref(),
                raw::byte_view(ctx.env, chunk.raw()),
            ) {
                (listeners.data)(ctx.env, bytes);
            }
            Ok(())
        })?
    };
    let ended = |name: &str, with_error: bool| -> Result<Function<(), ()>> {
        let listeners = listeners.clone();
        env.create_function_from_closure(name, move |ctx| {
            let error = if with_error {
                let thrown = ctx.get::<Unknown>(at)?.raw();
                Some(thrown_message(ctx.env, Some(thrown)))
            } else {
                None
            };
            if let Some(listeners) = listeners.borrow().as_ref() {
                (listeners.ended)(ctx.env, error);
            }
            Ok(())
        })
    };
    Ok([
        ("data", on_data),
        ("end", ended("onEnd", false)?),
        ("error", ended("onError", true)?),
        ("close", ended("onClose", false)?),
    ])
}

/// Puts the listeners on the host's `node:net` socket object.
fn listen(env: &Env, socket: sys::napi_value, listeners: Listeners) -> Result<()> {
    let listeners = std::rc::Rc::new(RefCell::new(Some(listeners)));
    for (event, listener) in listener_functions(env, &listeners, 0)? {
        let name = unsafe { <&str as ToNapiValue>::to_napi_value(env.raw(), event)? };
        raw::call_method(env, socket, "on", &[name, listener.raw()])
            .map_err(|_| Error::from_reason("the host socket refused a listener"))?;
    }
    Ok(())
}
