//! JS surface of the postinstall step (core-spec §16): the pure helpers of the
//! original `postinstall` entry, and the two decisions `postinstall.js` asks for
//! around its `fetch` calls. Warnings come back as data, without the
//! `[avenor-postinstall]` prefix, for the JS side to print.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::install::{checksums, downloaded, plan, platform};

/// The release asset built for a Node platform/arch pair
/// (`process.platform`, `process.arch`), or `null` where avenor ships none.
#[napi]
pub fn platform_mapping(platform: String, arch: String) -> Option<&'static str> {
    platform::platform_mapping(&platform, &arch)
}

/// The SHA-256 listed for `asset` in the text of a release's `checksums.txt`
/// (`<sha256>  <asset>` lines), or `null` when no line names it.
#[napi]
pub fn parse_checksums(text: String, asset: String) -> Option<String> {
    checksums::parse_checksums(&text, &asset)
}

/// Whether `bytes` hash (SHA-256) to `expectedHex`, ignoring case.
#[napi]
pub fn verify_checksum(bytes: Uint8Array, expected_hex: String) -> bool {
    checksums::verify_checksum(&bytes, &expected_hex)
}

/// The release files to fetch.
#[napi(object)]
pub struct AvenorDownload {
    pub version: String,
    pub asset: String,
    pub asset_url: String,
    pub checksums_url: String,
}

/// What `postinstall` should do before fetching anything.
#[napi(object)]
pub struct AvenorDownloadPlan {
    /// Messages to warn, without the `[avenor-postinstall]` prefix.
    pub warnings: Vec<String>,
    /// Absent when nothing is to be downloaded.
    pub download: Option<AvenorDownload>,
}

/// The first half of postinstall: skip when `AVENOR_BIN` or `avenor` on PATH is
/// executable; warn and skip for `AVENOR_SKIP_DOWNLOAD=1`, an unsupported
/// platform or an invalid version; otherwise name the release files to fetch.
#[napi]
pub fn plan_avenor_download(env: &Env, platform: String, arch: String) -> AvenorDownloadPlan {
    // A snapshot failure only means the C environment is read instead.
    let _ = super::process_env::sync(env);
    match plan::plan(&platform, &arch) {
        plan::Plan::Skip { warning } => AvenorDownloadPlan {
            warnings: warning.into_iter().collect(),
            download: None,
        },
        plan::Plan::Download(d) => AvenorDownloadPlan {
            warnings: Vec::new(),
            download: Some(AvenorDownload {
                version: d.version,
                asset: d.asset.to_string(),
                asset_url: d.asset_url,
                checksums_url: d.checksums_url,
            }),
        },
    }
}

/// What became of a downloaded binary.
#[napi(object)]
pub struct AvenorInstallOutcome {
    pub installed: bool,
    /// Where the binary was written; absent when it was not.
    pub path: Option<String>,
    /// Messages to warn, without the `[avenor-postinstall]` prefix.
    pub warnings: Vec<String>,
}

/// The second half of postinstall: checks `bytes` (the release asset `asset`)
/// against `checksums` (the text of `checksums.txt`, `null` when it could not
/// be fetched) and writes it to `getInstallDir(version)/avenor` with mode 0755,
/// or refuses on a checksum mismatch. Never throws.
#[napi]
pub fn install_avenor_binary(
    env: &Env,
    bytes: Uint8Array,
    checksums: Option<String>,
    version: String,
    asset: String,
) -> AvenorInstallOutcome {
    let _ = super::process_env::sync(env);
    let outcome = match downloaded::install_dir(&version) {
        Ok(dir) => downloaded::install_downloaded(&dir, &asset, &bytes, checksums.as_deref()),
        Err(e) => downloaded::Outcome {
            path: None,
            warnings: vec![e.to_string()],
        },
    };
    AvenorInstallOutcome {
        installed: outcome.path.is_some(),
        path: outcome.path.map(|p| p.to_string_lossy().into_owned()),
        warnings: outcome.warnings,
    }
}
