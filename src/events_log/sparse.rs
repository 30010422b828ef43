//! Where a log has no data. A sparse file's holes read as zero bytes, and a
//! line with a zero byte in it can never be a JSON record, so the backward
//! reader may jump over a hole instead of reading gigabytes of zeros.

use std::fs::File;
use std::io::{Cursor, Read, Seek};
use std::os::fd::AsRawFd;

/// A seekable log that may know where its holes are.
pub trait LogSource: Read + Seek {
    /// Whether `[start, end)` lies wholly in a hole; `false` when unknown.
    fn is_hole(&mut self, _start: u64, _end: u64) -> bool {
        false
    }
}

impl LogSource for File {
    fn is_hole(&mut self, start: u64, end: u64) -> bool {
        let Ok(offset) = libc::off_t::try_from(start) else {
            return false;
        };
        // SAFETY: lseek on an fd we own; it only moves the file offset, and
        // every read of the reader seeks first.
        let data = unsafe { libc::lseek(self.as_raw_fd(), offset, libc::SEEK_DATA) };
        if data >= 0 {
            return u64::try_from(data).is_ok_and(|d| d >= end);
        }
        // ENXIO: no data at or after `start` (a trailing hole). Any other
        // error (a file system without SEEK_DATA) means "unknown".
        std::io::Error::last_os_error().raw_os_error() == Some(libc::ENXIO)
    }
}

impl<T: AsRef<[u8]>> LogSource for Cursor<T> {}

/// The lowest `start` such that `[start, end)` is all hole, found with
/// O(log n) probes (doubling steps back, then halving down to `step`).
/// Returns `end` when the bytes just before it are data (or unknown).
pub fn hole_start<S: LogSource>(src: &mut S, end: u64, step: u64) -> u64 {
    let min_step = step.max(1);
    let mut start = end;
    let mut step = min_step;
    let mut growing = true;
    while start > 0 && step >= min_step {
        let probe = start.saturating_sub(step);
        if src.is_hole(probe, start) {
            start = probe;
            if growing {
                step = step.saturating_mul(2);
            }
        } else {
            growing = false;
            step /= 2;
        }
    }
    start
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A source whose bytes in `hole` are a hole.
    struct Holey {
        inner: Cursor<Vec<u8>>,
        hole: std::ops::Range<u64>,
        probes: usize,
    }

    impl Read for Holey {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.inner.read(buf)
        }
    }

    impl Seek for Holey {
        fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
            self.inner.seek(pos)
        }
    }

    impl LogSource for Holey {
        fn is_hole(&mut self, start: u64, end: u64) -> bool {
            self.probes += 1;
            self.hole.start <= start && end <= self.hole.end
        }
    }

    #[test]
    fn hole_start_finds_the_start_of_the_hole_in_few_probes() {
        for (hole, end, want) in [
            (1000..9_000_000, 9_000_000, 1000),
            (0..9_000_000, 9_000_000, 0),
            (0..9_000_000, 5_000_000, 0),
            (4096..8192, 8192, 4096),
            (8000..9000, 9000, 8000),
        ] {
            let mut src = Holey {
                inner: Cursor::new(Vec::new()),
                hole,
                probes: 0,
            };
            let got = hole_start(&mut src, end, 64);
            // Halving stops at the step, so the start is exact to within it.
            assert!(got >= want && got - want < 64, "{got} vs {want}");
            assert!(src.probes < 64, "{} probes", src.probes);
        }
    }

    #[test]
    fn a_real_sparse_file_reports_its_hole() {
        let p = std::env::temp_dir().join(format!("avenor-sparse-{}", std::process::id()));
        let mut f = File::create(&p).expect("create");
        f.set_len(64 << 20).expect("set_len");
        std::io::Write::write_all(&mut f, b"data at the start\n").expect("write");
        let mut f = File::open(&p).expect("open");
        // File systems without SEEK_DATA report no holes, which is always safe.
        if f.is_hole(32 << 20, 64 << 20) {
            assert!(hole_start(&mut f, 64 << 20, 64 * 1024) <= 1 << 20);
        }
        assert!(!f.is_hole(0, 64 << 20), "the first bytes are data");
        std::fs::remove_file(&p).ok();
    }
}
