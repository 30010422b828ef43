//! Folds run events into a bounded snapshot (core-spec §15.3): what the run is
//! doing now, its recent transcript, tools and permission requests.
//!
//! Choices where the spec is silent are marked "Choice:".

use serde_json::{Map, Value};

use crate::jsval::{finite_number, json_stringify, non_empty_str};

use super::events::normalize_run_event;
use super::limits::RunReducerLimits;
use super::snapshot::{clip_tail, keep_last, Snapshot};

pub use super::limits::DEFAULT_RUN_REDUCER_LIMITS;

/// Normalised-event fields that describe the run itself.
const IDENTITY_KEYS: [&str; 11] = [
    "session_id",
    "runtime_id",
    "run_id",
    "run_label",
    "backend",
    "agent",
    "model",
    "dir",
    "parent_id",
    "children",
    "event_path",
];

/// Tool statuses after which a tool is no longer live.
const TERMINAL_TOOL_STATUSES: [&str; 6] = [
    "completed",
    "complete",
    "done",
    "failed",
    "cancelled",
    "canceled",
];

pub struct RunReducer {
    state: Snapshot,
}

impl RunReducer {
    /// `limits` default to the seed's own `limits`, then to the defaults.
    pub fn new(limits: Option<&Value>, seed: Option<&Value>) -> Self {
        let limits = limits.or_else(|| seed.and_then(|s| s.get("limits")));
        let limits = RunReducerLimits::from_value(limits);
        RunReducer {
            state: Snapshot::from_value(seed, limits),
        }
    }

    /// Folds one event and returns a copy of the snapshot.
    pub fn apply(&mut self, event: &Value) -> Value {
        self.fold(event);
        self.snapshot()
    }

    /// A copy of the current snapshot.
    pub fn snapshot(&self) -> Value {
        self.state.to_value()
    }

    fn fold(&mut self, event: &Value) {
        let Some(n) = normalize_run_event(event) else {
            return;
        };
        let s = &mut self.state;
        let seq = n.get("seq").and_then(finite_number);
        match seq {
            Some(seq) => {
                let scope = Snapshot::scope_of(&n);
                if s.seen_seq(&scope).is_some_and(|seen| seq <= seen) {
                    return;
                }
                s.note_seq(&scope, seq);
                s.latest_seq = Some(s.latest_seq.map_or(seq, |l| l.max(seq)));
            }
            None => {
                let key = legacy_key(&n);
                if s.recent_legacy_keys.contains(&key) {
                    return;
                }
                s.recent_legacy_keys.push_back(key);
                keep_last(&mut s.recent_legacy_keys, s.limits.legacy_keys);
            }
        }
        let fingerprint = text(&n, "semantic_fingerprint");
        let source = text(&n, "source_event");
        // An alias that repeats what the previous event (under another name)
        // already said only moves the bookkeeping on.
        let repeated_alias = n.get("alias") == Some(&Value::Bool(true))
            && fingerprint.is_some()
            && fingerprint == s.last_semantic_fingerprint
            && source != s.last_source_event;
        s.last_semantic_fingerprint = fingerprint;
        s.last_source_event = source;
        if !repeated_alias {
            apply_event(s, &n);
        }
    }
}

/// A fresh snapshot (optionally seeded); a plain, spreadable object.
pub fn create_run_snapshot(seed: Option<&Value>, limits: Option<&Value>) -> Value {
    RunReducer::new(limits, seed).snapshot()
}

/// `snapshot` with `event` folded in; `snapshot` itself is not modified.
pub fn reduce_run_snapshot(snapshot: &Value, event: &Value, limits: Option<&Value>) -> Value {
    RunReducer::new(limits, Some(snapshot)).apply(event)
}

fn text(n: &Map<String, Value>, key: &str) -> Option<String> {
    non_empty_str(n, key).map(str::to_string)
}

fn object<'a>(n: &'a Map<String, Value>, key: &str) -> Option<&'a Map<String, Value>> {
    n.get(key).and_then(Value::as_object)
}

/// Identifies an event without `seq`, to drop replays of it.
fn legacy_key(n: &Map<String, Value>) -> String {
    let get = |obj: Option<&Map<String, Value>>, key: &str| {
        obj.and_then(|o| o.get(key)).cloned().unwrap_or(Value::Null)
    };
    let tool = object(n, "tool");
    let permission = object(n, "permission");
    json_stringify(&Value::Array(vec![
        get(Some(n), "runtime_id"),
        get(Some(n), "session_id"),
        get(Some(n), "event"),
        get(Some(n), "ts"),
        get(Some(n), "delta"),
        get(tool, "id"),
        get(tool, "title"),
        get(tool, "status"),
        get(permission, "request_id"),
        get(permission, "question"),
        get(Some(n), "stop_reason"),
    ]))
}

fn apply_event(s: &mut Snapshot, n: &Map<String, Value>) {
    let event = non_empty_str(n, "event").unwrap_or_default();
    for key in IDENTITY_KEYS {
        if let Some(v) = n.get(key) {
            s.identity.insert(key.to_string(), v.clone());
        }
    }
    s.last_event = Some(event.to_string());
    if let Some(ts) = n.get("ts") {
        s.last_ts = Some(ts.clone());
    }
    if let Some(usage) = object(n, "usage") {
        let merged = s.usage.get_or_insert_with(Map::new);
        for (k, v) in usage {
            merged.insert(k.clone(), v.clone());
        }
    }
    if let Some(reason) = text(n, "stop_reason") {
        s.stop_reason = Some(reason);
    }
    if let Some(output) = non_empty_str(n, "final_output") {
        s.final_output = Some(clip_tail(output, s.limits.text_chars));
    }
    if let (Some(role), Some(delta)) = (non_empty_str(n, "chunk_role"), non_empty_str(n, "delta")) {
        append_chunk(s, event, role, delta);
        return;
    }
    match event {
        "tool.call" | "tool.call_update" => {
            if let Some(tool) = object(n, "tool") {
                apply_tool(s, event, tool);
            }
        }
        "permission.request" => {
            if let Some(p) = object(n, "permission") {
                request_permission(s, event, p);
            }
        }
        "permission.response" => resolve_permission(s, event, object(n, "permission")),
        "agent.status" => {
            // Choice: a status event replaces both phase and label, so a label
            // from an earlier phase does not linger.
            if let Some(phase) = text(n, "phase") {
                s.phase = Some(phase);
                s.phase_label = text(n, "phase_label");
            }
        }
        "session.start" => s.ended = false,
        "session.end" => end_session(s),
        _ => {}
    }
}

fn append_chunk(s: &mut Snapshot, event: &str, role: &str, delta: &str) {
    let max = s.limits.text_chars;
    let target = match role {
        "assistant" => &mut s.assistant_text,
        "thought" => &mut s.thought_text,
        _ => &mut s.user_text,
    };
    target.push_str(delta);
    if target.len() > max {
        *target = clip_tail(target, max);
    }
    // Consecutive chunks of one kind and event read as one transcript entry.
    if let Some(last) = s.transcript.back_mut() {
        let same = non_empty_str(last, "kind") == Some(role)
            && non_empty_str(last, "event") == Some(event);
        if let (true, Some(Value::String(prev))) = (same, last.get_mut("text")) {
            prev.push_str(delta);
            if prev.len() > max {
                *prev = clip_tail(prev, max);
            }
            return;
        }
    }
    let mut entry = Map::new();
    entry.insert("kind".into(), role.into());
    entry.insert("event".into(), event.into());
    entry.insert("text".into(), clip_tail(delta, max).into());
    push_transcript(s, entry);
}

fn push_transcript(s: &mut Snapshot, entry: Map<String, Value>) {
    s.transcript.push_back(entry);
    keep_last(&mut s.transcript, s.limits.transcript_entries);
}

fn apply_tool(s: &mut Snapshot, event: &str, tool: &Map<String, Value>) {
    let key = non_empty_str(tool, "key").unwrap_or("tool").to_string();
    let status = non_empty_str(tool, "status");
    let max_preview = s.limits.tool_preview_chars;
    let known = s
        .tools
        .iter()
        .position(|t| non_empty_str(t, "key") == Some(key.as_str()));
    if known.is_none() {
        s.tools.push_back(Map::new());
    }
    let index = known.unwrap_or(s.tools.len().saturating_sub(1));
    let Some(entry) = s.tools.get_mut(index) else {
        return;
    };
    // Choice: an update without a status keeps the tool's liveness.
    let was_live = known.is_none() || entry.get("live") == Some(&Value::Bool(true));
    let live = status.map_or(was_live, |st| !TERMINAL_TOOL_STATUSES.contains(&st));
    for (k, v) in tool {
        let v = match (k.as_str(), v) {
            ("preview", Value::String(p)) => Value::String(clip_tail(p, max_preview)),
            _ => v.clone(),
        };
        entry.insert(k.clone(), v);
    }
    entry.insert("live".into(), Value::Bool(live));
    let transcript_entry = tool_transcript_entry(event, &key, entry);
    keep_last(&mut s.tools, s.limits.tools);
    // Choice: consecutive events of the same tool update one transcript entry.
    if let Some(last) = s.transcript.back_mut() {
        if non_empty_str(last, "kind") == Some("tool") && non_empty_str(last, "key") == Some(&key) {
            *last = transcript_entry;
            return;
        }
    }
    push_transcript(s, transcript_entry);
}

fn tool_transcript_entry(event: &str, key: &str, tool: &Map<String, Value>) -> Map<String, Value> {
    let mut entry = Map::new();
    entry.insert("kind".into(), "tool".into());
    entry.insert("event".into(), event.into());
    entry.insert("key".into(), key.into());
    for (from, to) in [
        ("title", "title"),
        ("status", "status"),
        ("preview", "text"),
    ] {
        if let Some(v) = non_empty_str(tool, from) {
            entry.insert(to.into(), v.into());
        }
    }
    entry
}

fn request_permission(s: &mut Snapshot, event: &str, p: &Map<String, Value>) {
    s.pending_permission = Some(p.clone());
    let id = non_empty_str(p, "request_id");
    let known = id.and_then(|id| {
        s.permissions
            .iter_mut()
            .find(|e| non_empty_str(e, "request_id") == Some(id))
    });
    match known {
        Some(existing) => *existing = p.clone(),
        None => {
            s.permissions.push_back(p.clone());
            keep_last(&mut s.permissions, s.limits.permissions);
        }
    }
    let label = ["question", "description", "tool"]
        .iter()
        .find_map(|k| non_empty_str(p, k));
    s.phase = Some("waiting".to_string());
    s.phase_label = label.map(str::to_string);
    let mut entry = Map::new();
    entry.insert("kind".into(), "permission".into());
    entry.insert("event".into(), event.into());
    if let Some(id) = id {
        entry.insert("request_id".into(), id.into());
    }
    if let Some(label) = label {
        entry.insert("text".into(), label.into());
    }
    push_transcript(s, entry);
}

fn resolve_permission(s: &mut Snapshot, event: &str, p: Option<&Map<String, Value>>) {
    let id = p.and_then(|p| non_empty_str(p, "request_id"));
    let kind = p
        .and_then(|p| non_empty_str(p, "kind"))
        .unwrap_or("resolved");
    let known = id.and_then(|id| {
        s.permissions
            .iter_mut()
            .find(|e| non_empty_str(e, "request_id") == Some(id))
    });
    match (known, p) {
        (Some(existing), _) => {
            existing.insert("kind".into(), kind.into());
        }
        (None, Some(p)) => {
            let mut resolved = p.clone();
            resolved.insert("kind".into(), kind.into());
            s.permissions.push_back(resolved);
            keep_last(&mut s.permissions, s.limits.permissions);
        }
        (None, None) => {}
    }
    // Choice: a response without a request id answers whatever is pending.
    let answers_pending = s
        .pending_permission
        .as_ref()
        .is_some_and(|pending| id.is_none() || non_empty_str(pending, "request_id") == id);
    if answers_pending {
        s.pending_permission = None;
    }
    let mut entry = Map::new();
    entry.insert("kind".into(), "permission".into());
    entry.insert("event".into(), event.into());
    if let Some(id) = id {
        entry.insert("request_id".into(), id.into());
    }
    entry.insert("status".into(), kind.into());
    push_transcript(s, entry);
}

fn end_session(s: &mut Snapshot) {
    s.ended = true;
    s.phase = Some("done".to_string());
    for tool in s.tools.iter_mut() {
        tool.insert("live".into(), Value::Bool(false));
    }
    if s.final_output.is_none() && !s.assistant_text.is_empty() {
        s.final_output = Some(s.assistant_text.clone());
    }
    s.pending_permission = None;
}

#[cfg(test)]
mod tests;
