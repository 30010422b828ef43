//! The environment the package reads. The original read JS's `process.env`.
//! Under Node, writes to `process.env` reach the C environment, but under Bun
//! they do not; so JS entry points hand Rust a snapshot of `process.env`, which
//! then wins over the C environment, and the daemon is started with it.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

pub type Vars = Arc<HashMap<String, String>>;

static SNAPSHOT: RwLock<Option<Vars>> = RwLock::new(None);

/// Replaces the snapshot of JS's `process.env`; returns it as now held.
pub fn set_snapshot(vars: HashMap<String, String>) -> Vars {
    let vars = Arc::new(vars);
    *SNAPSHOT.write().unwrap_or_else(|p| p.into_inner()) = Some(vars.clone());
    vars
}

/// The snapshot, when JS has provided one.
pub fn snapshot() -> Option<Vars> {
    SNAPSHOT.read().unwrap_or_else(|p| p.into_inner()).clone()
}

/// A variable: from the snapshot when there is one, else the C environment.
pub fn var(name: &str) -> Option<String> {
    match snapshot() {
        Some(vars) => vars.get(name).cloned(),
        None => std::env::var(name).ok(),
    }
}

/// `which avenor` against the snapshot's `PATH`.
pub fn which(program: &str) -> Option<std::path::PathBuf> {
    let cwd = std::env::current_dir().ok()?;
    which::which_in(program, var("PATH"), cwd).ok()
}
