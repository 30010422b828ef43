//! Input validators shared by the tools (core-spec §6.1). The patterns of the
//! original regular expressions are matched by hand; `\d` there is ASCII-only.

use std::path::{Path, PathBuf};

use crate::error::{CoreError, CoreResult};
use crate::jsval::js_trim;

/// `^[a-zA-Z0-9_-]+$`, else `invalid run_id: <id>`.
pub fn validate_run_id(id: &str) -> CoreResult<()> {
    if is_safe_id(id) {
        Ok(())
    } else {
        Err(CoreError::plain(format!("invalid run_id: {id}")))
    }
}

/// True when `id` matches `^[a-zA-Z0-9_-]+$` (also used for run directory names).
pub fn is_safe_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A timeout such as `30`, `30s`, `5m` or `1h`, in seconds; must be > 0.
/// Digit strings too large for u64 saturate (the original kept a huge float).
pub fn validate_timeout(value: &str) -> CoreResult<u64> {
    let invalid = || CoreError::plain(format!("invalid timeout: {value}"));
    let t = js_trim(value);
    let (digits, factor) = match t.as_bytes().last() {
        Some(b's') => (&t[..t.len() - 1], 1u64),
        Some(b'm') => (&t[..t.len() - 1], 60),
        Some(b'h') => (&t[..t.len() - 1], 3600),
        _ => (t, 1),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let n = digits.bytes().fold(0u64, |acc, b| {
        acc.saturating_mul(10).saturating_add(u64::from(b - b'0'))
    });
    if n == 0 {
        return Err(invalid());
    }
    Ok(n.saturating_mul(factor))
}

/// An explicit supervisor id must be a socket named `avenor-mcp-*.sock` directly
/// inside the sockets root (compared after resolving symlinks of both
/// directories). Returns the canonical socket path `realDir/basename`.
pub fn validate_supervisor_socket_path(id: &str, sockets_root: &Path) -> CoreResult<PathBuf> {
    let real_root = realpath(sockets_root)?;
    let real_dir = realpath(&node_dirname(id))?;
    let base = node_basename(id);
    if real_root != real_dir || !is_socket_basename(&base) {
        return Err(CoreError::plain(format!("invalid supervisorId: {id}")));
    }
    Ok(real_dir.join(base))
}

/// `^avenor-mcp-[^/\\]+\.sock$`
fn is_socket_basename(base: &str) -> bool {
    let Some(middle) = base
        .strip_prefix("avenor-mcp-")
        .and_then(|rest| rest.strip_suffix(".sock"))
    else {
        return false;
    };
    !middle.is_empty() && !middle.contains(['/', '\\'])
}

/// Node's `path.dirname` for POSIX paths: `.` for a bare name, `/` for root.
fn node_dirname(p: &str) -> PathBuf {
    let trimmed = p.trim_end_matches('/');
    if trimmed.is_empty() {
        return PathBuf::from(if p.starts_with('/') { "/" } else { "." });
    }
    match trimmed.rfind('/') {
        None => PathBuf::from("."),
        Some(i) => {
            let dir = trimmed[..i].trim_end_matches('/');
            PathBuf::from(if dir.is_empty() { "/" } else { dir })
        }
    }
}

/// Node's `path.basename` for POSIX paths (trailing slashes ignored).
fn node_basename(p: &str) -> String {
    let trimmed = p.trim_end_matches('/');
    match trimmed.rfind('/') {
        None => trimmed.to_string(),
        Some(i) => trimmed[i + 1..].to_string(),
    }
}

/// `fs.realpathSync.native`, with Node's error text on failure.
fn realpath(p: &Path) -> CoreResult<PathBuf> {
    std::fs::canonicalize(p).map_err(|e| CoreError::plain(node_fs_error(&e, "realpath", p)))
}

/// `ENOENT: no such file or directory, realpath '/x'` — the wording Node puts in
/// fs errors; unknown errno values fall back to Rust's text.
fn node_fs_error(e: &std::io::Error, syscall: &str, p: &Path) -> String {
    let known = e.raw_os_error().and_then(|errno| {
        Some(match errno {
            libc::ENOENT => ("ENOENT", "no such file or directory"),
            libc::ENOTDIR => ("ENOTDIR", "not a directory"),
            libc::EACCES => ("EACCES", "permission denied"),
            libc::ELOOP => ("ELOOP", "too many symbolic links encountered"),
            libc::ENAMETOOLONG => ("ENAMETOOLONG", "name too long"),
            libc::EPERM => ("EPERM", "operation not permitted"),
            _ => return None,
        })
    });
    match known {
        Some((code, text)) => format!("{code}: {text}, {syscall} '{}'", p.display()),
        None => e.to_string(),
    }
}

/// RFC 3339 shape:
/// `^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$`.
pub fn validate_observed_at(s: &str) -> CoreResult<()> {
    if is_rfc3339_shape(s.as_bytes()) {
        Ok(())
    } else {
        Err(CoreError::plain("observed_at must be an RFC3339 timestamp"))
    }
}

fn is_rfc3339_shape(b: &[u8]) -> bool {
    // Fixed part: YYYY-MM-DDTHH:MM:SS (19 bytes), `d` = digit.
    const HEAD: &[u8; 19] = b"dddd-dd-ddTdd:dd:dd";
    if b.len() < HEAD.len() || !matches_template(&b[..HEAD.len()], HEAD) {
        return false;
    }
    let mut rest = &b[HEAD.len()..];
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    match rest {
        b"Z" => true,
        [b'+' | b'-', tz @ ..] => tz.len() == 5 && matches_template(tz, b"dd:dd"),
        _ => false,
    }
}

fn matches_template(b: &[u8], template: &[u8]) -> bool {
    b.len() == template.len()
        && b.iter().zip(template).all(|(c, t)| match t {
            b'd' => c.is_ascii_digit(),
            lit => c == lit,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg<T: std::fmt::Debug>(r: CoreResult<T>) -> String {
        r.expect_err("expected an error").to_string()
    }

    #[test]
    fn run_ids() {
        assert!(validate_run_id("a_b-1").is_ok());
        assert_eq!(msg(validate_run_id("a/b")), "invalid run_id: a/b");
        assert_eq!(msg(validate_run_id("")), "invalid run_id: ");
        assert_eq!(msg(validate_run_id("é")), "invalid run_id: é");
    }

    #[test]
    fn timeouts() {
        assert_eq!(validate_timeout("5m").ok(), Some(300));
        assert_eq!(validate_timeout("1h").ok(), Some(3600));
        assert_eq!(validate_timeout("30").ok(), Some(30));
        assert_eq!(validate_timeout("30s").ok(), Some(30));
        assert_eq!(validate_timeout(" 7m\n").ok(), Some(420));
        assert_eq!(validate_timeout("007").ok(), Some(7));
        for bad in [
            "0", "abc", "1.5m", "5d", " ", "", "m", "-1", "0h", "1 m", "١",
        ] {
            assert_eq!(
                msg(validate_timeout(bad)),
                format!("invalid timeout: {bad}")
            );
        }
        assert_eq!(
            validate_timeout("99999999999999999999999h").ok(),
            Some(u64::MAX)
        );
    }

    #[test]
    fn socket_paths() {
        let tmp = std::env::temp_dir().join(format!("avenor-validate-{}", std::process::id()));
        let root = tmp.join("sockets");
        std::fs::create_dir_all(&root).expect("mkdir");
        let real_root = std::fs::canonicalize(&root).expect("realpath");

        let good = format!("{}/avenor-mcp-42.sock", root.display());
        assert_eq!(
            validate_supervisor_socket_path(&good, &root).ok(),
            Some(real_root.join("avenor-mcp-42.sock"))
        );
        // A path through a `..` detour resolves to the same directory.
        let detour = format!("{}/../sockets/avenor-mcp-x.sock", root.display());
        assert!(validate_supervisor_socket_path(&detour, &root).is_ok());

        for bad in [
            "/tmp/x.sock".to_string(),
            format!("{}/x.sock", root.display()),
            format!("{}/avenor-mcp-.sock", root.display()),
            format!("{}/avenor-mcp-1.sock.bak", root.display()),
            format!("{}/avenor-mcp-a\\b.sock", root.display()),
        ] {
            assert_eq!(
                msg(validate_supervisor_socket_path(&bad, &root)),
                format!("invalid supervisorId: {bad}")
            );
        }
        let missing = format!("{}/nope/avenor-mcp-1.sock", root.display());
        assert_eq!(
            msg(validate_supervisor_socket_path(&missing, &root)),
            format!(
                "ENOENT: no such file or directory, realpath '{}/nope'",
                root.display()
            )
        );
        std::fs::remove_dir_all(&tmp).ok();
    }

    #[test]
    fn node_path_helpers() {
        assert_eq!(node_dirname("x.sock"), PathBuf::from("."));
        assert_eq!(node_dirname("/x.sock"), PathBuf::from("/"));
        assert_eq!(node_dirname("/a//b/"), PathBuf::from("/a"));
        assert_eq!(node_basename("/a/b/"), "b");
        assert_eq!(node_basename(""), "");
    }

    #[test]
    fn observed_at() {
        for ok in [
            "2024-01-02T03:04:05Z",
            "2024-01-02T03:04:05.123Z",
            "2024-01-02T03:04:05+02:00",
            "2024-01-02T03:04:05.1-11:30",
        ] {
            assert!(validate_observed_at(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "2024-01-02 03:04:05Z",
            "2024-01-02T03:04:05",
            "2024-01-02T03:04:05.Z",
            "2024-01-02T03:04:05z",
            "2024-01-02T03:04:05+0200",
            "2024-01-02T03:04:05Z\n",
            "24-01-02T03:04:05Z",
        ] {
            assert_eq!(
                msg(validate_observed_at(bad)),
                "observed_at must be an RFC3339 timestamp"
            );
        }
    }
}
