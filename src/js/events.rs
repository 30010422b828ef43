//! The object `client.events()` returns: `next`, `return`, `throw` and
//! `[Symbol.asyncIterator]` returning itself (core-spec §4.3). `next` answers
//! from the queue synchronously when it can, and crosses to Tokio only to wait.

use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;

use super::client::ClientHandle;
use super::promise::settle;
use crate::client::{EventStream, NextStep};

#[napi(object)]
pub struct IterResult {
    pub value: Option<Value>,
    pub done: bool,
}

impl IterResult {
    fn of(value: Option<Value>) -> Self {
        let done = value.is_none();
        IterResult { value, done }
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
    #[napi(js_name = "throw", ts_return_type = "Promise<never>")]
    pub fn throw_error<'env>(
        &self,
        env: &'env Env,
        error: Unknown<'env>,
    ) -> Result<PromiseRaw<'env, IterResult>> {
        self.stream.stop();
        PromiseRaw::reject(env, error)
    }
}
