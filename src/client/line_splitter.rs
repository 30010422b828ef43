//! Splits bytes that arrive in chunks of any size into `\n`-terminated lines,
//! synchronously (for the connection read on the host's event loop). Lines have
//! no size limit; a trailing `\r` is dropped, as the async reader does. A line
//! wholly inside one chunk is handed out without being copied.

#[derive(Default)]
pub struct LineSplitter {
    /// The start of a line whose end has not arrived yet.
    partial: Vec<u8>,
}

/// One line handed out by `feed_while`: borrowed from the chunk, or the
/// splitter's own buffer of a line that crossed chunks, given away whole.
pub enum Line<'a> {
    Borrowed(&'a [u8]),
    Owned(Vec<u8>),
}

impl Line<'_> {
    pub fn bytes(&self) -> &[u8] {
        match self {
            Line::Borrowed(b) => b,
            Line::Owned(v) => v,
        }
    }

    /// The line's bytes as a vector, copied only when borrowed.
    pub fn into_owned(self) -> Vec<u8> {
        match self {
            Line::Borrowed(b) => b.to_vec(),
            Line::Owned(v) => v,
        }
    }
}

fn without_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

impl LineSplitter {
    /// Feeds one chunk, calling `on_line` for each line it completes, in order.
    pub fn feed(&mut self, chunk: &[u8], mut on_line: impl FnMut(&[u8])) {
        self.feed_while(chunk, |line| {
            on_line(line.bytes());
            true
        });
    }

    /// As `feed`, but stops after a line for which `on_line` returns false.
    /// Returns how many bytes of `chunk` were taken; the caller feeds the rest
    /// later, before anything newer.
    pub fn feed_while(&mut self, chunk: &[u8], mut on_line: impl FnMut(Line<'_>) -> bool) -> usize {
        let mut rest = chunk;
        if !self.partial.is_empty() {
            let Some(end) = memchr(rest) else {
                self.partial.extend_from_slice(rest);
                return chunk.len();
            };
            self.partial.extend_from_slice(&rest[..end]);
            let mut line = std::mem::take(&mut self.partial);
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            rest = &rest[end + 1..];
            if !on_line(Line::Owned(line)) {
                return chunk.len() - rest.len();
            }
        }
        while let Some(end) = memchr(rest) {
            let line = &rest[..end];
            rest = &rest[end + 1..];
            if !on_line(Line::Borrowed(without_cr(line))) {
                return chunk.len() - rest.len();
            }
        }
        self.partial.extend_from_slice(rest);
        chunk.len()
    }

    /// At the end of the stream: a final unterminated line still counts.
    pub fn finish(&mut self, mut on_line: impl FnMut(&[u8])) {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            on_line(without_cr(&line));
        }
    }
}

fn memchr(bytes: &[u8]) -> Option<usize> {
    memchr::memchr(b'\n', bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(chunks: &[&[u8]]) -> Vec<Vec<u8>> {
        let mut splitter = LineSplitter::default();
        let mut lines = Vec::new();
        for chunk in chunks {
            splitter.feed(chunk, |l| lines.push(l.to_vec()));
        }
        splitter.finish(|l| lines.push(l.to_vec()));
        lines
    }

    #[test]
    fn lines_across_chunks_come_out_whole_and_in_order() {
        assert_eq!(
            split(&[b"a\r\nb", b"c", b"\n\nd\r", b"\ne"]),
            vec![
                b"a".to_vec(),
                b"bc".to_vec(),
                vec![],
                b"d".to_vec(),
                b"e".to_vec()
            ]
        );
    }

    #[test]
    fn a_line_larger_than_any_chunk() {
        let big = vec![b'x'; 3 * 1024 * 1024];
        let mut data = big.clone();
        data.push(b'\n');
        let chunks: Vec<&[u8]> = data.chunks(65_536).collect();
        assert_eq!(split(&chunks), vec![big]);
    }

    #[test]
    fn stopping_after_a_line_leaves_the_rest_to_feed_later() {
        let mut splitter = LineSplitter::default();
        let mut lines = Vec::new();
        let data = b"a\nb\nc";
        let taken = splitter.feed_while(data, |l| {
            lines.push(l.into_owned());
            false
        });
        assert_eq!(taken, 2);
        splitter.feed(&data[taken..], |l| lines.push(l.to_vec()));
        splitter.finish(|l| lines.push(l.to_vec()));
        assert_eq!(lines, vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]);
    }

    #[test]
    fn nothing_in_nothing_out() {
        assert!(split(&[]).is_empty());
        assert!(split(&[b""]).is_empty());
    }
}
