//! JS surface of `simulatorPath()`.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use super::errors::to_napi_error;
use crate::{discovery, simulator};

/// The path of the `avenor-sim` binary shipped for this platform (the
/// simulated daemon, for `AVENOR_BIN` in integration tests), or an error
/// naming the platform package to install.
#[napi]
pub fn simulator_path(env: &Env) -> Result<String> {
    simulator::find(simulator::addon_dir().as_deref(), discovery::is_executable)
        .map(|p| p.to_string_lossy().into_owned())
        .map_err(|e| to_napi_error(env, e))
}
