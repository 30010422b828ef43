//! The published event record: what the history window and every subscriber queue share.
//! It sits below both `events` (which makes records) and `subscription` (which delivers
//! them), so neither has to name the other's caller.

use std::sync::Arc;

use serde_json::Value;

use crate::rpc;

/// One published event, shared by the history window and every subscriber queue. Only
/// the serialised socket copy is kept; `value()` parses it on the rare paths that need
/// an object (history, status snapshot), which keeps the per-event cost low.
pub struct Published {
    pub runtime_id: Arc<str>,
    pub seq: u64,
    /// Ready-to-write `method:"event"` notification line (bounded `final_output`).
    pub line: String,
}

impl Published {
    /// The event object's JSON text inside the notification line.
    pub fn json(&self) -> &str {
        let body = self.line.strip_suffix("}\n").unwrap_or(&self.line);
        body.strip_prefix(rpc::NOTIFICATION_PREFIX).unwrap_or(body)
    }

    pub fn value(&self) -> Value {
        serde_json::from_str(self.json()).unwrap_or(Value::Null)
    }
}
