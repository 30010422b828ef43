//! The accept loop and the idle timer: the top of the daemon under `main`. Each accepted
//! stream is handed to `conn`; the supervisor state itself lives in `sup`.

use std::sync::Arc;

use tokio::net::UnixListener;

use crate::conn;
use crate::sup::Sup;

pub async fn accept_loop(listener: UnixListener, sup: Arc<Sup>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(conn::serve(stream, sup.clone()));
            }
            Err(e) => {
                // EMFILE and friends: report, back off briefly, keep serving.
                eprintln!("avenor stable: accept: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    }
}

/// Resolves when the idle timeout fires (§5.2): N after start if nothing was ever
/// spawned; a spawn re-evaluates the deadline only at that moment.
pub async fn idle_timer(sup: Arc<Sup>) {
    let n = sup.cfg.idle_timeout;
    if n.is_zero() {
        return std::future::pending().await;
    }
    let mut deadline = Some(tokio::time::Instant::now() + n);
    loop {
        match deadline {
            Some(d) => {
                tokio::select! {
                    _ = tokio::time::sleep_until(d) => {
                        if sup.active_count() == 0 {
                            return;
                        }
                        deadline = None;
                        continue;
                    }
                    _ = sup.spawned.notified() => {}
                }
            }
            None => sup.spawned.notified().await,
        }
        deadline = if sup.active_count() > 0 {
            None
        } else {
            Some(tokio::time::Instant::now() + n)
        };
    }
}
