//! Node only: a connection's descriptor read on Node's own libuv loop through
//! a poll handle, with no JS socket object. When the descriptor is readable
//! the addon reads it itself into one reused buffer and hands each read to the
//! listeners inside a callback scope, whose close runs the promise reactions
//! the read caused, as Node does after any I/O callback. A `net.Socket` costs
//! each read a Buffer, the stream machinery, an event emit and a call into the
//! addon; this costs none of them. The libuv functions are looked up in the
//! running process (Node exports them for addons); where they are missing
//! (Bun), `host_socket` reads through the host's socket object instead.

use std::cell::{Cell, RefCell};
use std::ffi::{c_int, c_void, CStr};
use std::os::fd::{AsRawFd, IntoRawFd, OwnedFd, RawFd};
use std::panic::AssertUnwindSafe;
use std::ptr;
use std::rc::Rc;
use std::sync::OnceLock;

use napi::bindgen_prelude::*;
use napi::sys;

use super::host_socket::{Listeners, Opened};
use super::keep_alive::CONNECTION_RESOURCE_NAME;
use crate::client::os_error;

type PollCallback = unsafe extern "C" fn(handle: *mut c_void, status: c_int, events: c_int);
type CloseCallback = unsafe extern "C" fn(handle: *mut c_void);

type PollInit = unsafe extern "C" fn(*mut c_void, *mut c_void, c_int) -> c_int;
type PollStart = unsafe extern "C" fn(*mut c_void, c_int, PollCallback) -> c_int;
type PollStop = unsafe extern "C" fn(*mut c_void) -> c_int;
type Close = unsafe extern "C" fn(*mut c_void, CloseCallback);
type Unref = unsafe extern "C" fn(*mut c_void);
type HandleSize = unsafe extern "C" fn(c_int) -> usize;

/// The few libuv functions used, as the running process exports them.
struct Uv {
    poll_init: PollInit,
    poll_start: PollStart,
    poll_stop: PollStop,
    close: Close,
    unref: Unref,
    handle_size: HandleSize,
}

/// `UV_POLL` in libuv's `uv_handle_type` (stable across libuv 1.x).
const UV_POLL: c_int = 8;
const UV_READABLE: c_int = 1;
/// Bytes read per `recv`, as Node's own streams read.
const READ_SIZE: usize = 64 * 1024;
/// Reads per wake at most, so one busy connection cannot hold the loop.
const READS_PER_WAKE: usize = 32;

fn uv() -> Option<&'static Uv> {
    static UV: OnceLock<Option<Uv>> = OnceLock::new();
    UV.get_or_init(|| {
        let find = |name: &CStr| {
            // SAFETY: dlsym with a NUL-terminated name; a null result is handled.
            let found = unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) };
            (!found.is_null()).then_some(found)
        };
        // SAFETY: each symbol is libuv's function of that name, whose C
        // signature the field's type states.
        unsafe {
            Some(Uv {
                poll_init: std::mem::transmute::<*mut c_void, PollInit>(find(c"uv_poll_init")?),
                poll_start: std::mem::transmute::<*mut c_void, PollStart>(find(c"uv_poll_start")?),
                poll_stop: std::mem::transmute::<*mut c_void, PollStop>(find(c"uv_poll_stop")?),
                close: std::mem::transmute::<*mut c_void, Close>(find(c"uv_close")?),
                unref: std::mem::transmute::<*mut c_void, Unref>(find(c"uv_unref")?),
                handle_size: std::mem::transmute::<*mut c_void, HandleSize>(find(
                    c"uv_handle_size",
                )?),
            })
        }
    })
    .as_ref()
}

/// What the poll handle's callbacks reach through its `data` member (which
/// holds one count of its `Rc`, given up when libuv has closed the handle; the
/// `PollReader` holds the other).
struct Reader {
    env: sys::napi_env,
    uv: &'static Uv,
    /// The `uv_poll_t`, as words (libuv handles are pointer-aligned).
    handle: Box<[u64]>,
    fd: RawFd,
    /// Dropped once the handle is closed: they hold the connection, which
    /// holds this reader.
    listeners: RefCell<Option<Listeners>>,
    /// The callback scope's resource object and async context; `None` once
    /// the env is being torn down.
    scope: Cell<Option<(sys::napi_ref, sys::napi_async_context)>>,
    paused: Cell<bool>,
    closing: Cell<bool>,
}

/// A descriptor read through a poll handle on Node's loop (see the module).
pub struct PollReader(Rc<Reader>);

impl PollReader {
    /// Starts reading `fd` (owned from then on, closed on failure); gives
    /// it and the listeners back where the host is not Node or no libuv
    /// functions were found.
    pub fn open(env: &Env, fd: OwnedFd, listeners: Listeners) -> Result<Opened<PollReader>> {
        let Some(uv) = uv().filter(|_| !super::raw::is_bun(env)) else {
            return Ok(Opened::Unavailable(fd, listeners));
        };
        let mut event_loop = ptr::null_mut();
        // SAFETY: a valid env; the loop pointer is only handed to libuv.
        let status = unsafe { sys::napi_get_uv_event_loop(env.raw(), &mut event_loop) };
        if status != sys::Status::napi_ok || event_loop.is_null() {
            return Ok(Opened::Unavailable(fd, listeners));
        }
        let Some(scope) = callback_scope_parts(env) else {
            return Ok(Opened::Unavailable(fd, listeners));
        };
        // SAFETY: handle_size is libuv's; the size covers a uv_poll_t.
        let size = unsafe { (uv.handle_size)(UV_POLL) }.max(256);
        let reader = Rc::new(Reader {
            env: env.raw(),
            uv,
            handle: vec![0u64; size.div_ceil(8)].into_boxed_slice(),
            fd: fd.as_raw_fd(),
            listeners: RefCell::new(Some(listeners)),
            scope: Cell::new(Some(scope)),
            paused: Cell::new(false),
            closing: Cell::new(false),
        });
        let handle = reader.handle_ptr();
        // SAFETY: a fresh handle's memory, the loop of this thread, an open fd.
        if unsafe { (uv.poll_init)(event_loop.cast(), handle, reader.fd) } != 0 {
            // Never handed to libuv.
            release_scope(env.raw(), &reader.scope);
            let listeners = reader.listeners.borrow_mut().take();
            return match listeners {
                Some(listeners) => Ok(Opened::Unavailable(fd, listeners)),
                None => Err(Error::from_reason("the host could not open the socket")),
            };
        }
        // From here the handle owns the descriptor (closed in `closed`).
        let _ = fd.into_raw_fd();
        let data = Rc::into_raw(reader.clone());
        // SAFETY: the handle is initialised; `data` is its first member.
        unsafe {
            *handle.cast::<*const Reader>() = data;
            (uv.unref)(handle);
            sys::napi_add_env_cleanup_hook(env.raw(), Some(env_teardown), data.cast_mut().cast());
        }
        let polled = PollReader(reader);
        if let Err(message) = polled.start() {
            polled.destroy();
            return Err(Error::from_reason(message));
        }
        Ok(Opened::Reading(polled))
    }

    /// Starts polling; the message of a failure.
    fn start(&self) -> std::result::Result<(), String> {
        let reader = &self.0;
        if reader.closing.get() {
            return Ok(());
        }
        // SAFETY: an initialised handle not being closed.
        let started = unsafe { (reader.uv.poll_start)(reader.handle_ptr(), UV_READABLE, on_poll) };
        if started == 0 {
            return Ok(());
        }
        let e = std::io::Error::from_raw_os_error(-started);
        Err(os_error::describe(&e, "read", None))
    }

    /// Stops (or restarts) reading; what was read stays delivered. The
    /// message of a restart that failed (reading is over then).
    pub fn set_paused(&self, paused: bool) -> Option<String> {
        let reader = &self.0;
        if reader.closing.get() || reader.paused.replace(paused) == paused {
            return None;
        }
        if paused {
            // SAFETY: an initialised handle not being closed.
            unsafe { (reader.uv.poll_stop)(reader.handle_ptr()) };
            return None;
        }
        self.start().err()
    }

    /// Stops reading and closes the handle; the descriptor is closed when
    /// libuv has closed it.
    pub fn destroy(&self) {
        let reader = &self.0;
        if reader.closing.get() {
            return;
        }
        let data = Rc::as_ptr(reader).cast_mut().cast();
        // SAFETY: removes the hook `open` added with the same argument; the
        // handle is initialised.
        unsafe {
            sys::napi_remove_env_cleanup_hook(reader.env, Some(env_teardown), data);
            close(reader);
        }
    }
}

impl Reader {
    fn handle_ptr(&self) -> *mut c_void {
        self.handle.as_ptr().cast_mut().cast()
    }

    /// The descriptor is readable (or failed, `status` < 0): reads what is
    /// there inside a callback scope.
    fn readable(&self, status: c_int) {
        let Some((resource, context)) = self.scope.get() else {
            return;
        };
        let env = self.env;
        let mut handle_scope = ptr::null_mut();
        let mut callback_scope = ptr::null_mut();
        // SAFETY: the JS thread, outside any other scope (a libuv callback).
        unsafe {
            sys::napi_open_handle_scope(env, &mut handle_scope);
            let mut object = ptr::null_mut();
            sys::napi_get_reference_value(env, resource, &mut object);
            sys::napi_open_callback_scope(env, object, context, &mut callback_scope);
        }
        let js_env = Env::from_raw(env);
        self.read_all(&js_env, status);
        // SAFETY: closes what was opened above, in reverse order.
        unsafe {
            sys::napi_close_callback_scope(env, callback_scope);
            sys::napi_close_handle_scope(env, handle_scope);
        }
    }

    fn read_all(&self, env: &Env, status: c_int) {
        // Borrowed while they run; taken only by `closed`, on a later turn.
        let listeners = self.listeners.borrow();
        let Some(listeners) = listeners.as_ref() else {
            return;
        };
        let ended = READ_BUFFER.with(|cell| {
            // Taken out while listeners run (another connection's read could
            // need one meanwhile; it then makes its own).
            let mut buffer = cell.take();
            buffer.resize(READ_SIZE, 0);
            // After an error libuv polls no more: read all there is now.
            let reads = if status < 0 {
                usize::MAX
            } else {
                READS_PER_WAKE
            };
            let ended = self.read_into(env, listeners, &mut buffer, reads);
            cell.replace(buffer);
            ended
        });
        if status < 0 && !ended && !self.closing.get() && !self.paused.get() {
            // libuv stopped the poll on an error the socket did not report
            // (it says EBADF for any POLLERR): reading is over. (A paused
            // reader polls again when resumed, and sees the error then.)
            let e = std::io::Error::from_raw_os_error(-status);
            (listeners.ended)(env, Some(os_error::describe(&e, "read", None)));
        }
    }

    /// Reads until the socket has nothing more (or `reads` reads are done);
    /// whether it reported the end.
    fn read_into(&self, env: &Env, listeners: &Listeners, buffer: &mut [u8], reads: usize) -> bool {
        for _ in 0..reads {
            if self.paused.get() || self.closing.get() {
                return false;
            }
            // SAFETY: recv into a buffer of its length, on our descriptor.
            let read = unsafe {
                libc::recv(
                    self.fd,
                    buffer.as_mut_ptr().cast(),
                    buffer.len(),
                    libc::MSG_DONTWAIT,
                )
            };
            if read > 0 {
                let read = read as usize;
                (listeners.data)(env, &buffer[..read]);
                if read < buffer.len() {
                    // Drained (the poll is level-triggered: more wakes it again).
                    return false;
                }
                continue;
            }
            if read == 0 {
                (listeners.ended)(env, None);
                return true;
            }
            let e = std::io::Error::last_os_error();
            match e.kind() {
                std::io::ErrorKind::WouldBlock => return false,
                std::io::ErrorKind::Interrupted => continue,
                _ => {
                    (listeners.ended)(env, Some(os_error::describe(&e, "read", None)));
                    return true;
                }
            }
        }
        false
    }
}

thread_local! {
    /// One read buffer per thread, shared by its connections: reads of one
    /// thread never overlap.
    static READ_BUFFER: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// The resource object and async context a callback scope needs.
fn callback_scope_parts(env: &Env) -> Option<(sys::napi_ref, sys::napi_async_context)> {
    let resource = Object::new(env).ok()?.raw();
    let name = super::raw::js_string(env, CONNECTION_RESOURCE_NAME).ok()?;
    let mut reference = ptr::null_mut();
    let mut context = ptr::null_mut();
    // SAFETY: plain Node-API calls on the JS thread; statuses checked.
    unsafe {
        if sys::napi_create_reference(env.raw(), resource, 1, &mut reference)
            != sys::Status::napi_ok
        {
            return None;
        }
        if sys::napi_async_init(env.raw(), resource, name, &mut context) != sys::Status::napi_ok {
            sys::napi_delete_reference(env.raw(), reference);
            return None;
        }
    }
    Some((reference, context))
}

fn release_scope(
    env: sys::napi_env,
    scope: &Cell<Option<(sys::napi_ref, sys::napi_async_context)>>,
) {
    if let Some((reference, context)) = scope.take() {
        // SAFETY: made by `callback_scope_parts` on this env, released once.
        unsafe {
            sys::napi_async_destroy(env, context);
            sys::napi_delete_reference(env, reference);
        }
    }
}

/// Stops the poll and closes the handle (once). The callback scope's parts
/// are released when the handle is closed (a read's scope may still be open
/// now), or at once when the env is going away (`env_teardown`).
///
/// # Safety
/// `reader` is allocated and its handle initialised.
unsafe fn close(reader: &Reader) {
    if reader.closing.replace(true) {
        return;
    }
    (reader.uv.poll_stop)(reader.handle_ptr());
    (reader.uv.close)(reader.handle_ptr(), closed);
}

unsafe extern "C" fn on_poll(handle: *mut c_void, status: c_int, _events: c_int) {
    let reader = *handle.cast::<*const Reader>();
    if reader.is_null() || (*reader).closing.get() {
        return;
    }
    let reader = &*reader;
    // A panic must not unwind into libuv.
    let _ = std::panic::catch_unwind(AssertUnwindSafe(|| reader.readable(status)));
}

/// libuv closed the handle: the descriptor is closed, the handle's count of
/// the reader given up, and the listeners (holding the connection) dropped.
unsafe extern "C" fn closed(handle: *mut c_void) {
    let data = *handle.cast::<*const Reader>();
    if data.is_null() {
        return;
    }
    let reader = Rc::from_raw(data);
    release_scope(reader.env, &reader.scope);
    libc::close(reader.fd);
    let listeners = reader.listeners.borrow_mut().take();
    // The handle's memory is the reader's: freed last, if this was the last count.
    drop(listeners);
    drop(reader);
}

/// The env is going away with the handle open (a worker ending, say).
unsafe extern "C" fn env_teardown(reader: *mut c_void) {
    let reader = &*reader.cast::<Reader>().cast_const();
    let _ = std::panic::catch_unwind(AssertUnwindSafe(|| {
        release_scope(reader.env, &reader.scope);
        close(reader);
    }));
}
