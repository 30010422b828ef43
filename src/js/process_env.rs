//! Hands Rust a snapshot of JS's `process.env` (see `crate::environment`): under
//! Bun, writes to `process.env` never reach the C environment.

use std::collections::HashMap;

use napi::bindgen_prelude::*;

/// Copies `process.env` into the Rust snapshot. Called at the entry of every
/// export that reads the environment or may start the daemon.
pub fn sync(env: &Env) -> Result<()> {
    let process: Object = env.get_global()?.get_named_property("process")?;
    let vars: Object = process.get_named_property("env")?;
    let mut snapshot = HashMap::new();
    for key in Object::keys(&vars)? {
        if let Some(value) = vars
            .get_named_property::<Option<String>>(&key)
            .ok()
            .flatten()
        {
            snapshot.insert(key, value);
        }
    }
    crate::environment::set_snapshot(snapshot);
    Ok(())
}
