//! Where things are: the avenor binary (`findAvenorBinary`), `AVENOR_HOME` and its
//! sockets/runs roots, and the installer's paths (core-spec §1.2, §5.6, §16).

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use crate::error::{CoreError, CoreResult};

pub const BINARY_NOT_FOUND: &str =
    "avenor binary not found. Set AVENOR_BIN=/path/to/avenor or ensure 'avenor' is on PATH.";

/// The package version, used when neither `AVENOR_VERSION` nor `npm_package_version`
/// is set. Cargo.toml and package.json carry the same version (a test checks it).
pub const PACKAGE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// A non-empty environment variable.
pub fn env_var(name: &str) -> Option<String> {
    crate::environment::var(name).filter(|v| !v.is_empty())
}

/// The user's home directory (`os.homedir()`).
pub fn home_dir() -> PathBuf {
    env_var("HOME").map_or_else(|| PathBuf::from("/"), PathBuf::from)
}

/// `AVENOR_HOME`, or `~/.avenor` (an empty value counts as unset).
pub fn avenor_home() -> PathBuf {
    env_var("AVENOR_HOME").map_or_else(|| home_dir().join(".avenor"), PathBuf::from)
}

/// `mkdir -p` with mode 0700 for the directories created (existing ones keep theirs).
pub fn ensure_private_dir(dir: &Path) -> CoreResult<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| CoreError::plain(format!("mkdir {}: {e}", dir.display())))
}

/// `<AVENOR_HOME>/sockets` (`socketsRoot()`: only the path, as the original).
pub fn sockets_root() -> PathBuf {
    avenor_home().join("sockets")
}

/// The sockets root, created with mode 0700 if missing: the supervisor puts
/// its socket there, and validating a supervisor id resolves it.
pub fn ensure_sockets_root() -> CoreResult<PathBuf> {
    let dir = sockets_root();
    ensure_private_dir(&dir)?;
    Ok(dir)
}

/// `<AVENOR_HOME>/runs` (not created here).
pub fn runs_root() -> PathBuf {
    avenor_home().join("runs")
}

/// Whether `path` names something this process may execute (`access(X_OK)`).
pub fn is_executable(path: &Path) -> bool {
    let Ok(c) = CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: a valid NUL-terminated path.
    unsafe { libc::access(c.as_ptr(), libc::X_OK) == 0 }
}

/// Whether `path` is readable and writable (`access(R_OK | W_OK)`).
pub fn is_read_write(path: &Path) -> bool {
    let Ok(c) = CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: a valid NUL-terminated path.
    unsafe { libc::access(c.as_ptr(), libc::R_OK | libc::W_OK) == 0 }
}

fn is_semver(v: &str) -> bool {
    let (core, pre) = match v.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (v, None),
    };
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && pre.is_none_or(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        })
}

fn checked_version(source: &str, v: String) -> CoreResult<String> {
    if is_semver(&v) {
        Ok(v)
    } else {
        Err(CoreError::plain(format!(
            "Invalid {source}: {v}. Must be a semver string like 1.2.3"
        )))
    }
}

/// `getVersion(packageJsonPath?)`: `AVENOR_VERSION`, `npm_package_version`, then
/// the `version` of the given package.json or of this package.
pub fn get_version(package_json: Option<&Path>) -> CoreResult<String> {
    if let Some(v) = env_var("AVENOR_VERSION") {
        return checked_version("AVENOR_VERSION", v);
    }
    if let Some(v) = env_var("npm_package_version") {
        return checked_version("npm_package_version", v);
    }
    let version = match package_json {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| CoreError::plain(format!("read {}: {e}", path.display())))?;
            let json: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| CoreError::plain(format!("parse {}: {e}", path.display())))?;
            json.get("version")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string()
        }
        None => PACKAGE_VERSION.to_string(),
    };
    checked_version("package version", version)
}

/// `getInstallDir(version)`: `AVENOR_INSTALL_DIR`, else `~/.cache/avenor/bin/avenor/<version>`.
pub fn get_install_dir(version: &str) -> PathBuf {
    env_var("AVENOR_INSTALL_DIR").map_or_else(
        || home_dir().join(".cache/avenor/bin/avenor").join(version),
        PathBuf::from,
    )
}

/// `installerBinaryPath(version = getVersion())`.
pub fn installer_binary_path(version: Option<&str>) -> CoreResult<PathBuf> {
    let version = match version {
        Some(v) => v.to_string(),
        None => get_version(None)?,
    };
    Ok(get_install_dir(&version).join("avenor"))
}

/// `findAvenorBinary()` [LATE]: AVENOR_BIN (no fallback when set), PATH, the
/// installer's binary, `~/.botfiles/bin/avenor`.
pub fn find_avenor_binary() -> CoreResult<PathBuf> {
    if let Some(bin) = env_var("AVENOR_BIN") {
        let path = PathBuf::from(&bin);
        return if is_executable(&path) {
            Ok(path)
        } else {
            Err(CoreError::plain(format!(
                "AVENOR_BIN path not executable: {bin}"
            )))
        };
    }
    if let Some(found) = crate::environment::which("avenor") {
        if is_executable(&found) {
            return Ok(found);
        }
    }
    if let Ok(installed) = installer_binary_path(None) {
        if is_executable(&installed) {
            return Ok(installed);
        }
    }
    let botfiles = home_dir().join(".botfiles/bin/avenor");
    if is_executable(&botfiles) {
        return Ok(botfiles);
    }
    Err(CoreError::plain(BINARY_NOT_FOUND))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semver_check() {
        assert!(is_semver("1.2.3"));
        assert!(is_semver("0.9.0-rc.1"));
        assert!(!is_semver("../../../etc/passwd"));
        assert!(!is_semver("1.2"));
        assert!(!is_semver("1.2.3-"));
        assert!(!is_semver("v1.2.3"));
    }

    #[test]
    fn package_versions_agree() {
        let pkg: serde_json::Value =
            serde_json::from_str(include_str!("../package.json")).expect("package.json parses");
        assert_eq!(pkg["version"], PACKAGE_VERSION);
    }
}
