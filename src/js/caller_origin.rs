//! Where a client call's rejection says it came from, at a price the hot path
//! can pay. Capturing a stack when each call starts (an Error per call) costs
//! 6–17 µs per call in V8 (Node: the capture summarises optimised frames),
//! more than a plain-JS client's whole round trip, and about 0.5 µs in
//! JavaScriptCore (Bun), a tenth of a call's work there. So the frames are
//! made when the call rejects, from the engine's async stack, which names
//! every caller awaiting the call (`at async caller`):
//! * in Node the promise handed out is the call's own promise chained through
//!   a native rejection handler, which makes the frames inside its reaction
//!   job, where V8's async stack is available;
//! * in Bun, JavaScriptCore has an async stack only inside a resumed async
//!   function, so `index.js` wraps each `Client` method in one and makes the
//!   frames there; the addon records nothing.
//!
//! A caller that awaits gets its frames; one that does not gets the message.
//! Calls no JS wraps (an iterator's own `subscribe`) still capture in Bun.

use std::cell::RefCell;
use std::ptr;

use napi::bindgen_prelude::*;
use napi::{check_status, sys};

use super::promise::{lend_frames, CallerStack};
use super::raw::{self, Deferred, JsRef};

/// How one call's rejection gets its frames.
pub enum CallerOrigin {
    /// Captured when the call started (Bun, a call no JS wraps).
    Captured(CallerStack),
    /// Made by the rejection handler from V8's async stack (Node).
    Awaited,
    /// Made by the JS wrapper around the call (Bun's `Client` methods).
    MadeInJs,
}

/// Per env: whether to capture eagerly, `Promise.prototype.then` and the handler.
struct Engine {
    env: sys::napi_env,
    eager: bool,
    then: Option<(JsRef, JsRef)>,
}

thread_local! {
    static ENGINE: RefCell<Option<Engine>> = const { RefCell::new(None) };
}

/// This env's engine as cached: whether to capture eagerly, and the `then`
/// function and rejection handler to chain with when not.
fn cached_engine(env: &Env) -> Option<(bool, Option<(sys::napi_value, sys::napi_value)>)> {
    ENGINE.with_borrow(|e| match e {
        Some(e) if e.env == env.raw() => Some((
            e.eager,
            e.then
                .as_ref()
                .and_then(|(t, h)| Some((t.get(env).ok()?, h.get(env).ok()?))),
        )),
        _ => None,
    })
}

fn engine_of(env: &Env) -> Result<(bool, Option<(sys::napi_value, sys::napi_value)>)> {
    if let Some(found) = cached_engine(env) {
        return Ok(found);
    }
    let eager = raw::is_bun(env);
    let then = if eager {
        None
    } else {
        let promise_ctor = raw::property(env, env.get_global()?.raw(), "Promise")?;
        let prototype = raw::property(env, promise_ctor, "prototype")?;
        let then = raw::property(env, prototype, "then")?;
        let handler: Function<(), ()> =
            env.create_function_from_closure("rejectWithCallerFrames", |ctx| {
                let error = ctx.get::<Unknown>(0)?.raw();
                give_async_frames(ctx.env, error);
                let status = unsafe { sys::napi_throw(ctx.env.raw(), error) };
                check_status!(status)?;
                Ok(())
            })?;
        Some((JsRef::new(env, then)?, JsRef::new(env, handler.raw())?))
    };
    ENGINE.set(Some(Engine {
        env: env.raw(),
        eager,
        then,
    }));
    cached_engine(env).ok_or_else(|| Error::from_reason("caller origin: engine not cached"))
}

/// Gives `error` the frames V8 sees now: in a reaction job, the async callers.
fn give_async_frames(env: &Env, error: sys::napi_value) {
    if raw::type_of(env, error) != sys::ValueType::napi_object {
        return;
    }
    let mut here = ptr::null_mut();
    let mut empty = ptr::null_mut();
    unsafe {
        sys::napi_create_string_utf8(env.raw(), c"".as_ptr(), 0, &mut empty);
        sys::napi_create_error(env.raw(), ptr::null_mut(), empty, &mut here);
    }
    if !here.is_null() {
        lend_frames(env, here, error);
    }
}

impl CallerOrigin {
    /// A new call's promise and its origin: returns the promise to hand to JS.
    /// `wrapped_in_js`: the caller is a `Client` method, which `index.js`
    /// wraps in Bun (see the module's comment).
    pub fn start(
        env: &Env,
        wrapped_in_js: bool,
    ) -> Result<(Deferred, sys::napi_value, CallerOrigin)> {
        let (deferred, promise) = Deferred::new(env)?;
        match engine_of(env)? {
            (false, Some((then, handler))) => {
                let chained = raw::call(env, promise, then, &[raw::undefined(env), handler])
                    .map_err(|_| Error::from_reason("Promise.prototype.then failed"))?;
                Ok((deferred, chained, CallerOrigin::Awaited))
            }
            _ if wrapped_in_js => Ok((deferred, promise, CallerOrigin::MadeInJs)),
            _ => Ok((
                deferred,
                promise,
                CallerOrigin::Captured(CallerStack::capture(env)?),
            )),
        }
    }

    /// Rejects with `error`, which gets the caller's frames (now or in the handler).
    pub fn reject(self, env: &Env, deferred: Deferred, error: sys::napi_value) {
        if let CallerOrigin::Captured(stack) = &self {
            stack.lend(env, error);
        }
        deferred.reject(env, error);
        self.release(env);
    }

    pub fn release(self, env: &Env) {
        if let CallerOrigin::Captured(stack) = self {
            stack.release(env);
        }
    }
}
