//! Whether a downloaded asset may be installed (core-spec §16): a hash listed in
//! `checksums.txt` must match; a missing list or entry is warned about but does
//! not block the install, as in the original.

use std::path::{Component, Path, PathBuf};

use super::checksums::{checksum_matches, parse_checksums, sha256_hex};
use super::write::install_binary;
use crate::discovery::get_install_dir;
use crate::error::{CoreError, CoreResult};

/// The installed binary, if any, and the warnings to print.
#[derive(Debug, PartialEq)]
pub struct Outcome {
    pub path: Option<PathBuf>,
    pub warnings: Vec<String>,
}

/// `getInstallDir(version)`, for a version that is one path segment: it comes
/// from the caller here, and must not lead the write outside the cache.
pub fn install_dir(version: &str) -> CoreResult<PathBuf> {
    let mut parts = Path::new(version).components();
    match (parts.next(), parts.next()) {
        (Some(Component::Normal(_)), None) => Ok(get_install_dir(version)),
        _ => Err(CoreError::plain(format!("Invalid version: {version}"))),
    }
}

/// Checks `bytes` (the release asset `asset`) against `checksums` (the text of
/// `checksums.txt`, `None` when it could not be fetched) and writes it to
/// `<dir>/avenor`.
pub fn install_downloaded(
    dir: &Path,
    asset: &str,
    bytes: &[u8],
    checksums: Option<&str>,
) -> Outcome {
    let mut warnings = Vec::new();
    if bytes.is_empty() {
        warnings.push(format!("Downloaded {asset} is empty, not installing it"));
        return Outcome {
            path: None,
            warnings,
        };
    }
    match checksums.map(|text| parse_checksums(text, asset)) {
        None => warnings.push(format!(
            "checksums.txt unavailable, installing {asset} without checksum verification"
        )),
        Some(None) => warnings.push(format!(
            "checksums.txt has no entry for {asset}, installing it without checksum verification"
        )),
        Some(Some(expected)) => {
            let actual = sha256_hex(bytes);
            if !checksum_matches(&actual, &expected) {
                warnings.push(format!(
                    "Checksum mismatch for {asset}: expected {expected}, got {actual}. Not installing it"
                ));
                return Outcome {
                    path: None,
                    warnings,
                };
            }
        }
    }
    let path = match install_binary(dir, bytes) {
        Ok(path) => Some(path),
        Err(e) => {
            warnings.push(format!("Failed to install {asset}: {e}"));
            None
        }
    };
    Outcome { path, warnings }
}

#[cfg(test)]
mod tests {
    use super::super::write::tests::scratch;
    use super::*;

    const ASSET: &str = "avenor_linux_amd64";
    const BYTES: &[u8] = b"abc";
    const ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    fn run(name: &str, bytes: &[u8], checksums: Option<&str>) -> (Outcome, bool) {
        let dir = scratch(name);
        let outcome = install_downloaded(&dir, ASSET, bytes, checksums);
        let written = dir.join("avenor").exists();
        let _ = std::fs::remove_dir_all(&dir);
        (outcome, written)
    }

    #[test]
    fn matching_checksum_installs_silently() {
        let (outcome, written) = run("match", BYTES, Some(&format!("{ABC}  {ASSET}\n")));
        assert!(written);
        assert!(outcome.path.is_some());
        assert!(outcome.warnings.is_empty(), "{:?}", outcome.warnings);
    }

    #[test]
    fn mismatch_writes_nothing() {
        let (outcome, written) = run("mismatch", BYTES, Some(&format!("abc123def456  {ASSET}\n")));
        assert!(!written);
        assert_eq!(outcome.path, None);
        assert_eq!(
            outcome.warnings,
            [format!(
                "Checksum mismatch for {ASSET}: expected abc123def456, got {ABC}. Not installing it"
            )]
        );
    }

    #[test]
    fn missing_checksums_install_with_a_warning() {
        let (outcome, written) = run("no-list", BYTES, None);
        assert!(written);
        assert_eq!(
            outcome.warnings,
            [format!(
                "checksums.txt unavailable, installing {ASSET} without checksum verification"
            )]
        );
        let (outcome, written) = run("no-entry", BYTES, Some("fff  avenor_darwin_arm64\n"));
        assert!(written);
        assert_eq!(
            outcome.warnings,
            [format!(
                "checksums.txt has no entry for {ASSET}, installing it without checksum verification"
            )]
        );
    }

    #[test]
    fn empty_download_is_refused() {
        let (outcome, written) = run("empty", b"", None);
        assert!(!written);
        assert_eq!(
            outcome.warnings,
            [format!("Downloaded {ASSET} is empty, not installing it")]
        );
    }

    #[test]
    fn version_must_be_one_path_segment() {
        for bad in ["", ".", "..", "../x", "a/b", "/abs"] {
            assert_eq!(
                install_dir(bad).map_err(|e| e.to_string()),
                Err(format!("Invalid version: {bad}"))
            );
        }
    }
}
