//! Which agent/model/backend a run really uses. The daemon's live answer wins
//! over what was stored at spawn time, and a live empty string clears a field
//! (core-spec §5.4 `retainLiveIdentity`, §8.3 identity).

use serde_json::{Map, Value};

use crate::runs::RunInfo;

/// The identity fields that have an `effective_*` twin.
pub const IDENTITY_FIELDS: [&str; 3] = ["agent", "model", "backend"];

/// The live word on `field`: `Some(value)` when the live object has a string
/// `effective_<field>` (preferred) or `<field>`; the inner value is `None`
/// for an empty string (a clear). `None` when live says nothing.
pub fn live_identity<'a>(live: &'a Map<String, Value>, field: &str) -> Option<Option<&'a str>> {
    let effective = live
        .get(&format!("effective_{field}"))
        .and_then(Value::as_str);
    effective
        .or_else(|| live.get(field).and_then(Value::as_str))
        .map(|s| Some(s).filter(|s| !s.is_empty()))
}

/// A live string member (empty → `Some(None)`), `None` when not a string.
pub fn live_string<'a>(live: &'a Map<String, Value>, key: &str) -> Option<Option<&'a str>> {
    live.get(key)
        .and_then(Value::as_str)
        .map(|s| Some(s).filter(|s| !s.is_empty()))
}

/// Stored (direct, effective) slots of an identity field.
fn identity_slots<'a>(
    info: &'a mut RunInfo,
    field: &str,
) -> Option<(&'a mut Option<String>, &'a mut Option<String>)> {
    match field {
        "agent" => Some((&mut info.agent, &mut info.effective_agent)),
        "model" => Some((&mut info.model, &mut info.effective_model)),
        "backend" => Some((&mut info.backend, &mut info.effective_backend)),
        _ => None,
    }
}

/// The stored value of an identity field: effective first, then direct.
pub fn stored_identity<'a>(info: &'a RunInfo, field: &str) -> Option<&'a str> {
    let (direct, effective) = match field {
        "agent" => (&info.agent, &info.effective_agent),
        "model" => (&info.model, &info.effective_model),
        "backend" => (&info.backend, &info.effective_backend),
        _ => return None,
    };
    effective
        .as_deref()
        .filter(|s| !s.is_empty())
        .or_else(|| direct.as_deref().filter(|s| !s.is_empty()))
}

/// Writes what the live status says about the run's identity into `info`, so a
/// later status whose live call fails still reports the resolved identity.
pub fn retain_live_identity(info: &mut RunInfo, live: &Map<String, Value>) {
    for field in IDENTITY_FIELDS {
        let Some(value) = live_identity(live, field) else {
            continue;
        };
        if let Some((direct, effective)) = identity_slots(info, field) {
            *direct = value.map(str::to_string);
            *effective = value.map(str::to_string);
        }
    }
    if let Some(Some(session)) = live_string(live, "session_id") {
        info.session_id = Some(session.to_string());
    }
    let others: [(&str, &mut Option<String>); 3] = [
        ("roster_file", &mut info.roster_file),
        ("roster_entry", &mut info.roster_entry),
        ("agent_profile", &mut info.agent_profile),
    ];
    for (key, slot) in others {
        if let Some(value) = live_string(live, key) {
            *slot = value.map(str::to_string);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn live_effective_wins_and_empty_clears() {
        let mut info = RunInfo {
            model: Some("stale-model".into()),
            effective_model: Some("stale-model".into()),
            agent: Some("old".into()),
            session_id: Some("ses-old".into()),
            roster_file: Some("/r.json".into()),
            agent_profile: Some("p".into()),
            ..RunInfo::default()
        };
        let live = obj(json!({
            "effective_agent": "final-agent", "agent": "ignored",
            "effective_model": "", "model": "also-ignored",
            "backend": "agy", "session_id": "", "roster_file": "", "agent_profile": 3
        }));
        retain_live_identity(&mut info, &live);
        assert_eq!(info.agent.as_deref(), Some("final-agent"));
        assert_eq!(info.effective_agent.as_deref(), Some("final-agent"));
        assert_eq!(info.model, None);
        assert_eq!(info.effective_model, None);
        assert_eq!(info.backend.as_deref(), Some("agy"));
        assert_eq!(info.effective_backend.as_deref(), Some("agy"));
        assert_eq!(info.session_id.as_deref(), Some("ses-old"));
        assert_eq!(info.roster_file, None);
        assert_eq!(info.agent_profile.as_deref(), Some("p"));
    }

    #[test]
    fn silent_live_keeps_stored_values() {
        let mut info = RunInfo {
            agent: Some("a".into()),
            ..RunInfo::default()
        };
        let before = info.clone();
        retain_live_identity(&mut info, &obj(json!({"agent": null, "session_id": 5})));
        assert_eq!(info, before);
        retain_live_identity(
            &mut info,
            &obj(json!({"session_id": "ses-2", "roster_entry": "e"})),
        );
        assert_eq!(info.session_id.as_deref(), Some("ses-2"));
        assert_eq!(info.roster_entry.as_deref(), Some("e"));
    }
}
