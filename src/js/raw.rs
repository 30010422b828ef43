//! Small raw Node-API helpers for code that lives entirely on the JS thread
//! (the run observer): references, calls, and promises settled synchronously.

use std::ptr;

use napi::bindgen_prelude::*;
use napi::{check_status, sys};

/// A strong reference to a JS value, deleted explicitly with `release`.
pub struct JsRef(sys::napi_ref);

impl JsRef {
    pub fn new(env: &Env, value: sys::napi_value) -> Result<Self> {
        let mut r = ptr::null_mut();
        check_status!(unsafe { sys::napi_create_reference(env.raw(), value, 1, &mut r) })?;
        Ok(JsRef(r))
    }

    pub fn get(&self, env: &Env) -> Result<sys::napi_value> {
        let mut v = ptr::null_mut();
        check_status!(unsafe { sys::napi_get_reference_value(env.raw(), self.0, &mut v) })?;
        Ok(v)
    }

    pub fn release(self, env: &Env) {
        unsafe { sys::napi_delete_reference(env.raw(), self.0) };
    }
}

/// Per-thread cache of one global function and the env it belongs to.
pub type FunctionCache = std::thread::LocalKey<std::cell::RefCell<Option<(sys::napi_env, JsRef)>>>;

/// `JSON.<name>` (parse, stringify) of `env`, looked up once per env.
pub fn json_function(
    env: &Env,
    cache: &'static FunctionCache,
    name: &str,
) -> Result<sys::napi_value> {
    let cached = cache.with_borrow(|c| match c {
        Some((e, r)) if *e == env.raw() => r.get(env).ok(),
        _ => None,
    });
    if let Some(f) = cached {
        return Ok(f);
    }
    let json = property(env, env.get_global()?.raw(), "JSON")?;
    let f = property(env, json, name)?;
    cache.set(Some((env.raw(), JsRef::new(env, f)?)));
    Ok(f)
}

thread_local! {
    /// `JSON.parse` of the env last seen on this thread.
    static JSON_PARSE: std::cell::RefCell<Option<(sys::napi_env, JsRef)>> =
        const { std::cell::RefCell::new(None) };
    /// `JSON.stringify` of the env last seen on this thread.
    static JSON_STRINGIFY: std::cell::RefCell<Option<(sys::napi_env, JsRef)>> =
        const { std::cell::RefCell::new(None) };
}

/// The `JSON.stringify` function of `env` (cached), for callers that handle
/// what it throws themselves.
pub fn json_stringify_function(env: &Env) -> Result<sys::napi_value> {
    json_function(env, &JSON_STRINGIFY, "stringify")
}

/// `JSON.parse(text)` (replies and events cross as text: one V8 parse is
/// quicker than building the value member by member through Node-API).
pub fn json_parse(env: &Env, text: &str) -> Result<sys::napi_value> {
    let parse = json_function(env, &JSON_PARSE, "parse")?;
    let text = js_string(env, text)?;
    call(env, undefined(env), parse, &[text])
        .map_err(|_| Error::from_reason("JSON.parse failed on a daemon message"))
}

/// A JS string of `text`. Daemon JSON is nearly always ASCII, which the
/// engine can copy as Latin-1 without decoding UTF-8 first.
pub fn js_string(env: &Env, text: &str) -> Result<sys::napi_value> {
    let create = if text.is_ascii() {
        sys::napi_create_string_latin1
    } else {
        sys::napi_create_string_utf8
    };
    let mut value = ptr::null_mut();
    check_status!(unsafe {
        create(
            env.raw(),
            text.as_ptr().cast(),
            text.len() as isize,
            &mut value,
        )
    })?;
    Ok(value)
}

/// Whether the host is Bun (it has a `Bun` global), where some Node
/// behaviours differ (see `host_socket`, `caller_origin`, `process_env`).
/// Looked up once per env: `process_env` asks at every tool call.
pub fn is_bun(env: &Env) -> bool {
    thread_local! {
        static IS_BUN: std::cell::Cell<Option<(sys::napi_env, bool)>> =
            const { std::cell::Cell::new(None) };
    }
    if let Some((seen, bun)) = IS_BUN.get() {
        if seen == env.raw() {
            return bun;
        }
    }
    let bun = env
        .get_global()
        .and_then(|g| property(env, g.raw(), "Bun"))
        .is_ok_and(|b| type_of(env, b) != sys::ValueType::napi_undefined);
    IS_BUN.set(Some((env.raw(), bun)));
    bun
}

/// The JS value of `value`, built member by member (for values of few
/// members: a long string costs one copy here, where JSON.parse scans it).
/// Numbers become doubles, and a `__proto__` member is an own property, as
/// JSON.parse makes them.
pub fn value_to_js(env: &Env, value: &serde_json::Value) -> Result<sys::napi_value> {
    use serde_json::Value;
    let mut out = ptr::null_mut();
    let raw_env = env.raw();
    match value {
        Value::Null => check_status!(unsafe { sys::napi_get_null(raw_env, &mut out) })?,
        Value::Bool(b) => check_status!(unsafe { sys::napi_get_boolean(raw_env, *b, &mut out) })?,
        Value::Number(n) => {
            let n = n.as_f64().unwrap_or(f64::NAN);
            check_status!(unsafe { sys::napi_create_double(raw_env, n, &mut out) })?
        }
        Value::String(s) => out = js_string(env, s)?,
        Value::Array(items) => {
            check_status!(unsafe {
                sys::napi_create_array_with_length(raw_env, items.len(), &mut out)
            })?;
            for (i, item) in items.iter().enumerate() {
                let item = value_to_js(env, item)?;
                check_status!(unsafe { sys::napi_set_element(raw_env, out, i as u32, item) })?;
            }
        }
        Value::Object(members) => {
            check_status!(unsafe { sys::napi_create_object(raw_env, &mut out) })?;
            for (name, member) in members {
                let key = js_string(env, name)?;
                let member = value_to_js(env, member)?;
                if name == "__proto__" {
                    // Assigning would set the prototype; define the member instead.
                    use sys::PropertyAttributes::{configurable, enumerable, writable};
                    let property = sys::napi_property_descriptor {
                        utf8name: ptr::null(),
                        name: key,
                        method: None,
                        getter: None,
                        setter: None,
                        value: member,
                        attributes: writable | enumerable | configurable,
                        data: ptr::null_mut(),
                    };
                    check_status!(unsafe {
                        sys::napi_define_properties(raw_env, out, 1, &property)
                    })?;
                } else {
                    check_status!(unsafe { sys::napi_set_property(raw_env, out, key, member) })?;
                }
            }
        }
    }
    Ok(out)
}

/// A promise whose outcome is decided later on the JS thread.
pub struct Deferred(sys::napi_deferred);

impl Deferred {
    pub fn new(env: &Env) -> Result<(Self, sys::napi_value)> {
        let mut d = ptr::null_mut();
        let mut p = ptr::null_mut();
        check_status!(unsafe { sys::napi_create_promise(env.raw(), &mut d, &mut p) })?;
        Ok((Deferred(d), p))
    }

    pub fn resolve(self, env: &Env, value: sys::napi_value) {
        unsafe { sys::napi_resolve_deferred(env.raw(), self.0, value) };
    }

    pub fn reject(self, env: &Env, reason: sys::napi_value) {
        unsafe { sys::napi_reject_deferred(env.raw(), self.0, reason) };
    }
}

pub fn null(env: &Env) -> sys::napi_value {
    let mut v = ptr::null_mut();
    unsafe { sys::napi_get_null(env.raw(), &mut v) };
    v
}

pub fn undefined(env: &Env) -> sys::napi_value {
    let mut v = ptr::null_mut();
    unsafe { sys::napi_get_undefined(env.raw(), &mut v) };
    v
}

pub fn property(env: &Env, object: sys::napi_value, name: &str) -> Result<sys::napi_value> {
    let key = std::ffi::CString::new(name).map_err(|e| Error::from_reason(e.to_string()))?;
    let mut v = ptr::null_mut();
    check_status!(unsafe {
        sys::napi_get_named_property(env.raw(), object, key.as_ptr(), &mut v)
    })?;
    Ok(v)
}

/// `object[key]` for any key value (a symbol, for instance).
pub fn property_by_key(
    env: &Env,
    object: sys::napi_value,
    key: sys::napi_value,
) -> Result<sys::napi_value> {
    let mut v = ptr::null_mut();
    check_status!(unsafe { sys::napi_get_property(env.raw(), object, key, &mut v) })?;
    Ok(v)
}

pub fn type_of(env: &Env, value: sys::napi_value) -> sys::napi_valuetype {
    let mut t = 0;
    unsafe { sys::napi_typeof(env.raw(), value, &mut t) };
    t
}

pub fn is_truthy(env: &Env, value: sys::napi_value) -> bool {
    let mut b = ptr::null_mut();
    let mut out = false;
    unsafe {
        sys::napi_coerce_to_bool(env.raw(), value, &mut b);
        sys::napi_get_value_bool(env.raw(), b, &mut out);
    }
    out
}

/// Calls `f` with `this` and `args`; a thrown exception becomes `Err` and is
/// cleared, with the thrown value returned in `Err(Some(value))`.
pub fn call(
    env: &Env,
    this: sys::napi_value,
    f: sys::napi_value,
    args: &[sys::napi_value],
) -> std::result::Result<sys::napi_value, Option<sys::napi_value>> {
    let mut out = ptr::null_mut();
    let status =
        unsafe { sys::napi_call_function(env.raw(), this, f, args.len(), args.as_ptr(), &mut out) };
    outcome(env, status, out)
}

/// `Ok(out)` when `status` is ok; else the pending exception, cleared.
fn outcome(
    env: &Env,
    status: sys::napi_status,
    out: sys::napi_value,
) -> std::result::Result<sys::napi_value, Option<sys::napi_value>> {
    if status == sys::Status::napi_ok {
        return Ok(out);
    }
    let mut pending = false;
    unsafe { sys::napi_is_exception_pending(env.raw(), &mut pending) };
    if pending {
        let mut exception = ptr::null_mut();
        unsafe { sys::napi_get_and_clear_last_exception(env.raw(), &mut exception) };
        return Err(Some(exception));
    }
    Err(None)
}

/// Calls method `name` of `object`, if it is a function.
pub fn call_method(
    env: &Env,
    object: sys::napi_value,
    name: &str,
    args: &[sys::napi_value],
) -> std::result::Result<Option<sys::napi_value>, Option<sys::napi_value>> {
    let f = property(env, object, name).map_err(|_| None)?;
    if type_of(env, f) != sys::ValueType::napi_function {
        return Ok(None);
    }
    call(env, object, f, args).map(Some)
}

/// `new ctor(...args)`; a thrown exception is cleared and returned, as by `call`.
pub fn construct(
    env: &Env,
    ctor: sys::napi_value,
    args: &[sys::napi_value],
) -> std::result::Result<sys::napi_value, Option<sys::napi_value>> {
    let mut out = ptr::null_mut();
    let status =
        unsafe { sys::napi_new_instance(env.raw(), ctor, args.len(), args.as_ptr(), &mut out) };
    outcome(env, status, out)
}

/// The bytes of a Buffer (or other Uint8Array) without copying them; valid
/// while `value` is, which is the current callback.
pub fn byte_view<'a>(env: &Env, value: sys::napi_value) -> Option<&'a [u8]> {
    let mut data = ptr::null_mut();
    let mut len = 0usize;
    let status = unsafe { sys::napi_get_buffer_info(env.raw(), value, &mut data, &mut len) };
    if status != sys::Status::napi_ok {
        return None;
    }
    if len == 0 {
        return Some(&[]);
    }
    // SAFETY: napi_get_buffer_info gave the Buffer's backing store and length.
    Some(unsafe { std::slice::from_raw_parts(data as *const u8, len) })
}
