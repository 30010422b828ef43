//! The sentinel file the daemon writes at the end of each turn (core-spec §6.3):
//! a status word on the first line, then `KEY=VALUE` lines.

use std::io::Read;
use std::path::Path;

use serde_json::{Map, Value};

use crate::jsval::js_trim;
use crate::regular_file::open_regular;

/// Parsed sentinel: the first line under `_status`, other lines as `key: value`
/// (all values are strings).
pub type Sentinel = Map<String, Value>;

/// Key holding the status word (`DONE`, `FAILED`, …).
pub const STATUS_KEY: &str = "_status";

/// `None` for an empty (after trimming) text.
pub fn parse_sentinel(text: &str) -> Option<Sentinel> {
    let text = js_trim(text);
    if text.is_empty() {
        return None;
    }
    let mut lines = text.split('\n');
    let mut sentinel = Sentinel::new();
    let first = lines.next().unwrap_or_default();
    sentinel.insert(STATUS_KEY.to_string(), Value::String(first.to_string()));
    for line in lines {
        let line = js_trim(line);
        // Split at the first `=`, unless it starts the line (no key).
        match line.find('=') {
            Some(i) if i > 0 => {
                sentinel.insert(
                    line[..i].to_string(),
                    Value::String(line[i + 1..].to_string()),
                );
            }
            _ => {}
        }
    }
    Some(sentinel)
}

/// Reads and parses a sentinel; unreadable, empty or not a regular file →
/// `None` (a FIFO there would block the read forever). Invalid UTF-8 is
/// replaced, as Node's `utf8` decoding does.
pub fn read_sentinel(path: &Path) -> Option<Sentinel> {
    let mut bytes = Vec::new();
    open_regular(path).ok()?.read_to_end(&mut bytes).ok()?;
    parse_sentinel(&String::from_utf8_lossy(&bytes))
}

/// A string member of a sentinel (`SESSION`, `STOP_REASON`, `_status`, …).
pub fn sentinel_str<'a>(sentinel: &'a Sentinel, key: &str) -> Option<&'a str> {
    sentinel.get(key).and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_status_and_keys() {
        let s = parse_sentinel("DONE\nSESSION=ses_1\nSTOP_REASON=end_turn\n").expect("some");
        assert_eq!(
            Value::Object(s),
            json!({"_status": "DONE", "SESSION": "ses_1", "STOP_REASON": "end_turn"})
        );
    }

    #[test]
    fn trims_lines_and_skips_keyless_ones() {
        let s = parse_sentinel("\n  FAILED\n  SESSION=  \n=x\nnoequals\n\nA=b=c\r\nEMPTY=\n")
            .expect("some");
        assert_eq!(
            Value::Object(s),
            json!({"_status": "FAILED", "SESSION": "", "A": "b=c", "EMPTY": ""})
        );
    }

    #[test]
    fn empty_is_none() {
        assert!(parse_sentinel("").is_none());
        assert!(parse_sentinel(" \n\t\u{FEFF}").is_none());
    }

    #[test]
    fn later_keys_overwrite_in_place() {
        let s = parse_sentinel("DONE\nA=1\nB=2\nA=3").expect("some");
        assert_eq!(
            serde_json::to_string(&s).ok(),
            Some(r#"{"_status":"DONE","A":"3","B":"2"}"#.to_string())
        );
    }

    #[test]
    fn reads_files() {
        let dir = std::env::temp_dir().join(format!("avenor-sentinel-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let p = dir.join("sentinel.done");
        std::fs::write(&p, b"KILLED\nEXIT_CODE=130\n\xff").expect("write");
        let s = read_sentinel(&p).expect("some");
        assert_eq!(sentinel_str(&s, STATUS_KEY), Some("KILLED"));
        assert_eq!(sentinel_str(&s, "EXIT_CODE"), Some("130"));
        assert!(read_sentinel(&dir.join("missing")).is_none());
        assert!(read_sentinel(&dir).is_none());
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn a_fifo_sentinel_reads_as_none_without_blocking() {
        let dir = std::env::temp_dir().join(format!("avenor-sentinel-fifo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let p = dir.join("sentinel.done");
        crate::regular_file::make_fifo(&p);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(read_sentinel(&p).is_none());
        });
        let none = rx.recv_timeout(std::time::Duration::from_secs(5));
        std::fs::remove_dir_all(&dir).ok();
        assert_eq!(none, Ok(true), "reading a FIFO sentinel blocked");
    }
}
