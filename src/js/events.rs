//! The object `client.events()` returns: `next`, `return`, `throw` and
//! `[Symbol.asyncIterator]` returning itself (core-spec §4.3). `next` answers
//! from the queue synchronously when it can, and crosses to Tokio only to wait.

use std::cell::RefCell;
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi::{check_status, sys};
use napi_derive::napi;
use serde_json::Value;

use super::client::ClientHandle;
use super::promise::settle;
use super::raw::{self, JsRef};
use crate::client::{EventItem, EventStream, NextStep};

thread_local! {
    /// `JSON.parse` of the env last seen on this thread.
    static JSON_PARSE: RefCell<Option<(sys::napi_env, JsRef)>> = const { RefCell::new(None) };
}

/// `JSON.parse(text)`, with the function looked up once per env.
fn json_parse(env: &Env, text: &str) -> Result<sys::napi_value> {
    let parse = raw::json_function(env, &JSON_PARSE, "parse")?;
    let text = unsafe { <&str as ToNapiValue>::to_napi_value(env.raw(), text)? };
    raw::call(env, raw::undefined(env), parse, &[text])
        .map_err(|_| Error::from_reason("JSON.parse failed on an event"))
}

/// `{ value, done }` for the async-iterator protocol.
pub struct IterResult(Option<EventItem>);

impl ToNapiValue for IterResult {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        let env = Env::from_raw(env);
        let done = val.0.is_none();
        let value = match &val.0 {
            Some(EventItem::Raw(text)) => json_parse(&env, text.get())?,
            Some(EventItem::Built(v)) => unsafe {
                <&Value as ToNapiValue>::to_napi_value(env.raw(), v)?
            },
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

impl IterResult {
    fn of(item: Option<EventItem>) -> Self {
        IterResult(item)
    }
}

#[napi]
pub struct EventIterator {
    stream: Arc<EventStream>,
    /// Keeps the connection open while the iterator is reachable from JS.
    _client: Arc<ClientHandle>,
}

impl EventIterator {
    pub(crate) fn create<'env>(
        env: &'env Env,
        client: Arc<ClientHandle>,
        opts: Option<Value>,
    ) -> Result<ClassInstance<'env, EventIterator>> {
        let stream = Arc::new(client.client.events(opts));
        let instance = EventIterator {
            stream,
            _client: client,
        }
        .into_instance(env)?;
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
        match self.stream.try_next() {
            NextStep::Item(event) => PromiseRaw::resolve(env, IterResult::of(Some(event))),
            NextStep::Done => PromiseRaw::resolve(env, IterResult::of(None)),
            NextStep::Wait => {
                let stream = self.stream.clone();
                settle(env, async move { stream.next().await }, |_, v| {
                    Ok(IterResult::of(v))
                })
            }
        }
    }

    /// Stops the iterator; its pending `next()` calls resolve as done.
    #[napi(
        js_name = "return",
        ts_return_type = "Promise<IteratorResult<AvenorEvent, undefined>>"
    )]
    pub fn stop<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, IterResult>> {
        self.stream.stop();
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
        self.stream.stop();
        PromiseRaw::reject(env, error)
    }
}
