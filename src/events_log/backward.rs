//! The backward reader: blocks from the end of the log, lines rebuilt from
//! the pieces that cross block edges, stopping once it has enough matches.
//! One line is held at a time and never more than `max_line` bytes of it: a
//! longer line (a runaway record, or gigabytes of zeros) is skipped and
//! counted, so memory stays flat whatever the file holds.

use std::io::{self, SeekFrom};

use serde_json::Value;

use super::sparse::{hole_start, LogSource};

/// What one read found and what it held.
#[derive(Debug, Default, PartialEq)]
pub struct LogRead {
    /// The newest matching records, oldest first.
    pub records: Vec<Value>,
    /// Lines longer than the cap, skipped without being held.
    pub oversized_lines: usize,
    /// The most bytes of a single line held at once.
    pub peak_line_bytes: usize,
}

/// The line being rebuilt, newest bytes first.
struct Line {
    /// Pieces in the order they were read (the last piece is first in the file).
    pieces: Vec<Vec<u8>>,
    held: usize,
    /// Known to be no record (too long, or has a hole in it): bytes are dropped.
    junk: bool,
    /// Offset just past the line's last byte, to measure a dropped line.
    end: u64,
}

impl Line {
    fn new(end: u64) -> Self {
        Line {
            pieces: Vec::new(),
            held: 0,
            junk: false,
            end,
        }
    }

    fn drop_bytes(&mut self) {
        self.junk = true;
        self.pieces = Vec::new();
        self.held = 0;
    }
}

/// Reads `src` (of `len` bytes) backwards in `block_size` blocks and keeps the
/// newest `limit` lines for which `keep` yields a record.
pub fn newest_from<S: LogSource>(
    src: &mut S,
    len: u64,
    limit: usize,
    block_size: usize,
    max_line: usize,
    mut keep: impl FnMut(&[u8]) -> Option<Value>,
) -> io::Result<LogRead> {
    let mut out = LogRead::default();
    if limit == 0 {
        return Ok(out);
    }
    let mut block = vec![0u8; block_size.max(1)];
    let mut line = Line::new(len);
    let mut pos = len;
    // A finished line: its record if it has one; true once there are enough.
    let mut finish = |line: &mut Line, head: &[u8], start: u64, out: &mut LogRead| {
        let too_long = line.end - start > max_line as u64;
        if line.junk || too_long {
            out.oversized_lines += usize::from(too_long);
        } else {
            let bytes = join(head, &mut line.pieces);
            out.peak_line_bytes = out.peak_line_bytes.max(bytes.len());
            out.records.extend(keep(&bytes));
        }
        out.records.len() >= limit
    };
    while pos > 0 {
        let n = usize::try_from(pos).map_or(block.len(), |p| p.min(block.len()));
        if src.is_hole(pos - n as u64, pos) {
            // Zeros only: no line break, and the line they belong to is no record.
            line.drop_bytes();
            pos = hole_start(src, pos - n as u64, block.len() as u64);
            continue;
        }
        pos -= n as u64;
        src.seek(SeekFrom::Start(pos))?;
        src.read_exact(&mut block[..n])?;
        let mut end = n;
        while let Some(nl) = memchr::memrchr(b'\n', &block[..end]) {
            let start = pos + nl as u64 + 1;
            if finish(&mut line, &block[nl + 1..end], start, &mut out) {
                out.records.reverse();
                return Ok(out);
            }
            line = Line::new(start - 1);
            end = nl;
        }
        if !line.junk {
            if line.held + end > max_line {
                line.drop_bytes();
            } else {
                line.pieces.push(block[..end].to_vec());
                line.held += end;
                out.peak_line_bytes = out.peak_line_bytes.max(line.held);
            }
        }
    }
    // The first line of the file has no newline before it.
    finish(&mut line, &[], 0, &mut out);
    out.records.reverse();
    Ok(out)
}

/// `head` followed by the carried pieces.
fn join(head: &[u8], pieces: &mut Vec<Vec<u8>>) -> Vec<u8> {
    if pieces.is_empty() {
        return head.to_vec();
    }
    let total = head.len() + pieces.iter().map(Vec::len).sum::<usize>();
    let mut line = Vec::with_capacity(total);
    line.extend_from_slice(head);
    for piece in pieces.drain(..).rev() {
        line.extend_from_slice(&piece);
    }
    line
}
