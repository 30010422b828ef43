//! JS surface of binary discovery and install paths (core-spec §5.6, §16).

use napi::bindgen_prelude::*;
use napi_derive::napi;

use super::errors::to_napi_error;
use crate::discovery;

fn path_string(p: std::path::PathBuf) -> String {
    p.to_string_lossy().into_owned()
}

/// Finds the avenor binary (AVENOR_BIN, PATH, installer dir, ~/.botfiles/bin).
#[napi]
pub fn find_avenor_binary(env: &Env) -> Result<String> {
    super::process_env::sync(env)?;
    discovery::find_avenor_binary()
        .map(path_string)
        .map_err(|e| to_napi_error(env, e))
}

/// `<AVENOR_HOME or ~/.avenor>/sockets`; only the path, nothing is created.
#[napi]
pub fn sockets_root(env: &Env) -> Result<String> {
    super::process_env::sync(env)?;
    Ok(path_string(discovery::sockets_root()))
}

/// AVENOR_VERSION, npm_package_version, or the version in a package.json.
#[napi]
pub fn get_version(env: &Env, package_json_path: Option<String>) -> Result<String> {
    super::process_env::sync(env)?;
    discovery::get_version(package_json_path.as_deref().map(std::path::Path::new))
        .map_err(|e| to_napi_error(env, e))
}

/// AVENOR_INSTALL_DIR, or `~/.cache/avenor/bin/avenor/<version>`.
#[napi]
pub fn get_install_dir(env: &Env, version: String) -> Result<String> {
    super::process_env::sync(env)?;
    Ok(path_string(discovery::get_install_dir(&version)))
}

/// `<getInstallDir(version)>/avenor`, version defaulting to `getVersion()`.
#[napi]
pub fn installer_binary_path(env: &Env, version: Option<String>) -> Result<String> {
    super::process_env::sync(env)?;
    discovery::installer_binary_path(version.as_deref())
        .map(path_string)
        .map_err(|e| to_napi_error(env, e))
}
