//! Puts a downloaded binary in place: a private directory, then a temporary file
//! renamed over `avenor`, so nobody ever runs a half-written binary and a running
//! one can be replaced.

use std::fs::{self, OpenOptions, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::discovery::ensure_private_dir;
use crate::error::{CoreError, CoreResult};

/// The binary's file name inside the install directory.
pub const BINARY_NAME: &str = "avenor";

const BINARY_MODE: u32 = 0o755;

/// Writes `bytes` to `<dir>/avenor` with mode 0755, creating `dir` with mode 0700.
pub fn install_binary(dir: &Path, bytes: &[u8]) -> CoreResult<PathBuf> {
    ensure_private_dir(dir)?;
    let target = dir.join(BINARY_NAME);
    // Same directory as the target, so the rename cannot cross file systems.
    let temp = dir.join(format!(".{BINARY_NAME}.{}.tmp", std::process::id()));
    if let Err(e) = write_executable(&temp, bytes).and_then(|()| fs::rename(&temp, &target)) {
        let _ = fs::remove_file(&temp);
        return Err(CoreError::plain(format!("write {}: {e}", target.display())));
    }
    Ok(target)
}

fn write_executable(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(BINARY_MODE)
        .open(path)?;
    file.write_all(bytes)?;
    // open()'s mode is narrowed by the umask, and a stale temp file keeps its own.
    file.set_permissions(Permissions::from_mode(BINARY_MODE))?;
    file.sync_all()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A fresh, not yet created directory under the system temp dir.
    pub(crate) fn scratch(name: &str) -> PathBuf {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("avenor-install-{name}-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).map_or(0, |m| m.permissions().mode() & 0o777)
    }

    #[test]
    fn creates_a_private_dir_and_an_executable() {
        let root = scratch("write");
        let dir = root.join("a/b");
        let path = install_binary(&dir, b"#!/bin/sh\nexit 0\n").expect("installs");
        assert_eq!(path, dir.join("avenor"));
        assert_eq!(
            fs::read(&path).ok().as_deref(),
            Some(&b"#!/bin/sh\nexit 0\n"[..])
        );
        assert_eq!(mode(&path), 0o755);
        assert_eq!(mode(&dir), 0o700);
        let _ = fs::remove_dir_all(&root);
    }

    #[test]
    fn replaces_an_existing_binary_and_leaves_no_temp_file() {
        let dir = scratch("replace");
        install_binary(&dir, b"old").expect("first install");
        let path = install_binary(&dir, b"new").expect("second install");
        assert_eq!(fs::read(&path).ok().as_deref(), Some(&b"new"[..]));
        let names: Vec<_> = fs::read_dir(&dir)
            .map(|it| it.filter_map(|e| e.ok()).map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert_eq!(names, vec![std::ffi::OsString::from("avenor")]);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn reports_a_dir_that_cannot_be_created() {
        let root = scratch("blocked");
        fs::create_dir_all(&root).expect("root");
        let file = root.join("file");
        fs::write(&file, b"x").expect("file");
        let err = install_binary(&file.join("sub"), b"x").expect_err("a file is in the way");
        assert!(err.to_string().starts_with("mkdir "), "{err}");
        let _ = fs::remove_dir_all(&root);
    }
}
