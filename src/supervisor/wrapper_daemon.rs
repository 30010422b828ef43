//! Test support: a "daemon" that is a wrapper script with a child of its own,
//! and a way to tell whether that grandchild still runs.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::daemon_process::{launch, Launched};

/// A wrapper script (`sh`) that runs `sleep 100` as its child.
pub struct WrapperDaemon {
    pub launched: Launched,
    pid_file: PathBuf,
}

/// How the wrapper runs its child.
pub enum Child {
    /// In the foreground, as a wrapper usually does (`exec` would leave none).
    Foreground,
    /// In the background: a non-interactive shell makes it ignore SIGINT.
    Background,
}

impl WrapperDaemon {
    /// Starts the wrapper; `tag` keeps the pid files of parallel tests apart.
    pub fn start(tag: &str, child: Child) -> Self {
        let pid_file =
            std::env::temp_dir().join(format!("avenor-wrapper-{tag}-{}.pid", std::process::id()));
        let _ = std::fs::remove_file(&pid_file);
        let body = match child {
            Child::Foreground => "sh -c 'echo $$ > \"$0\"; exec sleep 100' \"$1\"; echo after",
            Child::Background => "sleep 100 & echo $! > \"$1\"; wait",
        };
        let args = [
            "-c".to_string(),
            body.to_string(),
            "wrapper".to_string(),
            pid_file.to_string_lossy().into_owned(),
        ];
        let launched = launch(Path::new("/bin/sh"), &args).expect("launch the wrapper");
        WrapperDaemon { launched, pid_file }
    }

    /// The pid of the wrapper's child, once it has written it (call once).
    pub fn grandchild(&self) -> i32 {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let text = std::fs::read_to_string(&self.pid_file).unwrap_or_default();
            if let Ok(pid) = text.trim().parse() {
                let _ = std::fs::remove_file(&self.pid_file);
                return pid;
            }
            assert!(
                Instant::now() < deadline,
                "the wrapper never started its child"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// Whether `pid` still runs; a zombie waiting for its reaper counts as gone.
pub fn running(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    if unsafe { libc::kill(pid, 0) } != 0 {
        return false;
    }
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return true;
    };
    // The state follows the `)` that closes the command name.
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next());
    state != Some("Z")
}

/// Whether `pid` is gone within `limit` (its reaper may take a moment).
pub fn gone_within(pid: i32, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while running(pid) {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    true
}

/// Kills a grandchild a failed test left behind.
pub fn kill_leftover(pid: i32) {
    if running(pid) {
        // SAFETY: plain kill(2) of the test's own grandchild.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
}
