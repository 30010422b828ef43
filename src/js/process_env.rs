//! Hands Rust a snapshot of JS's `process.env` (see `crate::environment`): under
//! Bun, writes to `process.env` never reach the C environment.
//!
//! Taken at the entry of every export that reads the environment, so it must be
//! cheap: reading `process.env` key by key through Node-API cost ~45 µs per
//! tool call with 35 variables (each key a Node-API call, and in Node each read
//! a `getenv`). On Node's main thread `process.env` is the C environment (its
//! writes call `setenv`), so the snapshot is copied from there in Rust; on Bun
//! and in Node's workers (whose `process.env` is their own copy) it is one
//! `JSON.stringify(process.env)`, parsed only when it changed.

use std::cell::RefCell;
use std::collections::HashMap;

use napi::bindgen_prelude::*;
use napi::sys;
use serde_json::Value;

use super::raw;

thread_local! {
    /// The last snapshot taken from JS on this thread, and its text.
    static LAST: RefCell<Option<(String, crate::environment::Vars)>> = const { RefCell::new(None) };
}

/// Copies `process.env` into the Rust snapshot.
pub fn sync(env: &Env) -> Result<()> {
    if !raw::is_bun(env) && super::exit_hooks::is_main_thread() {
        // Unchanged (the usual case): nothing to build, nothing to replace.
        if crate::environment::snapshot().is_some_and(|vars| environ_is(&vars)) {
            return Ok(());
        }
        let vars = std::env::vars_os()
            .map(|(k, v)| {
                (
                    k.to_string_lossy().into_owned(),
                    v.to_string_lossy().into_owned(),
                )
            })
            .collect();
        let _ = crate::environment::set_snapshot(vars);
        return Ok(());
    }
    let process = raw::property(env, env.get_global()?.raw(), "process")?;
    let vars = raw::property(env, process, "env")?;
    let stringify = raw::json_stringify_function(env)?;
    // A `process.env` that JSON.stringify cannot read (replaced by something
    // exotic) leaves the last snapshot in force rather than failing the call.
    let Ok(text) = raw::call(env, raw::undefined(env), stringify, &[vars]) else {
        return Ok(());
    };
    if raw::type_of(env, text) != sys::ValueType::napi_string {
        return Ok(());
    }
    let text = unsafe { String::from_napi_value(env.raw(), text) }?;
    // Unchanged, and still the one in force (another thread may have set its own).
    let current = crate::environment::snapshot();
    let unchanged = LAST.with_borrow(|last| {
        last.as_ref().is_some_and(|(last_text, vars)| {
            *last_text == text
                && current
                    .as_ref()
                    .is_some_and(|c| std::sync::Arc::ptr_eq(c, vars))
        })
    });
    if unchanged {
        return Ok(());
    }
    let Ok(members) = serde_json::from_str::<HashMap<String, Value>>(&text) else {
        return Ok(());
    };
    let snapshot = members
        .into_iter()
        .filter_map(|(k, v)| match v {
            Value::String(s) => Some((k, s)),
            _ => None,
        })
        .collect();
    let vars = crate::environment::set_snapshot(snapshot);
    LAST.set(Some((text, vars)));
    Ok(())
}

/// Whether the C environment holds exactly `vars` (a name that is not UTF-8
/// never matches: its snapshot entry was made lossily, so it is rebuilt).
fn environ_is(vars: &HashMap<String, String>) -> bool {
    let mut count = 0;
    for (name, value) in std::env::vars_os() {
        count += 1;
        let same = match (name.to_str(), value.to_str()) {
            (Some(name), Some(value)) => vars.get(name).is_some_and(|v| v == value),
            _ => false,
        };
        if !same {
            return false;
        }
    }
    count == vars.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn environ() -> HashMap<String, String> {
        std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect()
    }

    #[test]
    fn the_environment_matches_its_own_copy_and_nothing_else() {
        let vars = environ();
        assert!(environ_is(&vars));
        let (name, value) = vars.iter().next().expect("a variable");
        let mut changed = vars.clone();
        changed.insert(name.clone(), format!("{value}-changed"));
        assert!(!environ_is(&changed));
        let mut fewer = vars.clone();
        fewer.remove(name);
        assert!(!environ_is(&fewer));
        let mut more = vars.clone();
        more.insert("AVENOR_TEST_NOT_IN_THE_ENVIRONMENT".into(), "1".into());
        assert!(!environ_is(&more));
    }
}
