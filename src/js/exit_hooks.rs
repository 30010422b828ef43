//! Process hooks that stop owned daemons when the host ends (core-spec §5.2 step
//! 4): on `exit`, and on `SIGINT`/`SIGTERM`. On a signal the daemons are stopped
//! first; the process then exits with `128 + n` only when ours is the signal's
//! only listener (Node's default). A host with its own listener decides when to
//! exit: calling `process.exit()` there would cut its handler short or skip it.
//! Registered from JS because Rust `Drop` and env cleanup hooks do not run on
//! `process.exit()`, and Tokio's signal handling must not be used in an addon.

use std::cell::Cell;
use std::time::Duration;

use napi::bindgen_prelude::*;

use crate::supervisor::live_daemons;

/// How long an exiting host waits for a daemon's graceful stop before SIGKILL.
const EXIT_GRACE: Duration = Duration::from_millis(1500);

/// `target.on(event, listener)` / `target.addEventListener(event, listener)`.
pub type AddListener<'env> =
    Function<'env, FnArgs<(&'static str, Function<'env, (), ()>)>, Unknown<'env>>;

thread_local! {
    static REGISTERED: Cell<bool> = const { Cell::new(false) };
}

/// Whether this is the process's main thread (a worker's `exit` is not the host's).
pub(crate) fn is_main_thread() -> bool {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: plain syscalls without arguments.
        unsafe { libc::getpid() == libc::gettid() }
    }
    #[cfg(target_os = "macos")]
    {
        unsafe { libc::pthread_main_np() == 1 }
    }
    #[cfg(not(any(target_os = "linux", target_os = "macos")))]
    {
        true
    }
}

/// Registers the hooks once per process, from the main JS thread.
pub fn ensure_registered(env: &Env) -> Result<()> {
    if REGISTERED.get() || !is_main_thread() {
        return Ok(());
    }
    let process: Object = env.get_global()?.get_named_property("process")?;
    let on: AddListener = process.get_named_property("on")?;
    let on_exit: Function<(), ()> =
        env.create_function_from_closure("avenorStopDaemonsOnExit", |_| {
            live_daemons::stop_all_blocking(EXIT_GRACE);
            Ok(())
        })?;
    on.apply(process, FnArgs::from(("exit", on_exit)))?;
    for signal in ["SIGINT", "SIGTERM"] {
        let code = if signal == "SIGINT" { 130 } else { 143 };
        let handler: Function<(), ()> =
            env.create_function_from_closure("avenorStopDaemonsOnSignal", move |ctx| {
                live_daemons::stop_all_blocking(EXIT_GRACE);
                let process: Object = ctx.env.get_global()?.get_named_property("process")?;
                let count: Function<&str, Unknown> = process.get_named_property("listenerCount")?;
                let listeners = count.apply(process, signal)?;
                // A runtime without a numeric count is treated as "only ours".
                let only_ours = listeners
                    .coerce_to_number()
                    .and_then(|n| n.get_double())
                    .map_or(true, |n| n <= 1.0);
                if only_ours {
                    let exit: Function<i32, Unknown> = process.get_named_property("exit")?;
                    exit.apply(process, code)?;
                }
                Ok(())
            })?;
        on.apply(process, FnArgs::from((signal, handler)))?;
    }
    REGISTERED.set(true);
    Ok(())
}
