//! Test harness: starts the built `avenor-sim` on a socket inside a private temp dir and
//! talks NDJSON to it. The daemon is SIGKILLed and the dir removed on drop, even when a
//! test fails.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub const BIN: &str = env!("CARGO_BIN_EXE_avenor-sim");
static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A private directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let p = std::env::temp_dir().join(format!("avsim-{}-{n}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub struct Daemon {
    pub child: Option<Child>,
    pub socket: PathBuf,
    /// Read end of the readiness pipe.
    pub ready_fd: i32,
    pub dir: TempDir,
}

pub struct Opts<'a> {
    pub args: &'a [&'a str],
    pub env: &'a [(&'a str, &'a str)],
    pub wait_ready: bool,
}

impl Default for Opts<'_> {
    fn default() -> Self {
        Opts {
            args: &[],
            env: &[],
            wait_ready: true,
        }
    }
}

impl Daemon {
    pub fn start() -> Daemon {
        Self::start_with(Opts::default())
    }

    pub fn start_with(opts: Opts) -> Daemon {
        let dir = TempDir::new();
        let socket = dir.path().join("run").join("ctl.sock");
        Self::spawn_at(dir, socket, opts)
    }

    pub fn spawn_at(dir: TempDir, socket: PathBuf, opts: Opts) -> Daemon {
        let mut fds = [0i32; 2];
        // SAFETY: pipe2 fills the two-element array.
        let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
        assert_eq!(rc, 0, "pipe2");
        let (r, w) = (fds[0], fds[1]);
        let mut cmd = Command::new(BIN);
        cmd.arg("stable")
            .arg("--control-socket")
            .arg(&socket)
            .args(opts.args)
            .env("TMPDIR", dir.path())
            .env("AVENOR_CONTROL_READY_FD", "3")
            .env("AVENOR_CONTROL_IDENTITY_TOKEN", "test-token")
            .env_remove("AVENOR_SIM_DISPATCH")
            .stdin(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in opts.env {
            cmd.env(k, v);
        }
        // SAFETY: only async-signal-safe calls (dup2/fcntl) between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                if w == 3 {
                    libc::fcntl(3, libc::F_SETFD, 0);
                } else {
                    libc::dup2(w, 3);
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("spawn avenor-sim");
        // SAFETY: closing our copy of the write end.
        unsafe { libc::close(w) };
        let mut d = Daemon {
            child: Some(child),
            socket,
            ready_fd: r,
            dir,
        };
        if opts.wait_ready {
            let b = d.read_ready(Duration::from_secs(10));
            assert_eq!(b, Some(1), "ready byte");
        }
        d
    }

    /// Reads the readiness byte, `None` on timeout or EOF.
    pub fn read_ready(&mut self, timeout: Duration) -> Option<u8> {
        let mut pfd = libc::pollfd {
            fd: self.ready_fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: poll on one valid pollfd.
        let n = unsafe { libc::poll(&mut pfd, 1, timeout.as_millis() as i32) };
        if n <= 0 {
            return None;
        }
        let mut b = [0u8; 1];
        // SAFETY: reading one byte into a local buffer.
        let got = unsafe { libc::read(self.ready_fd, b.as_mut_ptr().cast(), 1) };
        (got == 1).then_some(b[0])
    }

    pub fn connect(&self) -> Client {
        Client::connect(&self.socket)
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(|c| c.id()).unwrap_or(0)
    }

    /// Waits for the process to exit on its own.
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        let child = self.child.as_mut().expect("child");
        loop {
            if let Some(st) = child.try_wait().expect("try_wait") {
                return st;
            }
            assert!(Instant::now() < deadline, "daemon did not exit in time");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn stderr(&mut self) -> String {
        let mut s = String::new();
        if let Some(e) = self.child.as_mut().and_then(|c| c.stderr.as_mut()) {
            let _ = e.read_to_string(&mut s);
        }
        s
    }

    pub fn signal(&self, sig: i32) {
        // SAFETY: signalling our own child process.
        unsafe { libc::kill(self.pid() as i32, sig) };
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        // SAFETY: closing the pipe read end we own.
        unsafe { libc::close(self.ready_fd) };
    }
}

pub fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777
}

pub struct Client {
    pub stream: UnixStream,
    reader: BufReader<UnixStream>,
    next_id: u64,
    /// Events read while waiting for a response.
    pub events: VecDeque<Value>,
    /// Responses read while waiting for something else.
    responses: VecDeque<Value>,
}

impl Client {
    pub fn connect(socket: &Path) -> Client {
        let stream = UnixStream::connect(socket).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(15)))
            .expect("timeout");
        let reader = BufReader::new(stream.try_clone().expect("clone"));
        Client {
            stream,
            reader,
            next_id: 0,
            events: VecDeque::new(),
            responses: VecDeque::new(),
        }
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write");
    }

    /// Next line as JSON; `None` on EOF.
    pub fn read_msg(&mut self) -> Option<Value> {
        let mut line = String::new();
        match self.reader.read_line(&mut line) {
            Ok(0) => None,
            Ok(_) => Some(serde_json::from_str(&line).expect("server sent invalid JSON")),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => None,
            Err(e) => panic!("read: {e}"),
        }
    }

    /// Next response (a line with an `id`), stashing events.
    pub fn read_response(&mut self) -> Value {
        if let Some(r) = self.responses.pop_front() {
            return r;
        }
        loop {
            let m = self.read_msg().expect("connection closed");
            if m.get("id").is_some() {
                return m;
            }
            self.events.push_back(m["params"].clone());
        }
    }

    pub fn send(&mut self, method: &str, params: Value) -> u64 {
        self.next_id += 1;
        let id = self.next_id;
        let mut req = json!({"jsonrpc": "2.0", "id": id, "method": method});
        if !params.is_null() {
            req["params"] = params;
        }
        self.send_raw(format!("{req}\n").as_bytes());
        id
    }

    /// Full response object for one call.
    pub fn call_raw(&mut self, method: &str, params: Value) -> Value {
        let id = self.send(method, params);
        loop {
            let r = self.read_response();
            if r["id"] == json!(id) {
                return r;
            }
            self.responses.push_back(r);
        }
    }

    /// `result` of a call that must succeed.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        let r = self.call_raw(method, params.clone());
        assert!(r.get("error").is_none(), "{method} {params} failed: {r}");
        r["result"].clone()
    }

    /// `error` of a call that must fail.
    pub fn call_err(&mut self, method: &str, params: Value) -> Value {
        let r = self.call_raw(method, params.clone());
        assert!(r.get("error").is_some(), "{method} {params} succeeded: {r}");
        r["error"].clone()
    }

    /// Next event notification's params.
    pub fn next_event(&mut self) -> Value {
        if let Some(e) = self.events.pop_front() {
            return e;
        }
        loop {
            let m = self
                .read_msg()
                .expect("connection closed while waiting for event");
            if m.get("id").is_some() {
                self.responses.push_back(m);
                continue;
            }
            return m["params"].clone();
        }
    }

    /// Reads events until one satisfies `pred`; returns everything read, the match last.
    pub fn events_until(&mut self, pred: impl Fn(&Value) -> bool) -> Vec<Value> {
        let mut out = Vec::new();
        loop {
            let e = self.next_event();
            let done = pred(&e);
            out.push(e);
            if done {
                return out;
            }
        }
    }

    pub fn spawn(&mut self, params: Value) -> String {
        let r = self.call("spawn", params);
        r["runtime_id"].as_str().expect("runtime_id").to_string()
    }

    /// Blocks until the runtime's current/next turn ends (`wait_turn`).
    pub fn wait_turn(&mut self, rt: &str) -> Value {
        self.call("wait_turn", json!({"runtime_id": rt, "timeout_ms": 10000}))
    }

    /// Polls `status` until `pred` holds.
    pub fn wait_status(&mut self, rt: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let s = self.call("status", json!({"runtime_id": rt}));
            if pred(&s) {
                return s;
            }
            assert!(Instant::now() < deadline, "status never matched: {s}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

pub fn is_event(e: &Value, name: &str) -> bool {
    e["event"] == json!(name)
}

/// Waits until `path` exists (e.g. a permission `.req` file).
pub fn wait_for_file(path: &Path) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !path.exists() {
        assert!(
            Instant::now() < deadline,
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}
