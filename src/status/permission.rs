//! The pending permission request of a run, as the daemon reports it
//! (core-spec §8.3 `pending_permission`, §9 step 3).

use serde_json::{Map, Value};

use crate::jsval::first_non_empty_str as first_str;

/// `{request_id, description, options: [{option_id, label, kind, requires_message?}]}`
/// from a daemon permission record; `None` when it is not an object or carries
/// no request id, no description and no options.
pub fn normalize_pending_permission(v: &Value) -> Option<Value> {
    let obj = v.as_object()?;
    let request_id = first_str(obj, &["request_id", "requestID"]).unwrap_or_default();
    let description =
        first_str(obj, &["description", "question", "tool", "title"]).unwrap_or_default();
    let options: Vec<Value> = obj
        .get("options")
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(normalize_option).collect())
        .unwrap_or_default();
    if request_id.is_empty() && description.is_empty() && options.is_empty() {
        return None;
    }
    let mut out = Map::new();
    out.insert("request_id".into(), request_id.into());
    out.insert("description".into(), description.into());
    out.insert("options".into(), Value::Array(options));
    Some(Value::Object(out))
}

/// One option; non-object items are skipped, missing texts become `""`.
fn normalize_option(item: &Value) -> Option<Value> {
    let o = item.as_object()?;
    let mut out = Map::new();
    out.insert(
        "option_id".into(),
        first_str(o, &["option_id", "optionId"])
            .unwrap_or_default()
            .into(),
    );
    out.insert(
        "label".into(),
        first_str(o, &["label", "name"]).unwrap_or_default().into(),
    );
    out.insert(
        "kind".into(),
        first_str(o, &["kind"]).unwrap_or_default().into(),
    );
    let requires = ["requires_message", "requiresMessage"]
        .iter()
        .any(|k| o.get(*k) == Some(&Value::Bool(true)));
    if requires {
        out.insert("requires_message".into(), Value::Bool(true));
    }
    Some(Value::Object(out))
}

/// The `pending_permission` of a status result: the live `permission` record
/// when it normalises to something, else `pending_permission` when it is an
/// object (a boolean flag alone says nothing about the request).
pub fn pending_permission_of(live: &Map<String, Value>) -> Option<Value> {
    live.get("permission")
        .and_then(normalize_pending_permission)
        .or_else(|| {
            live.get("pending_permission")
                .filter(|v| v.is_object())
                .and_then(normalize_pending_permission)
        })
}

/// The request id to answer when the caller gave none: `permission.request_id`
/// (or `requestId`), else `pending_permission.request_id` when that is an
/// object. Empty strings count as none.
pub fn pending_permission_request_id(live: &Value) -> Option<String> {
    let obj = live.as_object()?;
    let from_permission = obj
        .get("permission")
        .and_then(Value::as_object)
        .and_then(|p| first_str(p, &["request_id", "requestId"]));
    let from_pending = || {
        obj.get("pending_permission")
            .and_then(Value::as_object)
            .and_then(|p| first_str(p, &["request_id"]))
    };
    from_permission.or_else(from_pending).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn conformance_case_32() {
        let id = |v: Value| pending_permission_request_id(&v);
        assert_eq!(
            id(json!({"pending_permission": true, "permission": {"request_id": "req-control"}})),
            Some("req-control".into())
        );
        assert_eq!(
            id(json!({"pending_permission": {"request_id": "req-normalized"}})),
            Some("req-normalized".into())
        );
        assert_eq!(id(json!({"pending_permission": true})), None);
        assert_eq!(id(json!(null)), None);
        assert_eq!(
            id(json!({"permission": {"requestId": "camel"}})),
            Some("camel".into())
        );
        assert_eq!(id(json!({"permission": {"request_id": ""}})), None);
    }

    #[test]
    fn normalises_case_20_options() {
        let live = json!({
            "request_id": "req-7", "description": "Allow edit?",
            "options": [
                {"optionId": "allow_once", "label": "Allow", "kind": "allow_once"},
                {"optionId": "write_in", "name": "Other", "kind": "allow", "requiresMessage": true},
                "not an object"
            ]
        });
        assert_eq!(
            normalize_pending_permission(&live),
            Some(json!({
                "request_id": "req-7", "description": "Allow edit?",
                "options": [
                    {"option_id": "allow_once", "label": "Allow", "kind": "allow_once"},
                    {"option_id": "write_in", "label": "Other", "kind": "allow", "requires_message": true}
                ]
            }))
        );
    }

    #[test]
    fn description_aliases_and_empty_records() {
        assert_eq!(
            normalize_pending_permission(&json!({"requestID": "q", "question": "Run ls?"})),
            Some(json!({"request_id": "q", "description": "Run ls?", "options": []}))
        );
        assert_eq!(
            normalize_pending_permission(&json!({"title": "T", "tool": ""})),
            Some(json!({"request_id": "", "description": "T", "options": []}))
        );
        assert_eq!(normalize_pending_permission(&json!({"options": []})), None);
        assert_eq!(normalize_pending_permission(&json!(true)), None);
        assert_eq!(normalize_pending_permission(&json!([1])), None);
    }

    #[test]
    fn permission_record_wins_over_the_flag_object() {
        let live = json!({"pending_permission": {"request_id": "old"}, "permission": {"request_id": "new"}});
        let got = pending_permission_of(live.as_object().expect("obj"));
        assert_eq!(
            got.and_then(|v| v.get("request_id").cloned()),
            Some(json!("new"))
        );
        let flag_only = json!({"pending_permission": true});
        assert_eq!(
            pending_permission_of(flag_only.as_object().expect("obj")),
            None
        );
    }
}
