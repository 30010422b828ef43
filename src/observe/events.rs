//! Run event normalisation (core-spec §15.1–§15.2): daemon and backend events
//! come in several dialects; this maps them onto one `NormalizedRunEvent` shape
//! that the reducer folds.

use serde_json::{Map, Value};

use crate::jsval::{finite_number, first_non_empty_str as first_str, number_value};

use super::summary::{permission_summary, tool_summary};

/// `extract_event_text` gives up at this nesting depth.
pub const EXTRACT_MAX_DEPTH: u32 = 12;
/// Arrays contribute the text of at most this many items.
const EXTRACT_MAX_ITEMS: usize = 64;
/// Keys searched for text, in order.
const TEXT_KEYS: [&str; 10] = [
    "delta",
    "text",
    "content",
    "partial",
    "message",
    "assistantMessage",
    "assistantMessageEvent",
    "data",
    "result",
    "output",
];
/// Characters of a delta that go into its semantic fingerprint.
const FINGERPRINT_CHARS: usize = 512;

/// The human-readable text carried by an event or part of one.
pub fn extract_event_text(v: &Value, depth: u32) -> Option<String> {
    if depth >= EXTRACT_MAX_DEPTH {
        return None;
    }
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Array(items) => {
            let joined: String = items
                .iter()
                .take(EXTRACT_MAX_ITEMS)
                .filter_map(|item| extract_event_text(item, depth + 1))
                .collect();
            (!joined.is_empty()).then_some(joined)
        }
        Value::Object(obj) => TEXT_KEYS
            .iter()
            .find_map(|k| obj.get(*k).and_then(|x| extract_event_text(x, depth + 1))),
        _ => None,
    }
}

/// What an event means once aliases are resolved.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Meaning {
    Chunk(&'static str),
    Tool(Option<&'static str>),
    Permission,
    Other,
}

/// (normalised event name, is alias, meaning) for an event name.
fn classify(name: &str, obj: &Map<String, Value>) -> (String, bool, Meaning) {
    let canonical = |n: &str, m: Meaning| (n.to_string(), false, m);
    let alias = |n: &str, m: Meaning| (n.to_string(), true, m);
    match name {
        "agent.message_chunk" => canonical(name, Meaning::Chunk("assistant")),
        "agent.thought_chunk" => canonical(name, Meaning::Chunk("thought")),
        "user.message_chunk" => canonical(name, Meaning::Chunk("user")),
        "tool.call" => canonical(name, Meaning::Tool(Some("running"))),
        "tool.call_update" => canonical(name, Meaning::Tool(None)),
        "permission.request" | "permission.response" => canonical(name, Meaning::Permission),
        "avenor.message.delta" => alias("agent.message_chunk", Meaning::Chunk("assistant")),
        "avenor.message.update" => {
            let inner = obj
                .get("assistantMessageEvent")
                .and_then(|e| e.get("type"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            match inner {
                "thinking_delta" => alias("agent.thought_chunk", Meaning::Chunk("thought")),
                "toolcall_start" => alias("tool.call", Meaning::Tool(Some("running"))),
                "toolcall_end" => alias("tool.call_update", Meaning::Tool(Some("completed"))),
                "toolcall_delta" | "toolcall_update" => {
                    alias("tool.call_update", Meaning::Tool(Some("running")))
                }
                _ => alias("agent.message_chunk", Meaning::Chunk("assistant")),
            }
        }
        "avenor.tool.start" => alias("tool.call", Meaning::Tool(Some("running"))),
        "avenor.tool.update" => alias("tool.call_update", Meaning::Tool(None)),
        "avenor.tool.end" => alias("tool.call_update", Meaning::Tool(Some("completed"))),
        _ => canonical(name, Meaning::Other),
    }
}

/// String fields copied onto every normalised event: (field, keys read).
const IDS: [(&str, &[&str]); 4] = [
    ("session_id", &["session_id", "sessionID", "sessionId"]),
    ("runtime_id", &["runtime_id", "runtimeID"]),
    ("run_id", &["run_id", "runId"]),
    ("run_label", &["run_label", "runLabel", "label"]),
];
const DETAILS: [(&str, &[&str]); 9] = [
    ("phase", &["phase", "status"]),
    ("phase_label", &["phase_label", "label"]),
    ("stop_reason", &["stop_reason", "stopReason"]),
    ("final_output", &["final_output", "finalOutput"]),
    ("backend", &["backend"]),
    ("agent", &["agent"]),
    ("model", &["model"]),
    ("dir", &["dir"]),
    ("parent_id", &["parent_id", "parentId"]),
];

/// `None` unless `input` is an object with a non-empty `event` or `type`.
pub fn normalize_run_event(input: &Value) -> Option<Map<String, Value>> {
    let obj = input.as_object()?;
    let source = first_str(obj, &["event", "type"])?;
    let (event, is_alias, meaning) = classify(source, obj);
    let mut out = Map::new();
    out.insert("event".into(), Value::String(event.clone()));
    out.insert("source_event".into(), source.into());
    if is_alias {
        out.insert("alias".into(), Value::Bool(true));
    }
    copy_common(obj, &mut out);

    let mut fingerprint = None;
    match meaning {
        Meaning::Chunk(role) => {
            out.insert("chunk_role".into(), role.into());
            if let Some(delta) = extract_event_text(input, 0) {
                fingerprint = Some(delta_fingerprint(&event, &delta));
                out.insert("delta".into(), Value::String(delta));
            }
        }
        Meaning::Tool(default_status) => {
            if let Some(tool) = tool_of(obj, source, default_status) {
                fingerprint = Some(format!(
                    "{event}:tool:{}:{}",
                    member(&tool, "key"),
                    member(&tool, "status")
                ));
                out.insert("tool".into(), tool);
            }
        }
        Meaning::Permission => {
            if let Some(p) = permission_summary(obj) {
                fingerprint = Some(format!(
                    "{event}:permission:{}:{}",
                    member(&p, "request_id"),
                    member(&p, "kind")
                ));
                out.insert("permission".into(), p);
            }
        }
        Meaning::Other => {}
    }
    if fingerprint.is_none() {
        if let Some(reason) = out.get("stop_reason").and_then(Value::as_str) {
            fingerprint = Some(format!("{event}:stop:{reason}"));
        }
    }
    if let Some(f) = fingerprint {
        out.insert("semantic_fingerprint".into(), Value::String(f));
    }
    out.insert("raw".into(), Value::Object(obj.clone()));
    Some(out)
}

/// The fields every event may carry, in the order of core-spec §15.2.
fn copy_common(obj: &Map<String, Value>, out: &mut Map<String, Value>) {
    let copy_strings = |fields: &[(&str, &[&str])], out: &mut Map<String, Value>| {
        for (field, keys) in fields {
            if let Some(v) = first_str(obj, keys) {
                out.insert(field.to_string(), v.into());
            }
        }
    };
    copy_strings(&IDS, out);
    if let Some(seq) = obj.get("seq").and_then(finite_number) {
        out.insert("seq".into(), number_value(seq));
    }
    // `ts` is Unix milliseconds from the daemon, but backends may send text.
    let ts = ["ts", "timestamp"].iter().find_map(|k| {
        obj.get(*k)
            .filter(|v| v.is_number() || v.as_str().is_some_and(|s| !s.is_empty()))
    });
    if let Some(ts) = ts {
        out.insert("ts".into(), ts.clone());
    }
    copy_strings(&DETAILS, out);
    if let Some(Value::Array(items)) = obj.get("children") {
        out.insert("children".into(), crate::jsval::non_empty_strings(items));
    }
    copy_strings(&[("event_path", &["event_path", "on_event"])], out);
    if let Some(usage) = obj.get("usage").filter(|v| v.is_object()) {
        out.insert("usage".into(), usage.clone());
    }
}

/// The tool summary; for `avenor.message.update` the tool may sit inside
/// `assistantMessageEvent` (`toolCall`), so those are tried when the event
/// itself names no tool (a choice: the spec only lists the top-level keys).
fn tool_of(obj: &Map<String, Value>, source: &str, default_status: Option<&str>) -> Option<Value> {
    let mut found = tool_summary(obj, None);
    if found.is_none() && source == "avenor.message.update" {
        let inner = obj.get("assistantMessageEvent").and_then(Value::as_object);
        found = inner
            .and_then(|e| e.get("toolCall"))
            .and_then(Value::as_object)
            .and_then(|t| tool_summary(t, None))
            .or_else(|| inner.and_then(|e| tool_summary(e, None)));
    }
    found
        .map(|t| with_default_status(t, default_status))
        .or_else(|| tool_summary(obj, default_status))
}

fn with_default_status(mut tool: Value, default_status: Option<&str>) -> Value {
    if let (Some(map), Some(status)) = (tool.as_object_mut(), default_status) {
        if !map.contains_key("status") {
            map.insert("status".into(), status.into());
        }
    }
    tool
}

fn member<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// `<event>:<delta length>:<first 512 chars>` (lengths in characters).
fn delta_fingerprint(event: &str, delta: &str) -> String {
    let head: String = delta.chars().take(FINGERPRINT_CHARS).collect();
    format!("{event}:{}:{head}", delta.chars().count())
}

#[cfg(test)]
mod tests;
