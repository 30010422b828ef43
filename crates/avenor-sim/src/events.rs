//! Per-runtime event stream: one `seq` counter shared by the NDJSON file and the socket,
//! common-field stamping (§4.2), the 256-event history window (§2.12), and hand-off of
//! the socket copy to subscribers.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};

use crate::rpc;
use crate::subscription::Hub;
use crate::util::{self, lock};

pub const HISTORY_CAP: usize = 256;
/// Socket copies and list previews carry at most this many code points of final output.
pub const PREVIEW_CODE_POINTS: usize = 4096;

/// One published event, shared by the history window and every subscriber queue.
pub struct Published {
    pub runtime_id: Arc<str>,
    pub seq: u64,
    /// The socket copy (bounded `final_output`).
    pub value: Value,
    /// Ready-to-write `method:"event"` notification line.
    pub line: String,
}

/// Fields the daemon stamps on every event of one runtime.
pub struct Stamp {
    pub runtime_id: Arc<str>,
    pub run_id: Arc<str>,
    pub session_id: String,
    pub label: String,
}

pub struct EventLog {
    stamp: Stamp,
    inner: Mutex<LogInner>,
}

struct LogInner {
    seq: u64,
    history: VecDeque<Arc<Published>>,
    /// Buffered so `chunks 100000` stays cheap; flushed at every wait and turn end.
    file: Option<BufWriter<File>>,
}

impl EventLog {
    /// Creates (truncating) the NDJSON file.
    pub fn create(path: &Path, stamp: Stamp) -> std::io::Result<EventLog> {
        let file = File::create(path)?;
        Ok(EventLog {
            stamp,
            inner: Mutex::new(LogInner {
                seq: 0,
                history: VecDeque::with_capacity(HISTORY_CAP),
                file: Some(BufWriter::with_capacity(256 * 1024, file)),
            }),
        })
    }

    /// Stamps and publishes one event; `to_file: false` is for the socket-only events.
    /// Delivery to subscribers happens under this runtime's lock so every subscriber
    /// sees this runtime's events in `seq` order.
    pub fn publish(&self, hub: &Hub, event: &str, mut fields: Map<String, Value>, to_file: bool) {
        let mut inner = lock(&self.inner);
        inner.seq += 1;
        let seq = inner.seq;
        fields.insert("event".into(), Value::from(event));
        if !self.stamp.session_id.is_empty() {
            fields.insert(
                "session_id".into(),
                Value::from(self.stamp.session_id.as_str()),
            );
        }
        fields.insert("runtime_id".into(), Value::from(&*self.stamp.runtime_id));
        fields.insert("run_id".into(), Value::from(&*self.stamp.run_id));
        if !self.stamp.label.is_empty() {
            fields.insert("run_label".into(), Value::from(self.stamp.label.as_str()));
        }
        fields
            .entry("ts")
            .or_insert_with(|| Value::from(util::now_ms()));
        fields.insert("seq".into(), Value::from(seq));
        let mut value = Value::Object(fields);
        let full = value.to_string();
        if to_file {
            let mut failed = false;
            if let Some(f) = inner.file.as_mut() {
                failed = f
                    .write_all(full.as_bytes())
                    .and_then(|_| f.write_all(b"\n"))
                    .is_err();
            }
            if failed {
                eprintln!(
                    "avenor stable: {}: event log write failed; further events are socket-only",
                    self.stamp.runtime_id
                );
                inner.file = None;
            }
        }
        // The socket copy caps final_output; the file copy above stays complete.
        let socket_json = match bound_final_output(&mut value) {
            true => value.to_string(),
            false => full,
        };
        let published = Arc::new(Published {
            runtime_id: self.stamp.runtime_id.clone(),
            seq,
            value,
            line: rpc::notification_line(&socket_json),
        });
        if inner.history.len() == HISTORY_CAP {
            inner.history.pop_front();
        }
        inner.history.push_back(published.clone());
        hub.deliver(&published);
    }

    pub fn flush(&self) {
        let mut inner = lock(&self.inner);
        if let Some(f) = inner.file.as_mut() {
            let _ = f.flush();
        }
    }

    /// Flushes and closes the file (runtime ended: nothing else goes to the file).
    pub fn close_file(&self) {
        let mut inner = lock(&self.inner);
        if let Some(mut f) = inner.file.take() {
            let _ = f.flush();
        }
    }

    pub fn latest_seq(&self) -> u64 {
        lock(&self.inner).seq
    }

    /// The newest `limit` events with `seq > after_seq`, oldest first.
    pub fn window(&self, after_seq: u64, limit: usize) -> Vec<Arc<Published>> {
        window_of(&lock(&self.inner).history, after_seq, limit)
    }

    /// Runs `f` with the replay window while publishing is blocked, so a subscription
    /// registered inside `f` sees neither a gap nor an overlap with live events.
    pub fn with_replay<R>(
        &self,
        after_seq: u64,
        limit: usize,
        f: impl FnOnce(Vec<Arc<Published>>) -> R,
    ) -> R {
        let inner = lock(&self.inner);
        let events = window_of(&inner.history, after_seq, limit);
        f(events)
    }
}

fn window_of(
    history: &VecDeque<Arc<Published>>,
    after_seq: u64,
    limit: usize,
) -> Vec<Arc<Published>> {
    let newer: Vec<_> = history
        .iter()
        .filter(|e| e.seq > after_seq)
        .cloned()
        .collect();
    let skip = newer.len().saturating_sub(limit);
    newer.into_iter().skip(skip).collect()
}

/// Cuts a `session.end` `final_output` to the preview size; true when it changed.
fn bound_final_output(value: &mut Value) -> bool {
    let Some(obj) = value.as_object_mut() else {
        return false;
    };
    if obj.get("event").and_then(Value::as_str) != Some("session.end") {
        return false;
    }
    let cut = match obj.get("final_output").and_then(Value::as_str) {
        Some(text) => match util::preview(text, PREVIEW_CODE_POINTS) {
            (head, true) => head.to_string(),
            (_, false) => return false,
        },
        None => return false,
    };
    obj.insert("final_output".into(), Value::from(cut));
    obj.insert("final_output_truncated".into(), Value::Bool(true));
    true
}
