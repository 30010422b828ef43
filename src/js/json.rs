//! Lenient conversion of any JS value to JSON for functions that accept
//! whatever the caller passes (`undefined`, functions and symbols become `None`).

use napi::bindgen_prelude::*;
use serde_json::Value;

pub fn json_of(value: Option<Unknown<'_>>) -> Option<Value> {
    let value = value?;
    match value.get_type() {
        Ok(ValueType::Undefined) | Err(_) => None,
        Ok(_) => unsafe { Value::from_napi_value(value.value().env, value.raw()) }.ok(),
    }
}
