//! Where the simulated daemon `avenor-sim` lives for `simulatorPath()`: each
//! per-platform package ships it beside the addon, so a user's integration
//! tests can point `AVENOR_BIN` at it.

use std::ffi::{CStr, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::error::CoreError;

/// The Rust target triple this addon was built for (set by build.rs).
pub const TARGET: &str = env!("AVENOR_TARGET");

/// The file name of the simulator in a platform package.
pub const SIMULATOR_FILE: &str = "avenor-sim";

/// The npm scope and base name of the per-platform packages.
pub const PACKAGE_BASE: &str = "@dougbots/avenor-core";

/// napi-rs's platform suffix for a target triple (`linux-x64-gnu`, …): the
/// per-platform package is `@dougbots/avenor-core-<suffix>`.
pub fn platform_suffix(triple: &str) -> Option<&'static str> {
    Some(match triple {
        "x86_64-unknown-linux-gnu" => "linux-x64-gnu",
        "aarch64-unknown-linux-gnu" => "linux-arm64-gnu",
        "x86_64-unknown-linux-musl" => "linux-x64-musl",
        "aarch64-unknown-linux-musl" => "linux-arm64-musl",
        "x86_64-apple-darwin" => "darwin-x64",
        "aarch64-apple-darwin" => "darwin-arm64",
        _ => return None,
    })
}

/// The directory of the loaded addon file (the platform package's directory
/// once installed), found with `dladdr` on a function of this library.
pub fn addon_dir() -> Option<PathBuf> {
    // SAFETY: Dl_info is plain data; dladdr fills it for an address inside a
    // loaded object, and dli_fname then points at a NUL-terminated string.
    let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
    let address = addon_dir as *const libc::c_void;
    if unsafe { libc::dladdr(address, &mut info) } == 0 || info.dli_fname.is_null() {
        return None;
    }
    let name = unsafe { CStr::from_ptr(info.dli_fname) };
    let file = PathBuf::from(OsStr::from_bytes(name.to_bytes()));
    // A relative name is relative to the working directory at load time.
    let file = std::fs::canonicalize(&file).unwrap_or(file);
    file.parent().map(Path::to_path_buf)
}

/// Where the simulator is looked for, in order: beside the addon (an installed
/// platform package, or a `build:targets` output), then a source checkout's
/// `target/release` and `target/debug` (the addon built by `npm run build`
/// sits at the checkout's root).
pub fn candidates(addon_dir: &Path) -> Vec<PathBuf> {
    let mut list = vec![addon_dir.join(SIMULATOR_FILE)];
    for profile in ["release", "debug"] {
        list.push(addon_dir.join("target").join(profile).join(SIMULATOR_FILE));
    }
    list
}

/// The first executable candidate, or an error that says which platform and
/// package were expected and what to do.
pub fn find(
    addon_dir: Option<&Path>,
    is_executable: impl Fn(&Path) -> bool,
) -> Result<PathBuf, CoreError> {
    if let Some(dir) = addon_dir {
        if let Some(found) = candidates(dir).into_iter().find(|p| is_executable(p)) {
            return Ok(found);
        }
    }
    Err(CoreError::plain(not_found_message(addon_dir)))
}

fn not_found_message(addon_dir: Option<&Path>) -> String {
    let package = match platform_suffix(TARGET) {
        Some(suffix) => format!("{PACKAGE_BASE}-{suffix}"),
        None => format!("{PACKAGE_BASE} (no platform package exists for this target)"),
    };
    let looked = match addon_dir {
        Some(dir) => format!("looked for {}", dir.join(SIMULATOR_FILE).display()),
        None => "the addon's own location is unknown".to_string(),
    };
    format!(
        "simulatorPath: avenor-sim for {TARGET} was not found ({looked}); install {package}, \
         which ships it, or build it from source with `cargo build --release -p avenor-sim` \
         in a checkout of @dougbots/avenor-core"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_packaged_target_has_a_platform_suffix() {
        let manifest: serde_json::Value =
            serde_json::from_str(include_str!("../package.json")).unwrap();
        let targets = manifest["napi"]["targets"].as_array().unwrap();
        assert_eq!(targets.len(), 6);
        for triple in targets {
            let triple = triple.as_str().unwrap();
            let suffix = platform_suffix(triple).unwrap();
            assert!(std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("npm")
                .join(suffix)
                .join("package.json")
                .exists());
        }
        assert_eq!(platform_suffix("x86_64-pc-windows-msvc"), None);
    }

    #[test]
    fn the_copy_beside_the_addon_comes_before_a_checkouts_build() {
        let dir = Path::new("/pkg");
        let found = find(Some(dir), |_| true).unwrap();
        assert_eq!(found, Path::new("/pkg/avenor-sim"));
        let found = find(Some(dir), |p| p.ends_with("target/debug/avenor-sim")).unwrap();
        assert_eq!(found, Path::new("/pkg/target/debug/avenor-sim"));
    }

    #[test]
    fn a_missing_simulator_names_the_target_the_package_and_the_way_out() {
        let message = find(Some(Path::new("/pkg")), |_| false)
            .unwrap_err()
            .to_string();
        assert!(message.contains(TARGET), "{message}");
        assert!(message.contains("/pkg/avenor-sim"), "{message}");
        let suffix = platform_suffix(TARGET).unwrap();
        assert!(
            message.contains(&format!("@dougbots/avenor-core-{suffix}")),
            "{message}"
        );
        assert!(
            message.contains("cargo build --release -p avenor-sim"),
            "{message}"
        );
        assert!(!message.to_lowercase().contains("npm has a bug"));
    }

    #[test]
    fn the_addon_directory_is_the_directory_of_the_loaded_object() {
        // Under `cargo test` the loaded object is the test executable itself.
        let exe = std::env::current_exe().unwrap();
        assert_eq!(
            addon_dir().unwrap(),
            exe.canonicalize().unwrap().parent().unwrap()
        );
    }
}
