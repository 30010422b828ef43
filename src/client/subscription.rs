//! Normalisation of `subscribe`/`history` options and the once-per-connection
//! subscription rule.

use serde_json::{Map, Value};

use crate::error::CoreError;
use crate::jsval::{clamp_trunc, is_truthy_opt};

pub const ALREADY_SUBSCRIBED: &str = "client already subscribed with different options";

/// `subscribe` params: `runtime_id` only if truthy, `replay` if given (false kept),
/// `limit` clamped to 1..256, `after_seq` to ≥ 0; `None` when nothing remains.
pub fn normalize_subscribe(opts: Option<&Value>) -> Option<Map<String, Value>> {
    let opts = opts?.as_object()?;
    let mut out = Map::new();
    if is_truthy_opt(opts.get("runtime_id")) {
        out.insert("runtime_id".into(), opts["runtime_id"].clone());
    }
    if let Some(replay) = opts.get("replay") {
        out.insert("replay".into(), replay.clone());
    }
    if let Some(limit) = opts.get("limit") {
        out.insert("limit".into(), clamp_trunc(limit, 1.0, 256.0));
    }
    if let Some(after) = opts.get("after_seq") {
        out.insert("after_seq".into(), clamp_trunc(after, 0.0, f64::INFINITY));
    }
    (!out.is_empty()).then_some(out)
}

/// `history` params: `runtime_id` as given, `limit` 1..256, `after_seq` ≥ 0,
/// absent members omitted.
pub fn normalize_history(opts: Option<&Value>) -> Map<String, Value> {
    let mut out = Map::new();
    let Some(opts) = opts.and_then(Value::as_object) else {
        return out;
    };
    if let Some(id) = opts.get("runtime_id") {
        out.insert("runtime_id".into(), id.clone());
    }
    if let Some(limit) = opts.get("limit") {
        out.insert("limit".into(), clamp_trunc(limit, 1.0, 256.0));
    }
    if let Some(after) = opts.get("after_seq") {
        out.insert("after_seq".into(), clamp_trunc(after, 0.0, f64::INFINITY));
    }
    out
}

/// The connection's one subscription.
#[derive(Default)]
pub struct Subscription {
    /// `Some(params)` once subscribe was sent (set before the RPC, so a failed
    /// subscribe is not retried on this connection, as in the original).
    sent: Option<Option<Map<String, Value>>>,
}

/// What a `subscribe` call must do.
#[derive(Debug, PartialEq)]
pub enum SubscribeStep {
    Send(Option<Map<String, Value>>),
    AlreadyDone,
}

impl Subscription {
    pub fn request(&mut self, opts: Option<&Value>) -> Result<SubscribeStep, CoreError> {
        let wanted = normalize_subscribe(opts);
        match &self.sent {
            None => {
                self.sent = Some(wanted.clone());
                Ok(SubscribeStep::Send(wanted))
            }
            Some(_) if wanted.is_none() => Ok(SubscribeStep::AlreadyDone),
            Some(prev) if *prev == wanted => Ok(SubscribeStep::AlreadyDone),
            Some(_) => Err(CoreError::plain(ALREADY_SUBSCRIBED)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn subscribe_options_are_normalised() {
        assert_eq!(
            normalize_subscribe(Some(
                &json!({"runtime_id":"rt-2","replay":true,"limit":8,"after_seq":4})
            )),
            json!({"runtime_id":"rt-2","replay":true,"limit":8,"after_seq":4})
                .as_object()
                .cloned()
        );
        assert_eq!(
            normalize_subscribe(Some(&json!({"runtime_id":"rt-2","replay":false}))),
            json!({"runtime_id":"rt-2","replay":false})
                .as_object()
                .cloned()
        );
        assert_eq!(normalize_subscribe(Some(&json!({"runtime_id":""}))), None);
        assert_eq!(normalize_subscribe(None), None);
        assert_eq!(
            normalize_subscribe(Some(&json!({"limit": 1000, "after_seq": -3.7}))),
            json!({"limit":256,"after_seq":0}).as_object().cloned()
        );
    }

    #[test]
    fn history_options_are_clamped() {
        assert_eq!(
            Value::Object(normalize_history(Some(
                &json!({"runtime_id":"rt-hist","limit":-10,"after_seq":-5})
            ))),
            json!({"runtime_id":"rt-hist","limit":1,"after_seq":0})
        );
        assert_eq!(
            Value::Object(normalize_history(Some(
                &json!({"runtime_id":"r","limit":999})
            ))),
            json!({"runtime_id":"r","limit":256})
        );
    }

    #[test]
    fn one_subscription_per_connection() {
        let mut s = Subscription::default();
        let a = json!({"runtime_id":"rt-1"});
        assert!(matches!(
            s.request(Some(&a)),
            Ok(SubscribeStep::Send(Some(_)))
        ));
        assert_eq!(s.request(Some(&a)), Ok(SubscribeStep::AlreadyDone));
        assert_eq!(s.request(None), Ok(SubscribeStep::AlreadyDone));
        assert_eq!(
            s.request(Some(&json!({"runtime_id":"rt-2"})))
                .unwrap_err()
                .to_string(),
            ALREADY_SUBSCRIBED
        );
        let mut bare = Subscription::default();
        assert_eq!(bare.request(None), Ok(SubscribeStep::Send(None)));
        assert_eq!(bare.request(None), Ok(SubscribeStep::AlreadyDone));
    }
}
