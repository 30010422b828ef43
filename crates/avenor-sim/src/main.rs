//! avenor-sim: a simulated `avenor stable` daemon for tests, benchmarks and demos.
//! See README.md for flags, environment switches and the scripted-agent directives.
//!
//! Module layers, top to bottom. A module names only its own layer or lower ones, and
//! never its caller, so each layer can be read without the ones above it
//! (`tests/layers.rs` enforces this; give a new module a layer there):
//!
//! 1. accept: `server` (accept loop, idle timer)
//! 2. connection: `conn` (framing, dispatch mode, disconnect)
//! 3. dispatch: `methods` (the method-name table)
//! 4. handlers: `query_methods`, `control_methods`, `event_methods`,
//!    `supervisor_methods`, `broker_methods`, `workflow_methods`, `spawn`
//! 5. state: `sup` (supervisor-wide), `conn_state` (what handlers see of a connection)
//! 6. domain: `lifecycle`, `agent`, `runtime`, `broker`, `workflow`, `permission`,
//!    `events`, `subscription`, `published`, `script`, `sentinel`
//! 7. base: `rpc`, `params`, `util`, `writer`, `cli`, `startup`, `sigint`

mod agent;
mod broker;
mod broker_methods;
mod cli;
mod conn;
mod conn_state;
mod control_methods;
mod event_methods;
mod events;
mod lifecycle;
mod methods;
mod params;
mod permission;
mod published;
mod query_methods;
mod rpc;
mod runtime;
mod script;
mod sentinel;
mod server;
mod sigint;
mod spawn;
mod startup;
mod subscription;
mod sup;
mod supervisor_methods;
mod util;
mod workflow;
mod workflow_methods;
mod writer;

use std::sync::Arc;
use std::time::Duration;

fn main() {
    if let Err(e) = sigint::block() {
        eprintln!("avenor stable: block SIGINT: {e}");
        std::process::exit(1);
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let env_dispatch = std::env::var("AVENOR_SIM_DISPATCH").ok();
    let cfg = match cli::parse(&args, env_dispatch.as_deref()) {
        Ok(c) => c,
        Err(cli::CliError::Usage(msg)) => {
            if !msg.is_empty() {
                eprintln!("{msg}");
            }
            eprint!("{}", cli::USAGE);
            std::process::exit(1);
        }
        Err(cli::CliError::Message(msg)) => {
            eprintln!("{msg}");
            std::process::exit(1);
        }
    };

    // Read and scrub the launcher variables before any thread exists (set/remove_var is
    // only sound while single-threaded), so agents never inherit them.
    let ready_fd = std::env::var("AVENOR_CONTROL_READY_FD")
        .ok()
        .and_then(|v| v.trim().parse::<i32>().ok());
    let identity = std::env::var("AVENOR_CONTROL_IDENTITY_TOKEN").unwrap_or_default();
    std::env::remove_var("AVENOR_CONTROL_READY_FD");
    std::env::remove_var("AVENOR_CONTROL_IDENTITY_TOKEN");

    if let Some(code) = std::env::var("AVENOR_SIM_FAIL_START")
        .ok()
        .and_then(|v| v.trim().parse::<i32>().ok())
    {
        eprintln!("avenor-sim: simulated start failure");
        std::process::exit(code);
    }

    let socket = cfg.control_socket.clone();
    let _lock = match startup::prepare(&socket) {
        Ok(l) => l,
        Err(msg) => {
            eprintln!("{msg}");
            std::process::exit(1);
        }
    };
    if let Some(ms) = std::env::var("AVENOR_SIM_STARTUP_DELAY_MS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        std::thread::sleep(Duration::from_millis(ms));
    }
    let (std_listener, ino) = match startup::bind(&socket) {
        Ok(x) => x,
        Err(msg) => {
            eprintln!("avenor stable: {msg}");
            startup::write_tombstone(&socket, "start_failed");
            std::process::exit(1);
        }
    };
    let no_ready = std::env::var("AVENOR_SIM_NO_READY_FD").is_ok_and(|v| v == "1");

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("avenor stable: start runtime: {e}");
            std::process::exit(1);
        }
    };
    let reason = runtime.block_on(async move {
        if let Err(e) = std_listener.set_nonblocking(true) {
            eprintln!("avenor stable: listen control socket: {e}");
            std::process::exit(1);
        }
        let listener = match tokio::net::UnixListener::from_std(std_listener) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("avenor stable: listen control socket: {e}");
                std::process::exit(1);
            }
        };
        // SIGINT is blocked from the start of main, so one sent right after the
        // ready byte stays pending until this waiter takes it: a clean shutdown.
        let sigint = sigint::received();
        if let (Some(fd), false) = (ready_fd, no_ready) {
            startup::signal_ready(fd);
        }
        let (exit_tx, mut exit_rx) = tokio::sync::mpsc::unbounded_channel();
        let sup = Arc::new(sup::Sup::new(cfg, identity, exit_tx));
        tokio::spawn(server::accept_loop(listener, sup.clone()));
        let reason = tokio::select! {
            r = exit_rx.recv() => r.unwrap_or("shutdown"),
            _ = sigint => {
                sup.shutdown(false).await;
                "signal"
            }
            _ = server::idle_timer(sup.clone()) => {
                sup.shutdown(false).await;
                "idle"
            }
        };
        sup.flush_all();
        reason
    });
    startup::teardown(&socket, ino, reason);
    // Exit without waiting for connection tasks: the process end closes every socket.
    std::process::exit(0);
}
