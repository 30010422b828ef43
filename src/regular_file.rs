//! Opening a file we only want to read if it is a regular file. A run's files
//! (event log, sentinel) live where a daemon or a user can put anything: a
//! FIFO there makes a plain `open` wait for a writer forever, and a device
//! such as `/dev/zero` never ends. Both are refused with an error instead.

use std::fs::{File, FileType, OpenOptions};
use std::io;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// Opens `path` for reading if it is a regular file (symlinks followed);
/// anything else fails with `not a regular file (it is a FIFO)` and the like.
pub fn open_regular(path: &Path) -> io::Result<File> {
    // stat first, so a device is never opened at all (opening one can have
    // side effects).
    refuse_irregular(std::fs::metadata(path)?.file_type())?;
    // Something else may have been put there since: O_NONBLOCK keeps the open
    // of a FIFO from waiting for a writer, and fstat checks what was opened.
    // On a regular file O_NONBLOCK changes nothing.
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    refuse_irregular(file.metadata()?.file_type())?;
    Ok(file)
}

fn refuse_irregular(kind: FileType) -> io::Result<()> {
    if kind.is_file() {
        return Ok(());
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("not a regular file (it is {})", describe(kind)),
    ))
}

fn describe(kind: FileType) -> &'static str {
    if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_dir() {
        "a directory"
    } else {
        "not a file"
    }
}

/// Creates a FIFO at `path` (for tests of the refusal).
#[cfg(test)]
pub(crate) fn make_fifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).expect("path");
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("avenor-regular-file-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        dir
    }

    /// Runs `f` on a thread of its own; a call still blocked after `limit`
    /// fails the test instead of hanging it.
    fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(f());
        });
        rx.recv_timeout(limit).expect("the call blocked")
    }

    #[test]
    fn a_fifo_is_refused_without_waiting_for_a_writer() {
        let dir = scratch("fifo");
        let fifo = dir.join("events.log");
        make_fifo(&fifo);
        let path = fifo.clone();
        let err = within(Duration::from_secs(5), move || open_regular(&path))
            .expect_err("a FIFO must be refused");
        assert_eq!(err.to_string(), "not a regular file (it is a FIFO)");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn devices_and_directories_are_refused() {
        let err = within(Duration::from_secs(5), || {
            open_regular(Path::new("/dev/zero"))
        })
        .expect_err("a device must be refused");
        assert_eq!(
            err.to_string(),
            "not a regular file (it is a character device)"
        );
        let err = open_regular(Path::new("/")).expect_err("a directory must be refused");
        assert_eq!(err.to_string(), "not a regular file (it is a directory)");
    }

    #[test]
    fn regular_files_open_and_missing_ones_keep_the_os_error() {
        let dir = scratch("plain");
        let file = dir.join("events.log");
        std::fs::write(&file, b"{}\n").expect("write");
        let mut text = String::new();
        io::Read::read_to_string(&mut open_regular(&file).expect("open"), &mut text).expect("read");
        assert_eq!(text, "{}\n");
        let missing = open_regular(&dir.join("nope")).expect_err("missing");
        assert_eq!(missing.kind(), io::ErrorKind::NotFound);
        std::fs::remove_dir_all(&dir).ok();
    }
}
