//! The length limit of a Unix socket path. `sun_path` holds 108 bytes on
//! Linux and 104 on macOS, including the terminating NUL; the daemon cannot
//! bind a longer path and only exits with code 1, so the supervisor checks
//! first and says what to change.

use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::error::{CoreError, CoreResult};

/// Bytes in `sockaddr_un.sun_path` on this system, NUL included.
pub fn sun_path_capacity() -> usize {
    // SAFETY: sockaddr_un is plain data; all zeros is a valid value.
    let addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    addr.sun_path.len()
}

/// Fails unless `socket` fits in `sun_path` with its NUL. The message names
/// the path, its length, the limit and what to do about it.
pub fn validate_socket_path_length(socket: &Path) -> CoreResult<()> {
    let len = socket.as_os_str().as_bytes().len();
    let capacity = sun_path_capacity();
    let max = capacity - 1;
    if len <= max {
        return Ok(());
    }
    Err(CoreError::plain(format!(
        "control socket path is too long: {} is {len} bytes, but a Unix socket path may have \
         at most {max} bytes on this system ({capacity} with the terminating NUL). Set \
         AVENOR_HOME to a directory at least {} shorter (the socket is \
         <AVENOR_HOME>/sockets/avenor-mcp-<pid>.sock).",
        socket.display(),
        bytes(len - max)
    )))
}

fn bytes(n: usize) -> String {
    if n == 1 {
        "1 byte".to_string()
    } else {
        format!("{n} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path_of(len: usize) -> std::path::PathBuf {
        let tail = "/sockets/avenor-mcp-1234.sock";
        let head = "/h".to_string() + &"o".repeat(len - tail.len() - 2);
        let p = std::path::PathBuf::from(head + tail);
        assert_eq!(p.as_os_str().len(), len);
        p
    }

    #[test]
    fn the_capacity_is_the_platforms_sun_path() {
        let want = if cfg!(target_os = "linux") { 108 } else { 104 };
        assert_eq!(sun_path_capacity(), want);
    }

    #[test]
    fn a_path_that_fits_with_its_nul_passes() {
        let max = sun_path_capacity() - 1;
        assert!(validate_socket_path_length(&path_of(max)).is_ok());
        assert!(validate_socket_path_length(Path::new("/tmp/a.sock")).is_ok());
    }

    #[test]
    fn a_longer_path_says_what_is_wrong_and_what_to_do() {
        let max = sun_path_capacity() - 1;
        let long = path_of(max + 12);
        let err = validate_socket_path_length(&long).expect_err("too long");
        assert_eq!(
            err.to_string(),
            format!(
                "control socket path is too long: {} is {} bytes, but a Unix socket path may \
                 have at most {max} bytes on this system ({} with the terminating NUL). Set \
                 AVENOR_HOME to a directory at least 12 bytes shorter (the socket is \
                 <AVENOR_HOME>/sockets/avenor-mcp-<pid>.sock).",
                long.display(),
                max + 12,
                max + 1
            )
        );
        let err = validate_socket_path_length(&path_of(max + 1)).expect_err("one over");
        assert!(err.to_string().contains("at least 1 byte shorter"));
    }
}
