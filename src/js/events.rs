//! The object `client.events()` returns: `next`, `return`, `throw` and
//! `[Symbol.asyncIterator]` returning itself (core-spec §4.3). `next` answers
//! from the queue synchronously when it can, and crosses to Tokio only to wait.

use std::rc::Rc;
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi::{check_status, sys};
use napi_derive::napi;

use super::client::ClientHandle;
use super::loop_client::LoopEvents;
use super::promise::settle;
use super::raw;
use crate::client::{check_sniffed_event, EventItem, EventStream, NextStep};

/// `{ value, done }` for the async-iterator protocol.
pub struct IterResult(Option<EventItem>);

impl ToNapiValue for IterResult {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        let env = Env::from_raw(env);
        let done = val.0.is_none();
        let value = match &val.0 {
            // One JSON.parse makes the whole result: fewer Node-API calls per
            // event than building `{ value, done }` member by member.
            Some(EventItem::Raw(text)) => {
                let text = text.get();
                let mut whole = String::with_capacity(text.len() + 24);
                whole.push_str("{\"value\":");
                whole.push_str(text);
                whole.push_str(",\"done\":false}");
                return raw::json_parse(&env, &whole);
            }
            Some(EventItem::Built(v)) => raw::value_to_js(&env, v)?,
            None => raw::undefined(&env),
        };
        let mut object = std::ptr::null_mut();
        check_status!(unsafe { sys::napi_create_object(env.raw(), &mut object) })?;
        let done = unsafe { bool::to_napi_value(env.raw(), done)? };
        check_status!(unsafe {
            sys::napi_set_named_property(env.raw(), object, c"value".as_ptr(), value)
        })?;
        check_status!(unsafe {
            sys::napi_set_named_property(env.raw(), object, c"done".as_ptr(), done)
        })?;
        Ok(object)
    }
}

/// `{ value, done }` as a JS value (`done` when `item` is `None`).
pub fn iter_result(env: &Env, item: Option<EventItem>) -> Result<sys::napi_value> {
    unsafe { IterResult::to_napi_value(env.raw(), IterResult(item)) }
}

impl IterResult {
    fn of(item: Option<EventItem>) -> Self {
        IterResult(item)
    }
}

#[napi]
pub struct EventIterator {
    source: EventSource,
}

/// Where an iterator's events come from. Each holds its connection open while
/// the iterator is reachable from JS.
pub(crate) enum EventSource {
    HostLoop(Rc<LoopEvents>),
    Tokio {
        stream: Arc<EventStream>,
        client: Arc<ClientHandle>,
    },
}

impl EventIterator {
    pub(crate) fn create<'env>(
        env: &'env Env,
        source: EventSource,
    ) -> Result<ClassInstance<'env, EventIterator>> {
        let instance = EventIterator { source }.into_instance(env)?;
        let mut object = instance.as_object(env);
        let symbol_ctor: Unknown = env.get_global()?.get_named_property("Symbol")?;
        let symbol_ctor = symbol_ctor.coerce_to_object()?;
        let async_iterator: Unknown = symbol_ctor.get_named_property("asyncIterator")?;
        let returns_this: Function<(), Unknown> =
            env.create_function_from_closure("asyncIterator", |ctx| ctx.this::<Unknown>())?;
        object.set_property(async_iterator, returns_this)?;
        Ok(instance)
    }
}

#[napi]
impl EventIterator {
    #[napi(ts_return_type = "Promise<IteratorResult<AvenorEvent, undefined>>")]
    pub fn next<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, IterResult>> {
        let stream = match &self.source {
            EventSource::HostLoop(events) => {
                return Ok(PromiseRaw::new(env.raw(), events.next(env)?));
            }
            EventSource::Tokio { stream, client } => (stream, client),
        };
        let (stream, client) = stream;
        // A place in line is taken here, on the calling thread: calls made
        // together are served in the order they were made.
        let place = match stream.try_next() {
            NextStep::Item(event) => return PromiseRaw::resolve(env, IterResult::of(Some(event))),
            NextStep::Done => return PromiseRaw::resolve(env, IterResult::of(None)),
            NextStep::Wait(ticket) => Some(ticket),
            NextStep::Start => None,
        };
        let stream = stream.clone();
        // A waiting next() keeps the connection open (see `Client`).
        let keep = client.clone();
        settle(
            env,
            async move {
                let _keep = keep;
                match place {
                    Some(ticket) => Ok(stream.wait(ticket).await),
                    None => stream.next().await,
                }
            },
            |_, v| Ok(IterResult::of(v)),
        )
    }

    /// Internal to the package's JS entry (not typed): the function its
    /// side of the iterator calls once per turn for the next batch (see
    /// `LoopEvents::pull`), or `null` for an iterator read by Tokio (every
    /// `next()` is then the addon's own). A plain function, bound to this
    /// iterator once: cheaper to call than a class method, whose receiver
    /// Node-API and napi-rs check at every call.
    #[napi(skip_typescript)]
    pub fn batch_puller<'env>(&self, env: &'env Env) -> Result<Unknown<'env>> {
        let events = match &self.source {
            EventSource::HostLoop(events) => events.clone(),
            EventSource::Tokio { .. } => {
                return Ok(unsafe { Unknown::from_raw_unchecked(env.raw(), raw::null(env)) })
            }
        };
        let pull: Function<(), Unknown> = env.create_function_from_closure("pull", move |ctx| {
            let value = events.pull(ctx.env)?;
            Ok(unsafe { Unknown::from_raw_unchecked(ctx.env.raw(), value) })
        })?;
        Ok(pull.to_unknown())
    }

    /// Internal to the package's JS entry (not typed): the lines of its
    /// batches it did not use go back to the queue (see `LoopEvents::put_back`).
    #[napi(skip_typescript)]
    pub fn put_back(&self, env: &Env, lines: String) {
        if let EventSource::HostLoop(events) = &self.source {
            events.put_back(env, &lines);
        }
    }

    /// Internal to the package's JS entry (not typed): a line of a batch that
    /// `JSON.parse` refused, as the client reads the daemon's line it came
    /// from: its event, or `null` when that line is not one (it is skipped).
    #[napi(skip_typescript)]
    pub fn check_event(&self, env: &Env, line: String) -> Result<Unknown<'_>> {
        let value = match check_sniffed_event(&line) {
            Some(params) => raw::json_parse(env, params.get())?,
            None => raw::null(env),
        };
        Ok(unsafe { Unknown::from_raw_unchecked(env.raw(), value) })
    }

    /// Stops the iterator; its pending `next()` calls resolve as done.
    #[napi(
        js_name = "return",
        ts_return_type = "Promise<IteratorResult<AvenorEvent, undefined>>"
    )]
    pub fn stop<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, IterResult>> {
        self.stop_source(env);
        PromiseRaw::resolve(env, IterResult::of(None))
    }

    /// Stops the iterator and rejects with `error`.
    #[napi(
        js_name = "throw",
        ts_return_type = "Promise<IteratorResult<AvenorEvent, undefined>>"
    )]
    pub fn throw_error<'env>(
        &self,
        env: &'env Env,
        error: Unknown<'env>,
    ) -> Result<PromiseRaw<'env, IterResult>> {
        self.stop_source(env);
        PromiseRaw::reject(env, error)
    }
}

impl EventIterator {
    fn stop_source(&self, env: &Env) {
        match &self.source {
            EventSource::HostLoop(events) => events.stop(env),
            EventSource::Tokio { stream, .. } => stream.stop(),
        }
    }
}
