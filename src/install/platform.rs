//! Release asset names for Node's `process.platform` / `process.arch`.

/// `platformMapping(platform, arch)`: the release asset built for this pair, or
/// `None` where avenor ships no binary.
pub fn platform_mapping(platform: &str, arch: &str) -> Option<&'static str> {
    match (platform, arch) {
        ("darwin", "arm64") => Some("avenor_darwin_arm64"),
        ("darwin", "x64") => Some("avenor_darwin_amd64"),
        ("linux", "x64") => Some("avenor_linux_amd64"),
        ("linux", "arm64") => Some("avenor_linux_arm64"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn supported_pairs() {
        assert_eq!(
            platform_mapping("darwin", "arm64"),
            Some("avenor_darwin_arm64")
        );
        assert_eq!(
            platform_mapping("darwin", "x64"),
            Some("avenor_darwin_amd64")
        );
        assert_eq!(platform_mapping("linux", "x64"), Some("avenor_linux_amd64"));
        assert_eq!(
            platform_mapping("linux", "arm64"),
            Some("avenor_linux_arm64")
        );
    }

    #[test]
    fn unsupported_pairs() {
        assert_eq!(platform_mapping("win32", "x64"), None);
        assert_eq!(platform_mapping("linux", "ia32"), None);
        assert_eq!(platform_mapping("freebsd", "x64"), None);
        assert_eq!(platform_mapping("", ""), None);
    }
}
