//! The record pipeline of `eventsTool` over a run's NDJSON event log
//! (core-spec §11.2 steps 3a, 4 and 5): filter, keep the newest `limit`, clip.
//!
//! `read_newest_records` reads the file backwards in blocks (`backward`) and
//! stops once it has enough matching records, so its cost follows the size of
//! the newest matches, not the size of the log; it holds at most one line of
//! at most `MAX_RECORD_BYTES` and jumps over a sparse file's holes (`sparse`).
//! `scan_whole_file` is the plain forward scan it replaces, kept as a baseline
//! and test oracle.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::jsval::{finite_number, js_trim};
use crate::regular_file::open_regular;

mod backward;
mod sparse;

use backward::newest_from;
pub use backward::LogRead;
// Public only for the fuzz targets (fuzz/), which drive `newest_matching`.
#[doc(hidden)]
pub use sparse::LogSource;

/// Strings longer than this keep only their last this-many characters.
pub const CLIP_STRING_CHARS: usize = 4000;
/// Arrays keep only their last this-many items.
pub const CLIP_ARRAY_ITEMS: usize = 32;
/// Objects keep only their first this-many keys.
pub const CLIP_OBJECT_KEYS: usize = 64;

const BLOCK_SIZE: usize = 64 * 1024;
/// The longest line the reader holds. Records are far smaller; a longer line
/// is a runaway write (or a sparse file's zeros) and is skipped, so neither
/// memory nor the JSON parse grows with it.
pub const MAX_RECORD_BYTES: usize = 16 * 1024 * 1024;

/// The `types` / `after_seq` filters of `eventsTool`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventFilter {
    /// Event names to keep; empty keeps every name.
    pub types: Vec<String>,
    /// Drop records whose numeric `seq` is ≤ this (records without seq stay).
    pub after_seq: Option<f64>,
}

impl EventFilter {
    /// Whether a parsed log record passes. Records are event objects; any other
    /// JSON value is treated like a malformed line and never passes.
    pub fn matches(&self, record: &Value) -> bool {
        let Some(obj) = record.as_object() else {
            return false;
        };
        if !self.types.is_empty() {
            let Some(name) = event_name(obj) else {
                return false;
            };
            if !self.types.iter().any(|t| t == name) {
                return false;
            }
        }
        match (self.after_seq, obj.get("seq").and_then(finite_number)) {
            (Some(after), Some(seq)) => seq > after,
            _ => true,
        }
    }
}

/// `event` when non-empty, else `type`.
fn event_name(obj: &Map<String, Value>) -> Option<&str> {
    let event = obj
        .get("event")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty());
    event.or_else(|| obj.get("type").and_then(Value::as_str))
}

/// Bounds a record for output: long strings keep their tail (counted in
/// characters), arrays their last items, objects their first keys; recursively.
pub fn clip_record(v: Value) -> Value {
    match v {
        Value::String(s) => Value::String(clip_string(s)),
        Value::Array(items) => {
            let skip = items.len().saturating_sub(CLIP_ARRAY_ITEMS);
            Value::Array(items.into_iter().skip(skip).map(clip_record).collect())
        }
        Value::Object(map) => Value::Object(
            map.into_iter()
                .take(CLIP_OBJECT_KEYS)
                .map(|(k, v)| (k, clip_record(v)))
                .collect(),
        ),
        other => other,
    }
}

fn clip_string(s: String) -> String {
    // Byte length bounds the char count from above: short strings need no count.
    if s.len() <= CLIP_STRING_CHARS {
        return s;
    }
    let chars = s.chars().count();
    if chars <= CLIP_STRING_CHARS {
        return s;
    }
    s.chars().skip(chars - CLIP_STRING_CHARS).collect()
}

/// The newest `limit` records of the log at `path` that pass `filter`,
/// oldest first, clipped (`clip_record`). Blank and malformed lines are skipped. Errors when the file
/// cannot be opened or read, and when it is not a regular file: a FIFO would
/// block the reader forever and a device never ends, so they are refused like
/// an unreadable log (the caller then falls back to the daemon's history).
pub fn read_newest_records(
    path: &Path,
    limit: usize,
    filter: &EventFilter,
) -> io::Result<Vec<Value>> {
    read_newest(path, limit, filter).map(|read| read.records)
}

/// `read_newest_records` with what the read skipped and held: lines longer
/// than [`MAX_RECORD_BYTES`] are skipped (and counted) rather than held.
pub fn read_newest(path: &Path, limit: usize, filter: &EventFilter) -> io::Result<LogRead> {
    let mut file = open_regular(path)?;
    let len = file.metadata()?.len();
    newest_matching(&mut file, len, limit, filter, BLOCK_SIZE, MAX_RECORD_BYTES)
}

/// `read_newest_records` on Tokio's blocking pool, so a slow disk or a large
/// log holds a pool thread and never one of the few async workers that every
/// other call of the addon needs.
pub async fn read_newest_records_off_workers(
    path: PathBuf,
    limit: usize,
    filter: EventFilter,
) -> io::Result<Vec<Value>> {
    off_workers(move || read_newest_records(&path, limit, &filter)).await
}

/// Runs blocking file work on the blocking pool and waits for it.
pub(crate) async fn off_workers<T: Send + 'static>(
    work: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|e| Err(io::Error::other(format!("the log reader stopped: {e}"))))
}

/// The backward reader with this module's line parser and `filter`. Each
/// kept record is clipped at once, so `limit` records from lines of up to
/// `max_line` bytes never sit in memory whole. Public (hidden) so the fuzz
/// targets can use tiny blocks and caps.
#[doc(hidden)]
pub fn newest_matching<S: LogSource>(
    src: &mut S,
    len: u64,
    limit: usize,
    filter: &EventFilter,
    block_size: usize,
    max_line: usize,
) -> io::Result<LogRead> {
    newest_from(src, len, limit, block_size, max_line, |line| {
        parse_line(line)
            .filter(|r| filter.matches(r))
            .map(clip_record)
    })
}

/// One NDJSON line → a value; `None` for blank or malformed lines. Invalid
/// UTF-8 is replaced first, as Node's `utf8` decoding does.
fn parse_line(line: &[u8]) -> Option<Value> {
    let text = String::from_utf8_lossy(line);
    let text = js_trim(&text);
    if text.is_empty() {
        return None;
    }
    serde_json::from_str(text).ok()
}

/// Forward scan of every line, keeping the newest `limit` matches, oldest
/// first. Same results as `read_newest_records`, at a cost proportional to the
/// whole file.
pub fn scan_whole_file(path: &Path, limit: usize, filter: &EventFilter) -> io::Result<Vec<Value>> {
    let mut reader = BufReader::new(File::open(path)?);
    let mut kept: VecDeque<Value> = VecDeque::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        if limit == 0 {
            continue;
        }
        if let Some(record) = parse_line(&line).filter(|r| filter.matches(r)) {
            if kept.len() == limit {
                kept.pop_front();
            }
            kept.push_back(record);
        }
    }
    Ok(kept.into())
}

#[cfg(test)]
mod tests;
