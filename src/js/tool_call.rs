//! Starting tool calls from JS. Exported tools settle a Rust future. The
//! workflow factories `create<Name>Tool(getSupervisorClient)` validate with the
//! same Rust code, then, for an explicit `supervisorId`, drive the JS client
//! that the caller's `getSupervisorClient` returned, by chaining promises on the
//! JS thread; without one they take the exported tool's own path.

use std::future::Future;

use napi::bindgen_prelude::*;
use napi::sys;
use serde_json::Value;

use super::errors::to_napi_error;
use super::exit_hooks;
use super::promise::{settle_json, Json};
use crate::error::CoreResult;
use crate::tools::args::args_of;
use crate::tools::workflow::{self, CallArg, ClientCall, WorkflowTool};

/// Settles a tool future as plain JSON. Tools may start the daemon, so the
/// exit hooks are registered first.
pub fn settle_tool<'env, Fut>(env: &'env Env, fut: Fut) -> Result<PromiseRaw<'env, Json>>
where
    Fut: Future<Output = CoreResult<Option<Value>>> + Send + 'static,
{
    before_daemon_call(env)?;
    settle_json(env, fut)
}

/// What a call that may start the daemon needs first (every tool,
/// `Supervisor.get`): the exit hooks, and `process.env` copied to Rust.
pub fn before_daemon_call(env: &Env) -> Result<()> {
    exit_hooks::ensure_registered(env)?;
    super::process_env::sync(env)
}

/// Runs `tool(args)` for an exported tool that takes one argument object.
pub fn run_tool<'env, F, Fut>(
    env: &'env Env,
    args: Option<Value>,
    tool: F,
) -> Result<PromiseRaw<'env, Json>>
where
    F: FnOnce(crate::tools::args::Args) -> Fut,
    Fut: Future<Output = CoreResult<Value>> + Send + 'static,
{
    let fut = tool(args_of(args));
    settle_tool(env, async move { fut.await.map(Some) })
}

/// `statusTool(args)`: its common call on the host's loop when it can be
/// (`status_on_host_loop`), else on Tokio like the other tools.
pub fn run_status_tool<'env>(
    env: &'env Env,
    args: Option<Value>,
) -> Result<PromiseRaw<'env, Json>> {
    before_daemon_call(env)?;
    let args = args_of(args);
    if let Some(promise) = super::status_on_host_loop::try_status(env, &args)? {
        return Ok(PromiseRaw::new(env.raw(), promise));
    }
    let fut = crate::tools::status::status_tool(args);
    settle_json(env, async move { fut.await.map(Some) })
}

/// A JS value passed through untouched. Closures with a fixed return type
/// (`create_function_from_closure`, promise callbacks) cannot name the scope
/// they run in, so they hand back the raw handle, valid until they return.
pub struct Raw(pub(crate) sys::napi_value);

impl ToNapiValue for Raw {
    unsafe fn to_napi_value(_env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        Ok(val.0)
    }
}

impl FromNapiValue for Raw {
    unsafe fn from_napi_value(_env: sys::napi_env, value: sys::napi_value) -> Result<Self> {
        Ok(Raw(value))
    }
}

impl ToNapiValue for CallArg {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        match val {
            CallArg::Json(v) => super::raw::value_to_js(&Env::from_raw(env), &v),
            CallArg::Undefined => unsafe { Undefined::to_napi_value(env, ()) },
        }
    }
}

/// `getSupervisorClient(supervisorId)` → `{ client, isSingleton }`, or a promise of it.
pub type GetSupervisorClient<'env> = Function<'env, String, Raw>;

/// The function a `create<Name>Tool` factory returns: `(args) => Promise<result>`.
pub type FactoryTool<'env> = Function<'env, Unknown<'env>, Raw>;

/// Builds the tool function of a factory. `getSupervisorClient` is kept by
/// reference for as long as the returned function lives.
pub fn workflow_factory<'env>(
    env: &'env Env,
    name: &str,
    get_supervisor_client: GetSupervisorClient<'env>,
    tool: WorkflowTool,
) -> Result<FactoryTool<'env>> {
    let get = get_supervisor_client.create_ref()?;
    env.create_function_from_closure(name, move |ctx| {
        let env = *ctx.env;
        let args = if ctx.length() == 0 {
            None
        } else {
            ctx.get::<Option<Value>>(0)?
        };
        start(&env, &get, tool, args)
    })
}

fn start(
    env: &Env,
    get: &FunctionRef<String, Raw>,
    tool: WorkflowTool,
    args: Option<Value>,
) -> Result<Raw> {
    // Validation failures reject before any client is asked for.
    let validated = match tool.validate(&args_of(args)) {
        Ok(v) => v,
        Err(e) => return rejected(env, to_napi_error(env, e)),
    };
    match validated.supervisor_id.clone() {
        None => Ok(Raw(settle_tool(env, workflow::execute(validated))?.raw())),
        Some(id) => {
            let call = validated.request.client_call();
            // A synchronous throw of the callback is a rejection, as after `await`.
            let function = get.borrow_back(env)?;
            let id = unsafe { String::to_napi_value(env.raw(), id)? };
            let acquired =
                match super::raw::call(env, super::raw::undefined(env), function.raw(), &[id]) {
                    Ok(v) => resolved::<Unknown<'static>>(env, Raw(v))?,
                    Err(thrown) => rejected_with_thrown(env, thrown)?,
                };
            let settled = acquired.then(move |ctx| Ok(use_client(&ctx.env, ctx.value, call)))?;
            Ok(Raw(settled.raw()))
        }
    }
}

/// Calls the method on the acquired client; every failure is a rejection (a
/// `then` callback's own error would lose the original error object).
fn use_client(env: &Env, pair: Unknown, call: ClientCall) -> Raw {
    match call_and_close(env, pair, call) {
        Ok(p) => p,
        // Only fails with a JS exception pending, which then rejects the promise.
        Err(e) => rejected(env, e).unwrap_or(Raw(std::ptr::null_mut())),
    }
}

const BAD_PAIR: &str = "getSupervisorClient must return { client, isSingleton }";

fn call_and_close(env: &Env, pair: Unknown, call: ClientCall) -> Result<Raw> {
    if pair.get_type()? != ValueType::Object {
        return Err(type_error(BAD_PAIR.into()));
    }
    let pair = Object::from_raw(env.raw(), pair.raw());
    let client: Object = pair
        .get_named_property("client")
        .map_err(|_| type_error(BAD_PAIR.into()))?;
    let is_singleton = pair
        .get_named_property::<Unknown>("isSingleton")?
        .coerce_to_bool()?;
    // Bound before the call, so a client without `close` fails before any RPC.
    let close_method = if is_singleton {
        None
    } else {
        Some(method_of(&client, "close")?)
    };
    let close = close_method.as_ref().map(|m| m.bind(client)).transpose()?;
    let called =
        method_of(&client, call.method).and_then(|m| reflect_apply(env, m, client, call.args));
    let outcome = match called {
        Ok(v) => resolved::<Unknown>(env, v)?,
        Err(e) => PromiseRaw::<Unknown>::reject(env, e)?,
    };
    match close {
        None => Ok(Raw(outcome.raw())),
        Some(close) => {
            // `promise.finally(client.close)`: exactly one close, success or failure.
            let finally: Unknown = outcome.get_named_property("finally")?;
            let mut args = env.create_array(1)?;
            args.set(0, close)?;
            reflect_apply(env, finally, outcome, args)
        }
    }
}

/// `Reflect.apply(f, this, args)`. Unlike `Function::apply`, a JS throw comes
/// back as an error holding the thrown value, with no exception left pending.
fn reflect_apply<F: ToNapiValue, T: ToNapiValue, A: ToNapiValue>(
    env: &Env,
    f: F,
    this: T,
    args: A,
) -> Result<Raw> {
    let reflect: Object = env.get_global()?.get_named_property("Reflect")?;
    let apply: Function<'_, FnArgs<(F, T, A)>, Raw> = reflect.get_named_property("apply")?;
    apply.call(FnArgs::from((f, this, args)))
}

fn method_of<'env>(client: &Object<'env>, name: &str) -> Result<Function<'env, (), Unknown<'env>>> {
    client
        .get_named_property(name)
        .map_err(|_| type_error(format!("client.{name} is not a function")))
}

fn type_error(message: String) -> Error {
    Error::new(Status::InvalidArg, message)
}

/// `Promise.resolve(value)`: adopts a promise or thenable, wraps anything else.
fn resolved<'env, T: FromNapiValue>(env: &'env Env, value: Raw) -> Result<PromiseRaw<'env, T>> {
    let ctor: Unknown = env.get_global()?.get_named_property("Promise")?;
    let resolve: Unknown = Object::from_raw(env.raw(), ctor.raw()).get_named_property("resolve")?;
    let promise = reflect_apply(env, resolve, ctor, vec![value])?;
    Ok(PromiseRaw::new(env.raw(), promise.0))
}

/// A promise rejected with what a callback threw: an Error (any object) as it
/// is; a string, number or other primitive as an Error carrying its text, with
/// the value itself as `cause`.
fn rejected_with_thrown<'env>(
    env: &'env Env,
    thrown: Option<sys::napi_value>,
) -> Result<PromiseRaw<'env, Unknown<'static>>> {
    let Some(thrown) = thrown else {
        return PromiseRaw::reject(env, Error::from_reason("getSupervisorClient failed"));
    };
    let reason = if super::raw::type_of(env, thrown) == sys::ValueType::napi_object {
        thrown
    } else {
        let text = unsafe { Unknown::from_napi_value(env.raw(), thrown) }?
            .coerce_to_string()?
            .into_utf8()?
            .into_owned()?;
        let ctor: Function<'_, String, Unknown> = env.get_global()?.get_named_property("Error")?;
        let error = ctor.new_instance(text)?;
        let mut object = error.coerce_to_object()?;
        object.set_named_property("cause", Raw(thrown))?;
        error.raw()
    };
    super::args::reject(env, super::args::ArgError::Thrown(reason))
        .map(|p| PromiseRaw::new(env.raw(), p.raw()))
}

fn rejected(env: &Env, e: Error) -> Result<Raw> {
    Ok(Raw(PromiseRaw::<Raw>::reject(env, e)?.raw()))
}
