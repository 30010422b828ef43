//! What postinstall does before any download (core-spec §16): skip when an
//! avenor binary is already usable or downloads are turned off, warn about an
//! unsupported platform, otherwise name the release asset and its URLs.

use std::path::Path;

use super::platform::platform_mapping;
use crate::discovery::{env_var, get_version, is_executable};

const RELEASES_URL: &str = "https://github.com/sdougbrown/avenor/releases/download";

pub const SKIP_DOWNLOAD_WARNING: &str =
    "AVENOR_SKIP_DOWNLOAD=1 is set, skipping the avenor binary download";

/// The release files to fetch for one version and platform.
#[derive(Debug, Clone, PartialEq)]
pub struct Download {
    pub version: String,
    pub asset: &'static str,
    pub asset_url: String,
    pub checksums_url: String,
}

impl Download {
    pub fn new(version: String, asset: &'static str) -> Self {
        let base = format!("{RELEASES_URL}/v{version}");
        Self {
            asset_url: format!("{base}/{asset}"),
            checksums_url: format!("{base}/checksums.txt"),
            version,
            asset,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// Nothing to download; the warning says why, unless avenor is already there.
    Skip {
        warning: Option<String>,
    },
    Download(Download),
}

fn skip_with(warning: String) -> Plan {
    Plan::Skip {
        warning: Some(warning),
    }
}

/// The §16 order: executable `AVENOR_BIN`, executable `avenor` on PATH,
/// `AVENOR_SKIP_DOWNLOAD=1`, the platform, then the version.
pub fn plan(platform: &str, arch: &str) -> Plan {
    if avenor_available() {
        return Plan::Skip { warning: None };
    }
    if env_var("AVENOR_SKIP_DOWNLOAD").as_deref() == Some("1") {
        return skip_with(SKIP_DOWNLOAD_WARNING.to_string());
    }
    let Some(asset) = platform_mapping(platform, arch) else {
        return skip_with(format!("Unsupported platform: {platform}/{arch}"));
    };
    match get_version(None) {
        Ok(version) => Plan::Download(Download::new(version, asset)),
        Err(e) => skip_with(format!("{e}; skipping the avenor binary download")),
    }
}

/// An executable `AVENOR_BIN` (a non-executable one does not stop the download,
/// unlike `findAvenorBinary`), or an executable `avenor` on PATH.
fn avenor_available() -> bool {
    env_var("AVENOR_BIN").is_some_and(|bin| is_executable(Path::new(&bin)))
        || crate::environment::which("avenor").is_some_and(|p| is_executable(&p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_urls() {
        let d = Download::new("1.2.3".into(), "avenor_linux_amd64");
        assert_eq!(
            d.asset_url,
            "https://github.com/sdougbrown/avenor/releases/download/v1.2.3/avenor_linux_amd64"
        );
        assert_eq!(
            d.checksums_url,
            "https://github.com/sdougbrown/avenor/releases/download/v1.2.3/checksums.txt"
        );
    }
}
