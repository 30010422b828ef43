//! In-memory workflow controllers. A controller is created disabled, then
//! enabled and disabled (with a reason). `create` decodes its params strictly,
//! like the daemon's `DisallowUnknownFields` decoder.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde_json::{json, Value};

use crate::params::required;
use crate::rpc::RpcError;
use crate::util::lock;

struct Controller {
    max_inflight: i64,
    enabled: bool,
    disabled_reason: Option<String>,
}

#[derive(Default)]
pub struct Controllers {
    map: Mutex<BTreeMap<String, Controller>>,
}

fn record(id: &str, c: &Controller) -> Value {
    let mut v =
        json!({ "controller_id": id, "max_inflight": c.max_inflight, "enabled": c.enabled });
    if let Some(r) = &c.disabled_reason {
        v["disabled_reason"] = json!(r);
    }
    v
}

fn not_found(id: &str) -> RpcError {
    RpcError::handler(format!("controller {id:?} not found"))
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// `{controller_id, max_inflight}` and nothing else; `max_inflight` > 0.
fn decode_create(p: &Value) -> Result<(String, i64), RpcError> {
    let empty = serde_json::Map::new();
    let obj = match p {
        Value::Null => &empty,
        Value::Object(m) => m,
        other => {
            return Err(RpcError::detail(format!(
                "json: cannot unmarshal {} into Go value of type controller.CreateParams",
                type_name(other)
            )))
        }
    };
    if let Some(k) = obj
        .keys()
        .find(|k| !matches!(k.as_str(), "controller_id" | "max_inflight"))
    {
        return Err(RpcError::detail(format!("json: unknown field {k:?}")));
    }
    let cannot = |field: &str, v: &Value, ty: &str| {
        RpcError::detail(format!(
            "json: cannot unmarshal {} into Go struct field CreateParams.{field} of type {ty}",
            type_name(v)
        ))
    };
    if let Some(v @ (Value::Bool(_) | Value::Number(_) | Value::Array(_) | Value::Object(_))) =
        obj.get("controller_id")
    {
        return Err(cannot("controller_id", v, "string"));
    }
    let max = match obj.get("max_inflight") {
        None | Some(Value::Null) => 0,
        Some(v @ Value::Number(n)) => n.as_i64().ok_or_else(|| cannot("max_inflight", v, "int"))?,
        Some(v) => return Err(cannot("max_inflight", v, "int")),
    };
    let [id] = required(p, ["controller_id"])?;
    if max <= 0 {
        return Err(RpcError::detail("max_inflight must be > 0"));
    }
    Ok((id.to_string(), max))
}

impl Controllers {
    pub fn create(&self, p: &Value) -> Result<Value, RpcError> {
        let (id, max_inflight) = decode_create(p)?;
        let mut map = lock(&self.map);
        if map.contains_key(&id) {
            return Err(RpcError::handler(format!(
                "controller {id:?} already exists"
            )));
        }
        let c = Controller {
            max_inflight,
            enabled: false,
            disabled_reason: None,
        };
        let out = record(&id, &c);
        map.insert(id, c);
        Ok(out)
    }

    fn update(&self, id: &str, f: impl FnOnce(&mut Controller)) -> Result<Value, RpcError> {
        let mut map = lock(&self.map);
        let c = map.get_mut(id).ok_or_else(|| not_found(id))?;
        f(c);
        Ok(record(id, c))
    }

    pub fn enable(&self, id: &str) -> Result<Value, RpcError> {
        self.update(id, |c| {
            c.enabled = true;
            c.disabled_reason = None;
        })
    }

    pub fn disable(&self, id: &str, reason: &str) -> Result<Value, RpcError> {
        self.update(id, |c| {
            c.enabled = false;
            c.disabled_reason = Some(reason.to_string());
        })
    }

    /// The record plus the (always zero) number of activations in flight.
    pub fn status(&self, id: &str) -> Result<Value, RpcError> {
        let mut v = self.update(id, |_| {})?;
        v["inflight"] = json!(0);
        Ok(v)
    }

    /// Fails with `controller "<id>" not found` for an unknown id.
    pub fn require(&self, id: &str) -> Result<(), RpcError> {
        self.update(id, |_| {}).map(drop)
    }

    pub fn list(&self) -> Value {
        let map = lock(&self.map);
        let all: Vec<Value> = map.iter().map(|(id, c)| record(id, c)).collect();
        json!({ "controllers": all })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_create() {
        let c = Controllers::default();
        let detail = |p: Value| c.create(&p).err().and_then(|e| e.data);
        assert_eq!(
            detail(json!({"controller_id": "c", "max_inflight": 2, "x": 1})),
            Some(json!({"detail": "json: unknown field \"x\""}))
        );
        assert_eq!(
            detail(json!({"controller_id": "c", "max_inflight": 0})),
            Some(json!({"detail": "max_inflight must be > 0"}))
        );
        assert_eq!(
            detail(json!({"controller_id": "c", "max_inflight": 1.5})),
            Some(
                json!({"detail": "json: cannot unmarshal number into Go struct field CreateParams.max_inflight of type int"})
            )
        );
        assert_eq!(
            detail(json!({"max_inflight": 1})),
            Some(json!({"required": ["controller_id"]}))
        );
        assert_eq!(
            c.create(&json!({"controller_id": "c", "max_inflight": 2}))
                .ok(),
            Some(json!({"controller_id": "c", "max_inflight": 2, "enabled": false}))
        );
        assert!(c
            .create(&json!({"controller_id": "c", "max_inflight": 2}))
            .is_err());
    }

    #[test]
    fn lifecycle_and_list() {
        let c = Controllers::default();
        c.create(&json!({"controller_id": "b", "max_inflight": 1}))
            .expect("b");
        c.create(&json!({"controller_id": "a", "max_inflight": 3}))
            .expect("a");
        assert_eq!(c.enable("a").expect("enable")["enabled"], json!(true));
        assert_eq!(
            c.disable("a", "maintenance").ok(),
            Some(
                json!({"controller_id": "a", "max_inflight": 3, "enabled": false, "disabled_reason": "maintenance"})
            )
        );
        assert_eq!(c.status("b").expect("status")["inflight"], json!(0));
        let ids: Vec<Value> = c.list()["controllers"]
            .as_array()
            .map(|a| a.iter().map(|r| r["controller_id"].clone()).collect())
            .unwrap_or_default();
        assert_eq!(ids, [json!("a"), json!("b")]);
        assert!(c.enable("zz").is_err());
    }
}
