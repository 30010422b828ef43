//! Turns a `CoreError` into the JS error the original threw: a plain `Error`
//! with the exact message, an `AggregateError` with `.errors`, an Error named
//! `AbortError`, or an Error with a `cause`. RPC errors also carry `rpcCode` and
//! `rpcData`, so callers can switch on them without parsing the text.

use napi::bindgen_prelude::*;

use crate::error::CoreError;

/// Builds the JS error object for `e` (on the JS thread).
pub fn js_error<'env>(env: &'env Env, e: &CoreError) -> Result<Unknown<'env>> {
    let global = env.get_global()?;
    match e {
        CoreError::Aggregate { message, errors } => {
            let ctor: Function<'_, FnArgs<(Array, String)>, Unknown> =
                global.get_named_property("AggregateError")?;
            let mut list = env.create_array(errors.len() as u32)?;
            for (i, inner) in errors.iter().enumerate() {
                list.set(i as u32, js_error(env, inner)?)?;
            }
            ctor.new_instance(FnArgs::from((list, message.clone())))
        }
        _ => {
            let ctor: Function<'_, String, Unknown> = global.get_named_property("Error")?;
            let error = ctor.new_instance(e.to_string())?;
            let mut obj = error.coerce_to_object()?;
            match e {
                CoreError::Rpc(rpc) => {
                    if let Some(code) = &rpc.code {
                        obj.set_named_property("rpcCode", code.clone())?;
                    }
                    if let Some(data) = &rpc.data {
                        obj.set_named_property("rpcData", data.clone())?;
                    }
                }
                CoreError::Aborted(_) => obj.set_named_property("name", "AbortError")?,
                CoreError::WithCause { cause, .. } => {
                    let cause = ctor.new_instance(cause.clone())?;
                    obj.set_named_property("cause", cause)?;
                }
                _ => {}
            }
            Ok(error)
        }
    }
}

/// The napi error that rejects/throws with the JS object of `e`.
pub fn to_napi_error(env: &Env, e: CoreError) -> Error {
    match js_error(env, &e) {
        Ok(obj) => Error::from(obj),
        Err(_) => Error::from_reason(e.to_string()),
    }
}
