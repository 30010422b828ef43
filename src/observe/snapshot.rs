//! The run snapshot the reducer folds events into (core-spec §15.3), and its
//! conversion from and to the plain JS object callers see.

use std::collections::VecDeque;

use serde_json::{Map, Value};

use crate::jsval::{finite_number, non_empty_str, number_value};

use super::limits::RunReducerLimits;

/// Scope of events that carry neither a runtime id nor a session id.
pub const GLOBAL_SCOPE: &str = "global";

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    pub identity: Map<String, Value>,
    pub limits: RunReducerLimits,
    pub latest_seq: Option<f64>,
    pub last_event: Option<String>,
    pub last_ts: Option<Value>,
    pub phase: Option<String>,
    pub phase_label: Option<String>,
    pub ended: bool,
    pub stop_reason: Option<String>,
    pub usage: Option<Map<String, Value>>,
    pub final_output: Option<String>,
    pub assistant_text: String,
    pub thought_text: String,
    pub user_text: String,
    pub transcript: VecDeque<Map<String, Value>>,
    /// Every remembered tool; each carries a boolean `live`.
    pub tools: VecDeque<Map<String, Value>>,
    pub pending_permission: Option<Map<String, Value>>,
    pub permissions: VecDeque<Map<String, Value>>,
    /// Highest `seq` applied per scope (runtime id, session id or `global`).
    pub seen_seq_by_scope: Map<String, Value>,
    pub recent_legacy_keys: VecDeque<String>,
    pub last_semantic_fingerprint: Option<String>,
    pub last_source_event: Option<String>,
}

/// The last `max` characters of `s`.
pub fn clip_tail(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let count = s.chars().count();
    if count <= max {
        return s.to_string();
    }
    s.chars().skip(count - max).collect()
}

/// Drops items from the front until at most `max` remain.
pub fn keep_last<T>(items: &mut VecDeque<T>, max: usize) {
    while items.len() > max {
        items.pop_front();
    }
}

impl Snapshot {
    /// A fresh snapshot with the given limits.
    pub fn empty(limits: RunReducerLimits) -> Self {
        Snapshot {
            limits,
            ..Snapshot::default()
        }
    }

    /// The de-duplication scope of an identity-like object.
    pub fn scope_of(obj: &Map<String, Value>) -> String {
        non_empty_str(obj, "runtime_id")
            .or_else(|| non_empty_str(obj, "session_id"))
            .unwrap_or(GLOBAL_SCOPE)
            .to_string()
    }

    /// Reads a seed or an earlier snapshot. Members of the wrong type are
    /// ignored, texts and lists are cut to `limits`, and a `latest_seq` primes
    /// the seq de-duplication of the seed's scope.
    pub fn from_value(v: Option<&Value>, limits: RunReducerLimits) -> Self {
        let mut s = Snapshot::empty(limits);
        let Some(obj) = v.and_then(Value::as_object) else {
            return s;
        };
        let text = |k: &str| non_empty_str(obj, k).map(str::to_string);
        let object = |k: &str| obj.get(k).and_then(Value::as_object).cloned();
        let objects = |k: &str, max: usize| {
            let mut list: VecDeque<Map<String, Value>> = obj
                .get(k)
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_object).cloned().collect())
                .unwrap_or_default();
            keep_last(&mut list, max);
            list
        };
        s.identity = object("identity").unwrap_or_default();
        s.latest_seq = obj.get("latest_seq").and_then(finite_number);
        s.last_event = text("last_event");
        s.last_ts = obj
            .get("last_ts")
            .filter(|v| v.is_number() || v.is_string())
            .cloned();
        s.phase = text("phase");
        s.phase_label = text("phase_label");
        s.ended = obj.get("ended") == Some(&Value::Bool(true));
        s.stop_reason = text("stop_reason");
        s.usage = object("usage");
        s.final_output = text("final_output").map(|t| clip_tail(&t, limits.text_chars));
        let clipped = |k: &str| {
            text(k)
                .map(|t| clip_tail(&t, limits.text_chars))
                .unwrap_or_default()
        };
        s.assistant_text = clipped("assistant_text");
        s.thought_text = clipped("thought_text");
        s.user_text = clipped("user_text");
        s.transcript = objects("transcript", limits.transcript_entries);
        s.tools = objects("tools", limits.tools);
        s.pending_permission = object("pending_permission");
        s.permissions = objects("permissions", limits.permissions);
        s.seen_seq_by_scope = object("_seen_seq_by_scope")
            .unwrap_or_default()
            .into_iter()
            .filter(|(_, v)| finite_number(v).is_some())
            .collect();
        let mut keys: VecDeque<String> = obj
            .get("_recent_legacy_keys")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        keep_last(&mut keys, limits.legacy_keys);
        s.recent_legacy_keys = keys;
        s.last_semantic_fingerprint = text("_last_semantic_fingerprint");
        s.last_source_event = text("_last_source_event");
        if let Some(seq) = s.latest_seq {
            let scope = Snapshot::scope_of(&s.identity);
            s.note_seq(&scope, seq);
        }
        s
    }

    /// The last applied seq of `scope`.
    pub fn seen_seq(&self, scope: &str) -> Option<f64> {
        self.seen_seq_by_scope.get(scope).and_then(finite_number)
    }

    /// Raises the seen seq of `scope` to `seq`.
    pub fn note_seq(&mut self, scope: &str, seq: f64) {
        if self.seen_seq(scope).is_none_or(|seen| seq > seen) {
            self.seen_seq_by_scope
                .insert(scope.to_string(), number_value(seq));
        }
    }

    /// The plain JS object: documented fields first, internal bookkeeping last.
    pub fn to_value(&self) -> Value {
        let mut out = Map::new();
        let text = |v: &Option<String>| v.clone().map(Value::String);
        let list = |items: &VecDeque<Map<String, Value>>| {
            Value::Array(items.iter().cloned().map(Value::Object).collect())
        };
        out.insert("identity".into(), Value::Object(self.identity.clone()));
        out.insert("limits".into(), self.limits.to_value());
        let optional: [(&str, Option<Value>); 5] = [
            ("latest_seq", self.latest_seq.map(number_value)),
            ("last_event", text(&self.last_event)),
            ("last_ts", self.last_ts.clone()),
            ("phase", text(&self.phase)),
            ("phase_label", text(&self.phase_label)),
        ];
        insert_present(&mut out, optional);
        out.insert("ended".into(), Value::Bool(self.ended));
        let optional: [(&str, Option<Value>); 3] = [
            ("stop_reason", text(&self.stop_reason)),
            ("usage", self.usage.clone().map(Value::Object)),
            ("final_output", text(&self.final_output)),
        ];
        insert_present(&mut out, optional);
        out.insert("assistant_text".into(), self.assistant_text.clone().into());
        out.insert("thought_text".into(), self.thought_text.clone().into());
        out.insert("user_text".into(), self.user_text.clone().into());
        out.insert("transcript".into(), list(&self.transcript));
        out.insert("tools".into(), list(&self.tools));
        let live: VecDeque<Map<String, Value>> = self
            .tools
            .iter()
            .filter(|t| t.get("live") == Some(&Value::Bool(true)))
            .cloned()
            .collect();
        out.insert("live_tools".into(), list(&live));
        if let Some(p) = &self.pending_permission {
            out.insert("pending_permission".into(), Value::Object(p.clone()));
        }
        out.insert("permissions".into(), list(&self.permissions));
        out.insert(
            "_seen_seq_by_scope".into(),
            Value::Object(self.seen_seq_by_scope.clone()),
        );
        out.insert(
            "_recent_legacy_keys".into(),
            Value::Array(
                self.recent_legacy_keys
                    .iter()
                    .cloned()
                    .map(Value::String)
                    .collect(),
            ),
        );
        let optional: [(&str, Option<Value>); 2] = [
            (
                "_last_semantic_fingerprint",
                text(&self.last_semantic_fingerprint),
            ),
            ("_last_source_event", text(&self.last_source_event)),
        ];
        insert_present(&mut out, optional);
        Value::Object(out)
    }
}

fn insert_present<const N: usize>(
    out: &mut Map<String, Value>,
    fields: [(&str, Option<Value>); N],
) {
    for (key, value) in fields {
        if let Some(v) = value {
            out.insert(key.to_string(), v);
        }
    }
}
