//! `checksums.txt` of a release (`<sha256>  <asset>` lines, as `sha256sum`
//! writes them) and SHA-256 verification of a downloaded asset.

use sha2::{Digest, Sha256};

/// `parseChecksums(text, asset)`: the hash listed for `asset`, or `None` when no
/// line names it.
pub fn parse_checksums(text: &str, asset: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let mut fields = line.split_whitespace();
        let hash = fields.next()?;
        let name = fields.next()?;
        // `sha256sum --binary` marks the name with a leading `*`.
        let name = name.strip_prefix('*').unwrap_or(name);
        (name == asset && fields.next().is_none()).then(|| hash.to_string())
    })
}

/// The SHA-256 of `bytes` as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether two hex digests agree (case and surrounding whitespace ignored).
pub fn checksum_matches(actual_hex: &str, expected_hex: &str) -> bool {
    actual_hex.eq_ignore_ascii_case(expected_hex.trim())
}

/// `verifyChecksum(bytes, expectedHex)`: whether `bytes` hash to `expected_hex`.
pub fn verify_checksum(bytes: &[u8], expected_hex: &str) -> bool {
    checksum_matches(&sha256_hex(bytes), expected_hex)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    #[test]
    fn finds_the_asset_line() {
        let text = "abc123def456  avenor_darwin_arm64\nfff000  avenor_linux_amd64\n";
        assert_eq!(
            parse_checksums(text, "avenor_darwin_arm64").as_deref(),
            Some("abc123def456")
        );
        assert_eq!(
            parse_checksums(text, "avenor_linux_amd64").as_deref(),
            Some("fff000")
        );
    }

    #[test]
    fn names_must_match_exactly() {
        let text = "aaa  avenor_linux_amd64.tar.gz\nbbb  avenor_linux\n\n   \nccc\n";
        assert_eq!(parse_checksums(text, "avenor_linux_amd64"), None);
        assert_eq!(parse_checksums("", "avenor_linux_amd64"), None);
        assert_eq!(parse_checksums("ddd  x  y\n", "x"), None);
    }

    #[test]
    fn accepts_binary_marker_and_crlf() {
        assert_eq!(
            parse_checksums("eee *avenor_linux_arm64\r\n", "avenor_linux_arm64").as_deref(),
            Some("eee")
        );
    }

    #[test]
    fn sha256_of_known_input() {
        assert_eq!(sha256_hex(b"abc"), ABC);
        assert!(verify_checksum(b"abc", ABC));
        assert!(verify_checksum(
            b"abc",
            &format!(" {}\n", ABC.to_uppercase())
        ));
        assert!(!verify_checksum(b"abd", ABC));
        assert!(!verify_checksum(b"abc", "abc123def456"));
        assert!(!verify_checksum(b"abc", ""));
    }
}
