//! A connection's descriptor read by Bun's own socket: `Bun.connect({ fd })`
//! adopts a duplicate of the descriptor and Bun's loop calls the handlers
//! given here directly, with no `node:net` stream in between (measured in
//! Bun: host CPU per sequential `status()` call 34 against 42 µs, per call
//! when 64 run at once 6.2 against 7.0 µs). Bun calls `open` before
//! `connect` returns, which is what this relies on; a Bun that does not (or
//! has no `Bun.connect`, or throws) gets the descriptor back to read another
//! way.

use std::cell::{Cell, RefCell};
use std::os::fd::{AsRawFd, IntoRawFd, OwnedFd};
use std::rc::Rc;

use napi::bindgen_prelude::*;
use napi::sys;

use super::host_socket::{listener_functions, JsSocket, Listeners, Opened, SharedListeners};
use super::raw::{self, JsRef};

/// Opens Bun sockets.
pub struct BunSocket;

/// What the handlers share with `open`.
struct Handlers {
    /// Taken back when the socket did not open at once: the handlers then
    /// report nothing.
    listeners: SharedListeners,
    /// The socket `open` reported while `connect` ran.
    opened: RefCell<Option<JsRef>>,
    connecting: Cell<bool>,
}

impl BunSocket {
    /// Starts reading `fd` (owned from then on); gives it and the listeners
    /// back where Bun has no `Bun.connect` or did not open the socket at once.
    pub fn open(env: &Env, fd: OwnedFd, listeners: Listeners) -> Result<Opened<JsSocket>> {
        let bun = raw::property(env, env.get_global()?.raw(), "Bun")?;
        let connect = raw::property(env, bun, "connect")?;
        if raw::type_of(env, connect) != sys::ValueType::napi_function {
            return Ok(Opened::Unavailable(fd, listeners));
        }
        // Bun gets a duplicate: `fd` stays ours until Bun's socket is known
        // to be open, to be read another way if it is not.
        let Ok(adopted) = fd.try_clone() else {
            return Ok(Opened::Unavailable(fd, listeners));
        };
        let shared = Rc::new(Handlers {
            listeners: Rc::new(RefCell::new(Some(listeners))),
            opened: RefCell::new(None),
            connecting: Cell::new(true),
        });
        let mut options = Object::new(env)?;
        options.set_named_property("fd", adopted.as_raw_fd())?;
        options.set_named_property("socket", handlers(env, &shared)?)?;
        let called = raw::call(env, bun, connect, &[options.raw()]);
        shared.connecting.set(false);
        let opened = shared.opened.borrow_mut().take();
        let socket = match (called, opened) {
            (Ok(promise), opened) => {
                // From here Bun owns the duplicate.
                let _ = adopted.into_raw_fd();
                // Failures are reported to the handlers; the promise's own
                // rejection would be unhandled.
                let ignore: Function<(), ()> =
                    env.create_function_from_closure("ignore", |_| Ok(()))?;
                let _ = raw::call_method(env, promise, "catch", &[ignore.raw()]);
                opened
            }
            // Opened, then threw: the socket is Bun's, closed unused.
            (Err(_), Some(socket)) => {
                let _ = adopted.into_raw_fd();
                JsSocket::new(socket, "terminate").destroy(env);
                None
            }
            // Never adopted: the duplicate is closed when dropped.
            (Err(_), None) => None,
        };
        let Some(socket) = socket else {
            let listeners = shared.listeners.borrow_mut().take();
            return match listeners {
                Some(listeners) => Ok(Opened::Unavailable(fd, listeners)),
                None => Err(Error::from_reason("the host could not open the socket")),
            };
        };
        // Bun reads its duplicate; this one is not needed.
        drop(fd);
        if let Ok(handle) = socket.get(env) {
            let _ = raw::call_method(env, handle, "unref", &[]);
        }
        // `terminate`, not `end`: a FIN would shut the connection down for
        // the writer's duplicate too.
        Ok(Opened::Reading(JsSocket::new(socket, "terminate")))
    }
}

/// The `socket` handlers object for `Bun.connect`.
fn handlers<'env>(env: &'env Env, shared: &Rc<Handlers>) -> Result<Object<'env>> {
    let on_open: Function<(), ()> = {
        let shared = shared.clone();
        env.create_function_from_closure("onOpen", move |ctx| {
            let socket = ctx.get::<Unknown>(0)?.raw();
            if shared.connecting.get() {
                *shared.opened.borrow_mut() = Some(JsRef::new(ctx.env, socket)?);
            } else {
                // Too late: the descriptor is being read another way.
                let _ = raw::call_method(ctx.env, socket, "terminate", &[]);
            }
            Ok(())
        })?
    };
    let mut object = Object::new(env)?;
    object.set_named_property("open", on_open)?;
    for (name, handler) in listener_functions(env, &shared.listeners, 1)? {
        object.set_named_property(name, handler)?;
    }
    Ok(object)
}
