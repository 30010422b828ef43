//! Command line, socket files, readiness, envelope rules, ownership and daemon exit.

mod common;

use std::io::Write;
use std::os::unix::net::{UnixListener, UnixStream};
use std::process::Command;
use std::time::Duration;

use common::*;
use serde_json::{json, Value};

fn run_bin(args: &[&str]) -> (i32, String) {
    let out = Command::new(BIN).args(args).output().expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn command_line_errors() {
    let (code, err) = run_bin(&[]);
    assert_eq!(code, 1);
    assert!(err.contains("Usage"), "{err}");
    let (code, err) = run_bin(&["run"]);
    assert_eq!(code, 1);
    assert!(err.contains("Usage"), "{err}");
    let (code, err) = run_bin(&["stable"]);
    assert_eq!(code, 1);
    assert_eq!(err, "avenor stable: --control-socket is required\n");
    let (code, err) = run_bin(&["stable", "--control-socket", "/tmp/x.sock", "--nope"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("flag provided but not defined: -nope"),
        "{err}"
    );
    let (code, _) = run_bin(&[
        "stable",
        "--control-socket=/tmp/x.sock",
        "--idle-timeout",
        "5",
    ]);
    assert_eq!(code, 1, "a duration without unit is invalid");
}

#[test]
fn ready_byte_modes_and_identity() {
    let d = Daemon::start();
    assert_eq!(mode(&d.socket), 0o600);
    let lock = d.path("run/ctl.sock.control.lock");
    assert_eq!(mode(&lock), 0o600);
    assert_eq!(mode(&d.path("run")), 0o700);
    let mut c = d.connect();
    assert_eq!(
        c.call("identity", Value::Null),
        json!({"token": "test-token"})
    );
}

#[test]
fn envelope_rules() {
    let d = Daemon::start();
    let mut c = d.connect();
    c.send_raw(b"\n");
    assert_eq!(
        c.read_msg().unwrap(),
        json!({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}})
    );
    c.send_raw(b"[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"list\"}]\n");
    assert_eq!(c.read_msg().unwrap()["error"]["code"], json!(-32700));
    c.send_raw(b"{\"jsonrpc\":\"1.0\",\"id\":\"a\",\"method\":\"list\"}\n");
    assert_eq!(
        c.read_msg().unwrap(),
        json!({"jsonrpc":"2.0","id":"a","error":{"code":-32600,"message":"invalid request"}})
    );
    // Null and absent ids execute without any reply; the next reply is for id 9.
    c.send_raw(b"{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"nope\"}\n");
    c.send_raw(b"{\"jsonrpc\":\"2.0\",\"method\":\"list\"}\n");
    c.send_raw(b"{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"nope\"}\r\n");
    assert_eq!(
        c.read_msg().unwrap(),
        json!({"jsonrpc":"2.0","id":9,"error":{"code":-32601,"message":"method not found"}})
    );
    // Ids come back verbatim (1.0 as 1, objects as objects); field order is fixed.
    c.send_raw(b"{\"jsonrpc\":\"2.0\",\"id\":1.0,\"method\":\"list\"}\n");
    let mut raw = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(&c.stream), &mut raw).unwrap();
    assert_eq!(raw, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":[]}\n");
    let mut c = d.connect();
    c.send_raw(b"{\"jsonrpc\":\"2.0\",\"id\":{\"k\":[1]},\"method\":\"list\",\"params\":[1]}\n");
    assert_eq!(c.read_msg().unwrap()["id"], json!({"k":[1]}));
    // A final unterminated line is still answered when the client half-closes.
    c.send_raw(b"{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"list\"}");
    c.stream.shutdown(std::net::Shutdown::Write).unwrap();
    assert_eq!(c.read_msg().unwrap()["id"], json!(5));
    assert!(c.read_msg().is_none());
}

#[test]
fn over_long_line_closes_connection_silently() {
    let d = Daemon::start();
    let mut c = d.connect();
    let mut line = vec![b' '; 4 * 1024 * 1024 + 16];
    line.extend_from_slice(b"\n");
    // The server may close before everything is written; that is the point.
    let _ = c.stream.write_all(&line);
    assert!(c.read_msg().is_none(), "expected EOF without a reply");
    // A line just under the cap is fine.
    let mut c = d.connect();
    let mut req = b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"list\",\"pad\":\"".to_vec();
    let pad = 4 * 1024 * 1024 - 1 - req.len() - 2;
    req.extend(std::iter::repeat_n(b'p', pad));
    req.extend_from_slice(b"\"}");
    assert_eq!(req.len(), 4 * 1024 * 1024 - 1);
    req.push(b'\n');
    c.send_raw(&req);
    assert_eq!(c.read_msg().unwrap()["id"], json!(1));
}

#[test]
fn ownership_is_first_come_and_released_on_disconnect() {
    let d = Daemon::start();
    let mut a = d.connect();
    let mut b = d.connect();
    let rt = a.spawn(json!({"prompt": "say hi"}));
    assert_eq!(
        b.call_err("cancel", json!({"runtime_id": rt})),
        json!({"code": -32010, "message": "permission_denied"})
    );
    assert_eq!(b.call_err("shutdown", Value::Null)["code"], json!(-32010));
    // Read-only calls never need ownership.
    b.call("status", json!({"runtime_id": rt}));
    b.call("list", Value::Null);
    drop(a);
    // The daemon notices the disconnect asynchronously; then the slot is free.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let r = b.call_raw("cancel", json!({"runtime_id": rt}));
        if r.get("result") == Some(&json!({"ok": true})) {
            break;
        }
        assert_eq!(r["error"]["code"], json!(-32010));
        assert!(
            std::time::Instant::now() < deadline,
            "ownership never released"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn refuses_live_socket_and_replaces_stale_one() {
    let d = Daemon::start();
    let out = Command::new(BIN)
        .args(["stable", "--control-socket"])
        .arg(&d.socket)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "control socket already in use: {}",
            d.socket.display()
        )),
        "{err}"
    );
    // Stale socket file (nobody listening): unlinked and replaced.
    let dir = TempDir::new();
    let sock = dir.path().join("stale.sock");
    drop(UnixListener::bind(&sock).unwrap());
    assert!(UnixStream::connect(&sock).is_err());
    let d2 = Daemon::spawn_at(dir, sock, Opts::default());
    d2.connect().call("list", Value::Null);
}

#[test]
fn shutdown_graceful_removes_socket_and_writes_tombstone() {
    let mut d = Daemon::start();
    let mut c = d.connect();
    let rt = c.spawn(json!({"prompt": "hang"}));
    c.wait_status(&rt, |s| s["status"] == json!("running"));
    assert_eq!(
        c.call_err("shutdown", json!({"mode": "force"})),
        json!({"code": -32000, "message": "shutdown mode must be graceful or kill"})
    );
    assert_eq!(
        c.call("shutdown", json!({"mode": "graceful"})),
        json!({"shutting_down": true})
    );
    assert!(c.read_msg().is_none(), "connection closes after shutdown");
    assert!(d.wait_exit(Duration::from_secs(10)).success());
    assert!(!d.socket.exists());
    assert!(d.path("run/ctl.sock.control.lock").exists());
    let dead = std::fs::read_to_string(d.path("run/ctl.sock.dead")).unwrap();
    let prefix = format!("STOPPED reason=shutdown pid={} at=", d.pid());
    assert!(dead.starts_with(&prefix) && dead.ends_with("Z\n"), "{dead}");
    let sentinel = std::fs::read_to_string(
        d.path("avenor-stable")
            .read_dir()
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path()
            .join(&rt)
            .join("sentinel.env"),
    )
    .unwrap();
    assert!(sentinel.starts_with("KILLED\n"), "{sentinel}");
}

#[test]
fn sigint_and_idle_exit_cleanly() {
    let mut d = Daemon::start();
    d.connect().call("list", Value::Null);
    d.signal(libc::SIGINT);
    assert!(d.wait_exit(Duration::from_secs(10)).success());
    let dead = std::fs::read_to_string(d.path("run/ctl.sock.dead")).unwrap();
    assert!(dead.starts_with("STOPPED reason=signal "), "{dead}");
    assert!(!d.socket.exists());

    let mut d = Daemon::start_with(Opts {
        args: &["--idle-timeout", "300ms"],
        ..Opts::default()
    });
    assert!(d.wait_exit(Duration::from_secs(10)).success());
    let dead = std::fs::read_to_string(d.path("run/ctl.sock.dead")).unwrap();
    assert!(dead.starts_with("STOPPED reason=idle "), "{dead}");
}

#[test]
fn fault_injection_switches() {
    let mut d = Daemon::start_with(Opts {
        env: &[("AVENOR_SIM_FAIL_START", "7")],
        wait_ready: false,
        ..Opts::default()
    });
    assert_eq!(d.wait_exit(Duration::from_secs(10)).code(), Some(7));
    assert_eq!(d.stderr(), "avenor-sim: simulated start failure\n");
    assert!(!d.socket.exists());

    let mut d = Daemon::start_with(Opts {
        env: &[
            ("AVENOR_SIM_NO_READY_FD", "1"),
            ("AVENOR_SIM_STARTUP_DELAY_MS", "200"),
        ],
        wait_ready: false,
        ..Opts::default()
    });
    let started = std::time::Instant::now();
    let deadline = started + Duration::from_secs(10);
    while UnixStream::connect(&d.socket).is_err() {
        assert!(std::time::Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(d.read_ready(Duration::from_millis(100)), None);
}

#[test]
fn crash_daemon_leaves_socket_behind() {
    let mut d = Daemon::start();
    let mut c = d.connect();
    c.spawn(json!({"prompt": "say bye; crash-daemon 9"}));
    assert_eq!(d.wait_exit(Duration::from_secs(10)).code(), Some(9));
    assert!(d.socket.exists());
    assert!(!d.path("run/ctl.sock.dead").exists());
}
