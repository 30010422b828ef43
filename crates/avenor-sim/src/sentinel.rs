//! Sentinel file (§4.1), rewritten atomically at the end of every turn.

use std::io::Write;
use std::path::Path;

/// Exit code of a turn from its `session.end` stop reason (§3.2).
pub fn exit_code_for(stop_reason: &str) -> i32 {
    match stop_reason {
        "end_turn" => 0,
        "refusal" => 2,
        "max_tokens" => 3,
        "max_turn_requests" => 4,
        "blocked" => 5,
        "cancelled" => 130,
        "timeout" | "progress_timeout" => 124,
        _ => 1,
    }
}

/// Stop reason used when none is known for an exit code.
pub fn default_stop_reason(code: i32) -> String {
    match code {
        0 => "end_turn".into(),
        124 => "timeout".into(),
        130 => "cancelled".into(),
        5 => "blocked".into(),
        2 => "refusal".into(),
        3 => "max_tokens".into(),
        4 => "max_turn_requests".into(),
        n => format!("exit_{n}"),
    }
}

/// The file text, lines in the daemon's order: header, SESSION, STOP_REASON,
/// EXIT_CODE (KILLED/FAILED only), RUN.
pub fn render(code: i32, session: &str, stop_reason: &str, run_id: &str) -> String {
    let header = match code {
        0 => "DONE",
        124 => "TIMEOUT",
        130 => "KILLED",
        5 => "BLOCKED",
        _ => "FAILED",
    };
    let stop = if stop_reason.is_empty() {
        default_stop_reason(code)
    } else {
        stop_reason.to_string()
    };
    let clean = |s: &str| s.replace(['\r', '\n'], " ");
    let mut out = format!(
        "{header}\nSESSION={}\nSTOP_REASON={}\n",
        clean(session),
        clean(&stop)
    );
    if header == "KILLED" || header == "FAILED" {
        out.push_str(&format!("EXIT_CODE={code}\n"));
    }
    if !run_id.is_empty() {
        out.push_str(&format!("RUN={}\n", clean(run_id)));
    }
    out
}

/// Temp file in the same directory + rename, so readers never see a partial file.
pub fn write(path: &Path, code: i32, session: &str, stop_reason: &str, run_id: &str) {
    let text = render(code, session, stop_reason, run_id);
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp.{}", std::process::id()));
    let tmp = std::path::PathBuf::from(tmp);
    let res = std::fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .and_then(|_| std::fs::rename(&tmp, path));
    if let Err(e) = res {
        let _ = std::fs::remove_file(&tmp);
        eprintln!("avenor stable: write sentinel {}: {e}", path.display());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(
            render(0, "ses_abc", "end_turn", "a1b2c3d4e5f60718"),
            "DONE\nSESSION=ses_abc\nSTOP_REASON=end_turn\nRUN=a1b2c3d4e5f60718\n"
        );
        assert_eq!(
            render(130, "ses_k", "", "r"),
            "KILLED\nSESSION=ses_k\nSTOP_REASON=cancelled\nEXIT_CODE=130\nRUN=r\n"
        );
        assert_eq!(
            render(1, "ses_f", "", "r"),
            "FAILED\nSESSION=ses_f\nSTOP_REASON=exit_1\nEXIT_CODE=1\nRUN=r\n"
        );
        assert_eq!(
            render(124, "s", "timeout", "r"),
            "TIMEOUT\nSESSION=s\nSTOP_REASON=timeout\nRUN=r\n"
        );
    }
}
