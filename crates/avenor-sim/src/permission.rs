//! Permission requests (§2.10): option kinds, resolver choice, answer validation and the
//! minimal file handler (`<base>.req` + polling `<base>.req.response` every 500 ms).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Map, Value};
use tokio::sync::oneshot;

use crate::rpc::RpcError;

/// Who answers a request; decided once, when the agent asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolver {
    /// `auto_approve`: first allow option, `source:"avenor"`.
    Automatic,
    /// A control connection is open: waits for `answer_permission`.
    Reserved,
    /// No connection: the file handler owns it.
    File,
}

impl Resolver {
    pub fn as_str(self) -> &'static str {
        match self {
            Resolver::Automatic => "automatic",
            Resolver::Reserved => "reserved",
            Resolver::File => "file",
        }
    }
}

#[derive(Clone, Debug)]
pub struct PermOption {
    pub option_id: String,
    pub name: String,
    pub kind: String,
}

impl PermOption {
    pub fn to_json(&self) -> Value {
        json!({"optionId": self.option_id, "name": self.name, "kind": self.kind})
    }
}

/// The two options every scripted request offers.
pub fn default_options() -> Vec<PermOption> {
    vec![
        PermOption {
            option_id: "allow".into(),
            name: "Allow".into(),
            kind: "allow_once".into(),
        },
        PermOption {
            option_id: "reject".into(),
            name: "Reject".into(),
            kind: "reject_once".into(),
        },
    ]
}

/// `allow*` ⇒ allow, `reject*`/`deny*` ⇒ reject, anything else is unsupported.
pub fn normalize_kind(kind: &str) -> Option<&'static str> {
    match kind {
        "allow" | "allow_once" | "allow_always" => Some("allow"),
        "reject" | "reject_once" | "reject_always" | "deny" | "deny_once" | "deny_always" => {
            Some("reject")
        }
        _ => None,
    }
}

/// An answer on its way to the waiting agent.
#[derive(Debug)]
pub struct Answer {
    pub option_id: String,
    /// `allow` or `reject`.
    pub kind: &'static str,
    pub message: Option<String>,
    /// `avenor`, `control` or `file`.
    pub source: &'static str,
}

/// A request the agent is blocked on.
pub struct Pending {
    pub request_id: String,
    pub options: Vec<PermOption>,
    pub resolver: Resolver,
    /// The list entry's `permission` object.
    pub object: Map<String, Value>,
    /// Taken by the first accepted socket answer; `None` afterwards = "pending delivery".
    pub tx: Option<oneshot::Sender<Answer>>,
}

/// `message` of `answer_permission`: optional string, ≤ 64 KiB.
pub fn validate_message(v: Option<&Value>) -> Result<Option<String>, RpcError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.len() > 64 * 1024 => {
            Err(RpcError::detail("message exceeds 65536 bytes"))
        }
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(RpcError::detail(
            "json: cannot unmarshal message into Go value of type string",
        )),
    }
}

/// Base path of the file handler: `file:<base>` if given, else the sentinel path with a
/// trailing `.done` replaced by `.perm`, otherwise `.perm` appended.
pub fn derive_base(sentinel: &str, handler: Option<&str>) -> Result<PathBuf, String> {
    if let Some(h) = handler.filter(|h| !h.is_empty()) {
        return match h.strip_prefix("file:") {
            Some(base) if !base.is_empty() => Ok(PathBuf::from(base)),
            _ => Err("permission handler: --permission-handler supports file:<path> only".into()),
        };
    }
    Ok(PathBuf::from(match sentinel.strip_suffix(".done") {
        Some(stem) => format!("{stem}.perm"),
        None => format!("{sentinel}.perm"),
    }))
}

fn with_suffix(base: &Path, suffix: &str) -> PathBuf {
    let mut s = base.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// How a file-handled request ended.
pub enum FileOutcome {
    Answer(Answer),
    /// `.req.response` said `cancelled`: the turn is cancelled.
    Cancelled,
    /// Nobody answered within 10 minutes: the turn fails.
    TimedOut,
}

/// Writes `<base>.req` and polls `<base>.req.response` every 500 ms for up to 10 min.
/// Both files are removed once the request is settled.
pub async fn file_wait(
    base: &Path,
    request: &Value,
    options: &[PermOption],
    poll: Duration,
) -> FileOutcome {
    let req_path = with_suffix(base, ".req");
    let resp_path = with_suffix(base, ".req.response");
    if let Err(e) = std::fs::write(&req_path, format!("{request}\n")) {
        eprintln!(
            "avenor stable: write permission request {}: {e}",
            req_path.display()
        );
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(600);
    let outcome = loop {
        if tokio::time::Instant::now() >= deadline {
            break FileOutcome::TimedOut;
        }
        tokio::time::sleep(poll).await;
        let Ok(text) = std::fs::read_to_string(&resp_path) else {
            continue;
        };
        let Ok(resp) = serde_json::from_str::<Value>(&text) else {
            continue; // probably half-written; look again next tick
        };
        match resp.get("outcome").and_then(Value::as_str).unwrap_or("") {
            "cancelled" => break FileOutcome::Cancelled,
            "" | "selected" => {}
            _ => {
                let _ = std::fs::remove_file(&resp_path);
                continue;
            }
        }
        let option_id = resp.get("option_id").and_then(Value::as_str).unwrap_or("");
        let chosen = options
            .iter()
            .find(|o| o.option_id == option_id)
            .and_then(|o| normalize_kind(&o.kind).map(|k| (o, k)));
        match chosen {
            Some((o, kind)) => {
                break FileOutcome::Answer(Answer {
                    option_id: o.option_id.clone(),
                    kind,
                    message: resp
                        .get("message")
                        .and_then(Value::as_str)
                        .filter(|m| !m.is_empty())
                        .map(str::to_string),
                    source: "file",
                })
            }
            None => {
                // An invalid answer is discarded so a corrected one can be written.
                let _ = std::fs::remove_file(&resp_path);
            }
        }
    };
    let _ = std::fs::remove_file(&req_path);
    let _ = std::fs::remove_file(&resp_path);
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        assert_eq!(normalize_kind("allow_always"), Some("allow"));
        assert_eq!(normalize_kind("deny_once"), Some("reject"));
        assert_eq!(normalize_kind("maybe"), None);
    }

    #[test]
    fn bases() {
        assert_eq!(
            derive_base("/r/sentinel.done", None),
            Ok(PathBuf::from("/r/sentinel.perm"))
        );
        assert_eq!(
            derive_base("/r/sentinel.env", None),
            Ok(PathBuf::from("/r/sentinel.env.perm"))
        );
        assert_eq!(
            derive_base("/r/s", Some("file:/x/p")),
            Ok(PathBuf::from("/x/p"))
        );
        assert!(derive_base("/r/s", Some("http://x")).is_err());
    }
}
