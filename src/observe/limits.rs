//! Size limits of a run snapshot (core-spec §15.3 `DEFAULT_RUN_REDUCER_LIMITS`).

use serde_json::{Map, Value};

use crate::jsval::finite_number;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunReducerLimits {
    /// Transcript entries kept (oldest dropped).
    pub transcript_entries: usize,
    /// Characters kept of each text (the tail).
    pub text_chars: usize,
    /// Characters kept of a tool preview (the tail).
    pub tool_preview_chars: usize,
    /// Tools remembered (oldest dropped).
    pub tools: usize,
    /// Permission requests remembered (oldest dropped).
    pub permissions: usize,
    /// Keys remembered to de-duplicate events without `seq`.
    pub legacy_keys: usize,
}

pub const DEFAULT_RUN_REDUCER_LIMITS: RunReducerLimits = RunReducerLimits {
    transcript_entries: 64,
    text_chars: 4000,
    tool_preview_chars: 1000,
    tools: 24,
    permissions: 16,
    legacy_keys: 128,
};

impl Default for RunReducerLimits {
    fn default() -> Self {
        DEFAULT_RUN_REDUCER_LIMITS
    }
}

impl RunReducerLimits {
    fn fields(&mut self) -> [(&'static str, &mut usize); 6] {
        [
            ("transcript_entries", &mut self.transcript_entries),
            ("text_chars", &mut self.text_chars),
            ("tool_preview_chars", &mut self.tool_preview_chars),
            ("tools", &mut self.tools),
            ("permissions", &mut self.permissions),
            ("legacy_keys", &mut self.legacy_keys),
        ]
    }

    /// The limits as a JS object, keys in the documented order.
    pub fn to_value(&self) -> Value {
        let mut copy = *self;
        let map: Map<String, Value> = copy
            .fields()
            .into_iter()
            .map(|(k, v)| (k.to_string(), Value::from(*v)))
            .collect();
        Value::Object(map)
    }

    /// Defaults overridden by the numeric members of `v`, each truncated and
    /// at least 1; missing or non-numeric members keep their default.
    pub fn from_value(v: Option<&Value>) -> Self {
        let mut limits = DEFAULT_RUN_REDUCER_LIMITS;
        let Some(obj) = v.and_then(Value::as_object) else {
            return limits;
        };
        for (key, slot) in limits.fields() {
            if let Some(n) = obj.get(key).and_then(finite_number) {
                // `as` saturates: huge values become usize::MAX.
                *slot = n.trunc().max(1.0) as usize;
            }
        }
        limits
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_and_overrides() {
        assert_eq!(
            DEFAULT_RUN_REDUCER_LIMITS.to_value(),
            json!({"transcript_entries": 64, "text_chars": 4000, "tool_preview_chars": 1000,
                   "tools": 24, "permissions": 16, "legacy_keys": 128})
        );
        let l = RunReducerLimits::from_value(Some(&json!({
            "transcript_entries": 2.9, "text_chars": 0, "tools": -3, "permissions": "x",
            "legacy_keys": null, "extra": 1
        })));
        assert_eq!(l.transcript_entries, 2);
        assert_eq!(l.text_chars, 1);
        assert_eq!(l.tools, 1);
        assert_eq!(l.permissions, 16);
        assert_eq!(l.legacy_keys, 128);
        assert_eq!(
            RunReducerLimits::from_value(Some(&json!([1]))),
            DEFAULT_RUN_REDUCER_LIMITS
        );
    }
}
