//! Tool and permission summaries of a run event (core-spec §15.2).

use serde_json::{Map, Value};

use crate::jsval::first_non_empty_str as first_str;

use super::events::extract_event_text;

const TOOL_ID_KEYS: [&str; 9] = [
    "tool_call_id",
    "toolCallId",
    "call_id",
    "callId",
    "id",
    "message_id",
    "messageID",
    "part_id",
    "partID",
];

const TOOL_PREVIEW_KEYS: [&str; 7] = [
    "preview",
    "arguments",
    "args",
    "input",
    "result",
    "output",
    "delta",
];

/// `{key, id?, title?, kind?, status?, preview?}`; `None` when the event says
/// nothing about a tool. `default_status` applies when the event has none.
pub fn tool_summary(obj: &Map<String, Value>, default_status: Option<&str>) -> Option<Value> {
    let title = first_str(obj, &["title", "toolName", "name"]);
    let kind = first_str(obj, &["kind", "toolKind"]);
    let id = first_str(obj, &TOOL_ID_KEYS);
    let status = first_str(obj, &["status", "state"]).or(default_status);
    let preview = TOOL_PREVIEW_KEYS
        .iter()
        .find_map(|k| obj.get(*k).and_then(|v| extract_event_text(v, 0)));
    if title.is_none() && kind.is_none() && id.is_none() && status.is_none() && preview.is_none() {
        return None;
    }
    let key = id.or(title).or(kind).unwrap_or("tool");
    let mut out = Map::new();
    out.insert("key".into(), key.into());
    put(&mut out, "id", id);
    put(&mut out, "title", title);
    put(&mut out, "kind", kind);
    put(&mut out, "status", status);
    if let Some(p) = preview {
        out.insert("preview".into(), Value::String(p));
    }
    Some(Value::Object(out))
}

/// `{request_id?, description?, question?, tool?, options, kind?}`; `None`
/// when every part is empty. Options are `{option_id, label, kind?}` with the
/// label defaulting to the option id.
pub fn permission_summary(obj: &Map<String, Value>) -> Option<Value> {
    let request_id = first_str(obj, &["request_id", "requestID", "id"]);
    let description = first_str(obj, &["description", "title"]);
    let question = first_str(obj, &["question", "message"]);
    let tool = first_str(obj, &["tool"]);
    let kind = first_str(obj, &["kind", "status"]);
    let options: Vec<Value> = obj
        .get("options")
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(permission_option).collect())
        .unwrap_or_default();
    let nothing = [request_id, description, question, tool, kind]
        .iter()
        .all(Option::is_none);
    if nothing && options.is_empty() {
        return None;
    }
    let mut out = Map::new();
    put(&mut out, "request_id", request_id);
    put(&mut out, "description", description);
    put(&mut out, "question", question);
    put(&mut out, "tool", tool);
    out.insert("options".into(), Value::Array(options));
    put(&mut out, "kind", kind);
    Some(Value::Object(out))
}

fn permission_option(item: &Value) -> Option<Value> {
    let o = item.as_object()?;
    let option_id = first_str(o, &["option_id", "optionId"]).unwrap_or_default();
    let label = first_str(o, &["label"]).unwrap_or(option_id);
    let mut out = Map::new();
    out.insert("option_id".into(), option_id.into());
    out.insert("label".into(), label.into());
    put(&mut out, "kind", first_str(o, &["kind"]));
    Some(Value::Object(out))
}

fn put(out: &mut Map<String, Value>, key: &str, value: Option<&str>) {
    if let Some(v) = value {
        out.insert(key.to_string(), Value::String(v.to_string()));
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
    fn tool_fields_and_key() {
        let t = tool_summary(
            &obj(
                json!({"toolCallId": "call_1", "title": "Read", "kind": "read",
                        "state": "pending", "input": {"text": "a.txt"}}),
            ),
            Some("running"),
        );
        assert_eq!(
            t,
            Some(
                json!({"key": "call_1", "id": "call_1", "title": "Read", "kind": "read",
                        "status": "pending", "preview": "a.txt"})
            )
        );
        let by_title = tool_summary(&obj(json!({"toolName": "bash"})), None);
        assert_eq!(by_title, Some(json!({"key": "bash", "title": "bash"})));
        let bare = tool_summary(&obj(json!({})), Some("running"));
        assert_eq!(bare, Some(json!({"key": "tool", "status": "running"})));
        assert_eq!(tool_summary(&obj(json!({"title": ""})), None), None);
    }

    #[test]
    fn permission_fields() {
        let p = permission_summary(&obj(json!({
            "requestID": "7", "title": "Edit file", "message": "Allow?",
            "options": [{"optionId": "yes", "kind": "allow_once"}, {"option_id": "no", "label": "No"}, 3]
        })));
        assert_eq!(
            p,
            Some(
                json!({"request_id": "7", "description": "Edit file", "question": "Allow?",
                        "options": [{"option_id": "yes", "label": "yes", "kind": "allow_once"},
                                    {"option_id": "no", "label": "No"}]})
            )
        );
        assert_eq!(permission_summary(&obj(json!({"options": []}))), None);
        assert_eq!(
            permission_summary(&obj(json!({"status": "allow"}))),
            Some(json!({"options": [], "kind": "allow"}))
        );
    }
}
