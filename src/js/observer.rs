//! `observeRun(client, options)` (core-spec §15.4): pulls `client.events(...)` on
//! the JS thread, folds each event into a Rust `RunReducer`, and hands snapshots
//! to listeners and to waiting `next(predicate?)` calls.
//!
//! The loop is driven by the iterator's own promises, so it works with any object
//! whose `events()` returns an async iterator or iterable, and nothing but a
//! pending `next()` of the iterator keeps the process alive; `close()` returns
//! the iterator, which ends that too.
//! Choice: a listener that throws is ignored (it cannot break the stream).

use std::cell::RefCell;
use std::rc::Rc;

use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;
use serde_json::{Map, Value};

use super::json::json_of;
use super::raw::{self, Deferred, JsRef};
use crate::observe;

struct Waiter {
    predicate: Option<JsRef>,
    deferred: Deferred,
}

struct State {
    reducer: observe::RunReducer,
    snapshot: Value,
    listeners: Vec<(u32, JsRef)>,
    next_listener: u32,
    waiters: Vec<Waiter>,
    close_waiters: Vec<Deferred>,
    iterator: Option<JsRef>,
    client: Option<JsRef>,
    close_client: bool,
    closed: bool,
    finished: bool,
    error: Option<JsRef>,
}

type Shared = Rc<RefCell<State>>;

/// Follows one run and keeps its snapshot.
#[napi]
pub struct RunObserver {
    state: Shared,
}

fn to_js(env: &Env, v: &Value) -> Result<sys::napi_value> {
    raw::value_to_js(env, v)
}

/// `client.events(...)` options from `observeRun` options.
fn stream_options(opts: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    if let Some(rt) = opts
        .get("runtime_id")
        .filter(|v| crate::jsval::is_truthy(v))
    {
        out.insert("runtime_id".into(), rt.clone());
        out.insert(
            "replay".into(),
            opts.get("replay").cloned().unwrap_or(Value::Bool(true)),
        );
    } else if let Some(replay) = opts.get("replay") {
        out.insert("replay".into(), replay.clone());
    }
    for key in ["limit", "after_seq"] {
        if let Some(v) = opts.get(key) {
            out.insert(key.into(), v.clone());
        }
    }
    out
}

/// Starts observing `client` (any object with `events(options)`).
#[napi(
    ts_args_type = "client: RunObserverClient, options?: ObserveRunOptions",
    ts_return_type = "RunObserver"
)]
pub fn observe_run(env: &Env, client: Object, options: Option<Unknown>) -> Result<RunObserver> {
    let opts = match json_of(options) {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    let reducer =
        observe::RunReducer::new(opts.get("reducer_limits"), opts.get("initial_snapshot"));
    let snapshot = reducer.snapshot();
    let stream_opts = Value::Object(stream_options(&opts));
    let client_raw = client.raw();
    let iterator = match raw::call_method(env, client_raw, "events", &[to_js(env, &stream_opts)?]) {
        Ok(Some(it)) => it,
        Ok(None) => {
            return Err(Error::from_reason(
                "observeRun: client has no events() method",
            ))
        }
        Err(Some(e)) => {
            return Err(Error::from(unsafe {
                Unknown::from_raw_unchecked(env.raw(), e)
            }))
        }
        Err(None) => return Err(Error::from_reason("observeRun: client.events() failed")),
    };
    let iterator = async_iterator_of(env, iterator)?;
    let state = Rc::new(RefCell::new(State {
        reducer,
        snapshot,
        listeners: Vec::new(),
        next_listener: 1,
        waiters: Vec::new(),
        close_waiters: Vec::new(),
        iterator: Some(JsRef::new(env, iterator)?),
        client: Some(JsRef::new(env, client_raw)?),
        close_client: opts.get("close_client") == Some(&Value::Bool(true)),
        closed: false,
        finished: false,
        error: None,
    }));
    pump(env, &state)?;
    Ok(RunObserver { state })
}

/// What to pull from: `value[Symbol.asyncIterator]()` when `events()` gave an
/// async iterable (as `for await` does), else `value` itself, so that an
/// iterator with only `next` keeps working. The original accepted both.
fn async_iterator_of(env: &Env, value: sys::napi_value) -> Result<sys::napi_value> {
    let t = raw::type_of(env, value);
    if t != sys::ValueType::napi_object && t != sys::ValueType::napi_function {
        return Ok(value);
    }
    let symbol = raw::property(env, env.get_global()?.raw(), "Symbol")?;
    let key = raw::property(env, symbol, "asyncIterator")?;
    let make = raw::property_by_key(env, value, key)?;
    if raw::type_of(env, make) != sys::ValueType::napi_function {
        return Ok(value);
    }
    match raw::call(env, value, make, &[]) {
        Ok(iterator) => Ok(iterator),
        Err(Some(e)) => Err(Error::from(unsafe {
            Unknown::from_raw_unchecked(env.raw(), e)
        })),
        Err(None) => Err(Error::from_reason(
            "observeRun: events()[Symbol.asyncIterator]() failed",
        )),
    }
}

/// Asks the iterator for the next event and continues in its promise's callbacks.
fn pump(env: &Env, state: &Shared) -> Result<()> {
    let Some(iterator) = state
        .borrow()
        .iterator
        .as_ref()
        .map(|r| r.get(env))
        .transpose()?
    else {
        return Ok(());
    };
    let pending = match raw::call_method(env, iterator, "next", &[]) {
        Ok(Some(p)) => p,
        Ok(None) => return finish(env, state, None),
        Err(e) => return finish(env, state, Some(e.unwrap_or_else(|| raw::undefined(env)))),
    };
    // Promise.resolve(pending).then(onEvent, onError): also accepts non-promises.
    let global = env.get_global()?.raw();
    let promise_ctor = raw::property(env, global, "Promise")?;
    let settled = match raw::call_method(env, promise_ctor, "resolve", &[pending]) {
        Ok(Some(p)) => p,
        _ => return Err(Error::from_reason("Promise.resolve failed")),
    };
    let on_event: Function<(), ()> = {
        let state = state.clone();
        env.create_function_from_closure("observeRunOnEvent", move |ctx| {
            let result: Unknown = ctx.get(0)?;
            on_result(ctx.env, &state, result.raw())
        })?
    };
    let on_error: Function<(), ()> = {
        let state = state.clone();
        env.create_function_from_closure("observeRunOnError", move |ctx| {
            let reason: Unknown = ctx.get(0)?;
            finish(ctx.env, &state, Some(reason.raw()))
        })?
    };
    let _ = raw::call_method(env, settled, "then", &[on_event.raw(), on_error.raw()]);
    Ok(())
}

fn on_result(env: &Env, state: &Shared, result: sys::napi_value) -> Result<()> {
    let is_object = raw::type_of(env, result) == sys::ValueType::napi_object;
    let done = !is_object || raw::is_truthy(env, raw::property(env, result, "done")?);
    if done {
        return finish(env, state, None);
    }
    let event_js = raw::property(env, result, "value")?;
    let event = json_of(Some(unsafe {
        Unknown::from_raw_unchecked(env.raw(), event_js)
    }));
    if let Some(event) = event {
        let snapshot = {
            let mut st = state.borrow_mut();
            let snapshot = st.reducer.apply(&event);
            st.snapshot = snapshot.clone();
            snapshot
        };
        deliver(env, state, &snapshot, event_js)?;
    }
    pump(env, state)
}

/// Calls the listeners and settles the `next()` calls whose predicate holds.
/// No `RefCell` borrow is held while JS runs (a listener may call back in).
fn deliver(env: &Env, state: &Shared, snapshot: &Value, event_js: sys::napi_value) -> Result<()> {
    let snapshot_js = to_js(env, snapshot)?;
    let listeners: Vec<sys::napi_value> = state
        .borrow()
        .listeners
        .iter()
        .filter_map(|(_, r)| r.get(env).ok())
        .collect();
    let undefined = raw::undefined(env);
    for listener in listeners {
        let _ = raw::call(env, undefined, listener, &[snapshot_js, event_js]);
    }
    let waiters = std::mem::take(&mut state.borrow_mut().waiters);
    let mut still_waiting = Vec::new();
    for waiter in waiters {
        let satisfied = match &waiter.predicate {
            None => true,
            Some(p) => match raw::call(env, undefined, p.get(env)?, &[snapshot_js]) {
                Ok(v) => raw::is_truthy(env, v),
                Err(e) => {
                    waiter.deferred.reject(env, e.unwrap_or(undefined));
                    continue;
                }
            },
        };
        if satisfied {
            waiter.deferred.resolve(env, to_js(env, snapshot)?);
            if let Some(p) = waiter.predicate {
                p.release(env);
            }
        } else {
            still_waiting.push(waiter);
        }
    }
    state.borrow_mut().waiters.extend(still_waiting);
    Ok(())
}

/// The stream ended (`error` = its rejection): settle everyone, drop references.
fn finish(env: &Env, state: &Shared, error: Option<sys::napi_value>) -> Result<()> {
    let (waiters, close_waiters, iterator) = {
        let mut st = state.borrow_mut();
        if st.finished {
            return Ok(());
        }
        st.finished = true;
        if let Some(e) = error {
            st.error = Some(JsRef::new(env, e)?);
        }
        (
            std::mem::take(&mut st.waiters),
            std::mem::take(&mut st.close_waiters),
            st.iterator.take(),
        )
    };
    for waiter in waiters {
        match error {
            Some(e) => waiter.deferred.reject(env, e),
            None => waiter.deferred.resolve(env, raw::null(env)),
        }
        if let Some(p) = waiter.predicate {
            p.release(env);
        }
    }
    for d in close_waiters {
        d.resolve(env, raw::undefined(env));
    }
    if let Some(it) = iterator {
        it.release(env);
    }
    Ok(())
}

#[napi]
impl RunObserver {
    /// The next snapshot that satisfies `predicate` (any, without one); `null`
    /// once the stream ended or the observer closed; rejects on a stream error.
    #[napi(
        ts_args_type = "predicate?: (snapshot: RunSnapshot) => boolean",
        ts_return_type = "Promise<RunSnapshot | null>"
    )]
    pub fn next(
        &self,
        env: &Env,
        predicate: Option<Function<Unknown, Unknown>>,
    ) -> Result<Unknown<'_>> {
        let (deferred, promise) = Deferred::new(env)?;
        let mut st = self.state.borrow_mut();
        if st.finished || st.closed {
            match st.error.as_ref().map(|e| e.get(env)).transpose()? {
                Some(e) => deferred.reject(env, e),
                None => deferred.resolve(env, raw::null(env)),
            }
        } else {
            let predicate = predicate.map(|p| JsRef::new(env, p.raw())).transpose()?;
            st.waiters.push(Waiter {
                predicate,
                deferred,
            });
        }
        Ok(unsafe { Unknown::from_raw_unchecked(env.raw(), promise) })
    }

    /// The current snapshot.
    #[napi(ts_return_type = "RunSnapshot")]
    pub fn snapshot(&self) -> Value {
        self.state.borrow().snapshot.clone()
    }

    /// Calls `listener(snapshot, event)` on every change; returns the unsubscribe function.
    #[napi(
        ts_args_type = "listener: (snapshot: RunSnapshot, event: Event) => void",
        ts_return_type = "() => void"
    )]
    pub fn subscribe<'env>(
        &self,
        env: &'env Env,
        listener: Function<Unknown, Unknown>,
    ) -> Result<Function<'env, (), ()>> {
        let id = {
            let mut st = self.state.borrow_mut();
            let id = st.next_listener;
            st.next_listener += 1;
            st.listeners.push((id, JsRef::new(env, listener.raw())?));
            id
        };
        let state = self.state.clone();
        env.create_function_from_closure("unsubscribe", move |ctx| {
            let removed: Vec<JsRef> = {
                let mut st = state.borrow_mut();
                let (gone, kept) = std::mem::take(&mut st.listeners)
                    .into_iter()
                    .partition(|(i, _)| *i == id);
                st.listeners = kept;
                gone.into_iter().map(|(_, r)| r).collect()
            };
            for r in removed {
                r.release(ctx.env);
            }
            Ok(())
        })
    }

    /// True once `close()` was called or the stream ended.
    #[napi(getter)]
    pub fn closed(&self) -> bool {
        let st = self.state.borrow();
        st.closed || st.finished
    }

    /// Returns the iterator, ends pending `next()` calls, closes the client when
    /// `close_client` was set, and resolves once the loop has stopped.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn close(&self, env: &Env) -> Result<Unknown<'_>> {
        let (deferred, promise) = Deferred::new(env)?;
        let (first_close, iterator, client, waiters) = {
            let mut st = self.state.borrow_mut();
            let first = !st.closed;
            st.closed = true;
            let iterator = if first {
                st.iterator.as_ref().map(|r| r.get(env)).transpose()?
            } else {
                None
            };
            let client = if first && st.close_client {
                st.client.take()
            } else {
                None
            };
            (first, iterator, client, std::mem::take(&mut st.waiters))
        };
        for waiter in waiters {
            waiter.deferred.resolve(env, raw::null(env));
            if let Some(p) = waiter.predicate {
                p.release(env);
            }
        }
        if first_close {
            if let Some(it) = iterator {
                let _ = raw::call_method(env, it, "return", &[]);
            }
            if let Some(c) = client {
                let _ = raw::call_method(env, c.get(env)?, "close", &[]);
                c.release(env);
            }
        }
        if self.state.borrow().finished {
            deferred.resolve(env, raw::undefined(env));
        } else {
            self.state.borrow_mut().close_waiters.push(deferred);
        }
        Ok(unsafe { Unknown::from_raw_unchecked(env.raw(), promise) })
    }
}
