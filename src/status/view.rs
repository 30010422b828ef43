//! Status views (core-spec §8.5): `full` is the whole result, `lifecycle` the
//! few fields a poller needs.

use serde_json::{Map, Value};

use crate::error::{CoreError, CoreResult};

/// Fields of the `lifecycle` view, in output order (`error`, ours, is why a
/// run whose daemon died is `failed`: a poller needs it).
const LIFECYCLE_FIELDS: [&str; 9] = [
    "run_id",
    "label",
    "status",
    "runtime_id",
    "phase",
    "phase_label",
    "pending_permission",
    "latest_seq",
    "error",
];

/// `None`/`full` → unchanged; `lifecycle` → the lifecycle fields that are
/// present; anything else → `invalid status view: <view>`.
pub fn shape_status_result(
    result: Map<String, Value>,
    view: Option<&str>,
) -> CoreResult<Map<String, Value>> {
    match view {
        None | Some("full") => Ok(result),
        Some("lifecycle") => {
            let mut out = Map::new();
            for key in LIFECYCLE_FIELDS {
                if let Some(v) = result.get(key) {
                    out.insert(key.to_string(), v.clone());
                }
            }
            Ok(out)
        }
        Some(other) => Err(CoreError::plain(format!("invalid status view: {other}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn full() -> Map<String, Value> {
        match json!({
            "run_id": "r", "label": "l", "status": "waiting", "runtime_id": "rt",
            "phase": "waiting", "phase_label": "Allow?",
            "pending_permission": {"request_id": "q", "description": "", "options": []},
            "session_id": "s", "usage": {"input_tokens": 1}, "latest_seq": 4,
            "final_output": "x"
        }) {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn conformance_case_17() {
        assert_eq!(shape_status_result(full(), None).ok(), Some(full()));
        assert_eq!(shape_status_result(full(), Some("full")).ok(), Some(full()));
        let life = shape_status_result(full(), Some("lifecycle")).expect("ok");
        assert_eq!(
            life.keys().collect::<Vec<_>>(),
            [
                "run_id",
                "label",
                "status",
                "runtime_id",
                "phase",
                "phase_label",
                "pending_permission",
                "latest_seq"
            ]
        );
        assert_eq!(
            shape_status_result(full(), Some("bogus")).map_err(|e| e.to_string()),
            Err("invalid status view: bogus".to_string())
        );
    }

    #[test]
    fn lifecycle_omits_absent_fields() {
        let mut m = Map::new();
        m.insert("run_id".into(), json!("r"));
        m.insert("label".into(), json!("l"));
        m.insert("status".into(), json!("running"));
        m.insert("dir".into(), json!("/x"));
        let life = shape_status_result(m, Some("lifecycle")).expect("ok");
        assert_eq!(
            Value::Object(life),
            json!({"run_id": "r", "label": "l", "status": "running"})
        );
    }
}
