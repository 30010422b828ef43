//! Per-runtime event stream: one `seq` counter shared by the NDJSON file and the socket,
//! common-field stamping (§4.2), the 256-event history window (§2.12), and hand-off of
//! the socket copy to subscribers.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};

use crate::published::Published;
use crate::rpc;
use crate::subscription::Hub;
use crate::util::{self, lock};

pub const HISTORY_CAP: usize = 256;
/// Socket copies and list previews carry at most this many code points of final output.
pub const PREVIEW_CODE_POINTS: usize = 4096;

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
        let ts = match fields.remove("ts") {
            Some(v) => v,
            None => Value::from(util::now_ms()),
        };
        let stamp = StampValues {
            event,
            stamp: &self.stamp,
            seq,
            ts: &ts,
        };
        let mut line = String::from(rpc::NOTIFICATION_PREFIX);
        render(&mut line, &stamp, &fields);
        if to_file {
            let mut failed = false;
            if let Some(f) = inner.file.as_mut() {
                let json = &line[rpc::NOTIFICATION_PREFIX.len()..];
                failed = f
                    .write_all(json.as_bytes())
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
        if bound_final_output(event, &mut fields) {
            line.truncate(rpc::NOTIFICATION_PREFIX.len());
            render(&mut line, &stamp, &fields);
        }
        line.push_str("}\n");
        let published = Arc::new(Published {
            runtime_id: self.stamp.runtime_id.clone(),
            seq,
            line,
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
fn bound_final_output(event: &str, fields: &mut Map<String, Value>) -> bool {
    if event != "session.end" {
        return false;
    }
    let cut = match fields.get("final_output").and_then(Value::as_str) {
        Some(text) => match util::preview(text, PREVIEW_CODE_POINTS) {
            (head, true) => head.to_string(),
            (_, false) => return false,
        },
        None => return false,
    };
    fields.insert("final_output".into(), Value::from(cut));
    fields.insert("final_output_truncated".into(), Value::Bool(true));
    true
}

/// The stamped common fields of one event.
struct StampValues<'a> {
    event: &'a str,
    stamp: &'a Stamp,
    seq: u64,
    ts: &'a Value,
}

/// A stamped value, written without building a `Value`.
enum Item<'a> {
    Str(&'a str),
    Num(u64),
    Val(&'a Value),
}

/// Serialises `stamp` + `fields` as one JSON object with keys in byte order (what Go's
/// encoder does for maps), merging the two sorted key lists straight into `out`.
fn render(out: &mut String, stamp: &StampValues, fields: &Map<String, Value>) {
    let st = stamp.stamp;
    // Already in byte order; empty session/label are omitted like Go's omitempty.
    let mut common: Vec<(&str, Item)> = Vec::with_capacity(7);
    common.push(("event", Item::Str(stamp.event)));
    common.push(("run_id", Item::Str(&st.run_id)));
    if !st.label.is_empty() {
        common.push(("run_label", Item::Str(&st.label)));
    }
    common.push(("runtime_id", Item::Str(&st.runtime_id)));
    common.push(("seq", Item::Num(stamp.seq)));
    if !st.session_id.is_empty() {
        common.push(("session_id", Item::Str(&st.session_id)));
    }
    common.push(("ts", Item::Val(stamp.ts)));
    let is_common = |k: &str| {
        matches!(
            k,
            "event" | "run_id" | "run_label" | "runtime_id" | "seq" | "session_id" | "ts"
        )
    };
    // Sorted here rather than relying on Map's order: the workspace may enable
    // serde_json's `preserve_order`, which keeps insertion order instead.
    let mut own: Vec<_> = fields.iter().filter(|(k, _)| !is_common(k)).collect();
    own.sort_by(|a, b| a.0.cmp(b.0));
    let mut own = own.into_iter().peekable();
    let mut common = common.into_iter().peekable();
    let mut buf: Vec<u8> = std::mem::take(out).into_bytes();
    buf.push(b'{');
    let mut first = true;
    loop {
        let take_common = match (common.peek(), own.peek()) {
            (Some((ck, _)), Some((ok, _))) => *ck < ok.as_str(),
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        let (key, item) = if take_common {
            match common.next() {
                Some(kv) => kv,
                None => break,
            }
        } else {
            match own.next() {
                Some((k, v)) => (k.as_str(), Item::Val(v)),
                None => break,
            }
        };
        if !first {
            buf.push(b',');
        }
        first = false;
        // Writing into a Vec cannot fail; serde_json escapes keys and strings.
        let _ = serde_json::to_writer(&mut buf, key);
        buf.push(b':');
        let _ = match item {
            Item::Str(s) => serde_json::to_writer(&mut buf, s),
            Item::Num(n) => serde_json::to_writer(&mut buf, &n),
            Item::Val(v) => serde_json::to_writer(&mut buf, v),
        };
    }
    buf.push(b'}');
    // Only valid UTF-8 was written (the prefix and serde_json output).
    *out = String::from_utf8(buf)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_sorts_and_omits_empty_stamps() {
        let stamp = Stamp {
            runtime_id: "rt_1".into(),
            run_id: "abc".into(),
            session_id: String::new(),
            label: "L".into(),
        };
        let ts = Value::from(5);
        let mut fields = Map::new();
        fields.insert(
            "content".into(),
            // Nested objects keep the Map's order; written sorted so the test holds
            // with and without serde_json's `preserve_order`.
            serde_json::json!({"text": "a\"b", "type": "text"}),
        );
        fields.insert("stop_reason".into(), Value::from("x"));
        fields.insert("a_first".into(), Value::from(1));
        let mut out = String::new();
        render(
            &mut out,
            &StampValues {
                event: "e",
                stamp: &stamp,
                seq: 3,
                ts: &ts,
            },
            &fields,
        );
        assert_eq!(
            out,
            r#"{"a_first":1,"content":{"text":"a\"b","type":"text"},"event":"e","run_id":"abc","run_label":"L","runtime_id":"rt_1","seq":3,"stop_reason":"x","ts":5}"#
        );
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["seq"], 3);
    }
}
