//! The runtime's task (§3): run turns, write the sentinel after each, then park, run the
//! next queued prompt, retry, or end.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::sync::watch;

use crate::agent::{self, TurnEnd, TurnResult};
use crate::runtime::{Runtime, Stage, TurnSummary};
use crate::sentinel;

/// What the runtime does after a turn.
enum Next {
    Park,
    Run(String),
    Retry,
    End,
}

enum Wake {
    Prompt(String),
    Cancelled,
    TimedOut,
}

/// Backoff before retry `attempt` (1-based): 2 s, 4 s, 8 s, 16 s, then 30 s.
fn backoff(attempt: u32) -> Duration {
    Duration::from_secs(match attempt {
        1 => 2,
        2 => 4,
        3 => 8,
        4 => 16,
        _ => 30,
    })
}

pub fn start(
    rt: Arc<Runtime>,
    conns: watch::Receiver<usize>,
    parked_timeout: Duration,
    first_prompt: String,
) {
    tokio::spawn(run(rt, conns, parked_timeout, first_prompt));
}

async fn run(
    rt: Arc<Runtime>,
    conns: watch::Receiver<usize>,
    parked_timeout: Duration,
    first_prompt: String,
) {
    let mut prompt = first_prompt;
    let mut attempts = 0u32;
    loop {
        let Some(abort) = rt.begin_turn() else {
            end_quietly(&rt, None);
            return;
        };
        let res = agent::run_turn(&rt, conns.clone(), &prompt, abort).await;
        let (stop_reason, code) = match &res.end {
            TurnEnd::Stop(r) => (r.clone(), sentinel::exit_code_for(r)),
            TurnEnd::Aborted(a) => (a.stop_reason().to_string(), abort_code(*a)),
            TurnEnd::Failed { source, message } => {
                let mut f = Map::new();
                f.insert("source".into(), Value::from(*source));
                f.insert("message".into(), Value::from(message.as_str()));
                rt.emit("avenor.error", f);
                (String::new(), 1)
            }
        };
        let has_session_end = !matches!(res.end, TurnEnd::Failed { .. });
        if has_session_end {
            // The event goes out before `session.end`, as upstream sends it; the
            // state follows only once the turn is complete (below).
            rt.publish_phase("done", "");
        }
        let next = finish_turn(&rt, &res, code, &stop_reason, attempts);
        if has_session_end {
            let mut f = Map::new();
            f.insert("stop_reason".into(), Value::from(stop_reason.as_str()));
            if let Some(u) = &res.usage {
                f.insert("usage".into(), u.clone());
            }
            f.insert("final_output".into(), Value::from(res.final_output));
            rt.emit("session.end", f);
        }
        // Clients take `phase: "done"` to mean the turn is over, and read its
        // output, sentinel and `session.end` right away: all are in place now.
        {
            let mut st = rt.state();
            st.phase = if code == 0 {
                "done".into()
            } else {
                String::new()
            };
            st.phase_label.clear();
        }
        rt.events.flush();
        rt.turns.send_modify(|g| *g += 1);
        match next {
            Next::Run(p) => {
                prompt = p;
                attempts = 0;
            }
            Next::Retry => {
                attempts += 1;
                match wait_backoff(&rt, backoff(attempts)).await {
                    Some(p) => prompt = p.unwrap_or(prompt),
                    None => {
                        end_quietly(&rt, Some(code));
                        return;
                    }
                }
            }
            Next::End => {
                finalize(&rt);
                return;
            }
            Next::Park => match park(&rt, parked_timeout).await {
                Wake::Prompt(p) => {
                    prompt = p;
                    attempts = 0;
                }
                Wake::Cancelled => {
                    cancel_parked(&rt);
                    return;
                }
                Wake::TimedOut => {
                    end_quietly(&rt, None);
                    return;
                }
            },
        }
    }
}

fn abort_code(a: crate::runtime::Abort) -> i32 {
    sentinel::exit_code_for(a.stop_reason())
}

/// Decides the next step and commits the turn's results (sentinel first, so a client
/// that sees the new state or `session.end` already finds the new sentinel).
fn finish_turn(
    rt: &Runtime,
    res: &TurnResult,
    code: i32,
    stop_reason: &str,
    attempts: u32,
) -> Next {
    let mut st = rt.state();
    let next = if st.cancelled {
        Next::End
    } else if let Some(p) = st.queue.pop_front() {
        Next::Run(p)
    } else if code == 0 {
        Next::Park
    } else if code == 1 && attempts < rt.info.max_retries {
        Next::Retry
    } else {
        Next::End
    };
    // Intermediate retried attempts leave the sentinel alone (§4.1).
    if !matches!(next, Next::Retry) {
        sentinel::write(
            std::path::Path::new(&rt.info.sentinel_file),
            code,
            &rt.info.session_id,
            stop_reason,
            &rt.run_id,
        );
    }
    if !res.final_output.is_empty() {
        st.final_output = res.final_output.clone();
    }
    st.last_turn = TurnSummary {
        stop_reason: if stop_reason.is_empty() {
            sentinel::default_stop_reason(code)
        } else {
            stop_reason.to_string()
        },
        final_output: res.final_output.clone(),
    };
    let generation = *rt.turns.borrow() + 1;
    let summary = Arc::new(st.last_turn.clone());
    if st.turn_log.len() == 8 {
        st.turn_log.pop_front();
    }
    st.turn_log.push_back((generation, summary));
    if let Some(u) = &res.usage {
        st.usage = Some(u.clone());
    }
    st.stage = match next {
        Next::Park => Stage::Parked,
        Next::End => {
            st.exit_code = code;
            st.pid = 0;
            Stage::Ended
        }
        _ => Stage::Between,
    };
    next
}

/// Parked after a successful turn: wait for a prompt, a cancel, or `--parked-timeout`.
async fn park(rt: &Runtime, parked_timeout: Duration) -> Wake {
    let deadline = tokio::time::Instant::now() + parked_timeout;
    loop {
        {
            let mut st = rt.state();
            if st.cancelled {
                return Wake::Cancelled;
            }
            if let Some(p) = st.queue.pop_front() {
                st.stage = Stage::Between;
                return Wake::Prompt(p);
            }
        }
        if parked_timeout.is_zero() {
            rt.wake.notified().await;
        } else {
            tokio::select! {
                _ = rt.wake.notified() => {}
                _ = tokio::time::sleep_until(deadline) => return Wake::TimedOut,
            }
        }
    }
}

/// Retry backoff; `None` if cancelled meanwhile, `Some(Some(p))` if a queued prompt
/// replaces the retried one.
async fn wait_backoff(rt: &Runtime, d: Duration) -> Option<Option<String>> {
    let deadline = tokio::time::Instant::now() + d;
    loop {
        if rt.state().cancelled {
            return None;
        }
        tokio::select! {
            _ = rt.wake.notified() => {}
            _ = tokio::time::sleep_until(deadline) => break,
        }
    }
    let mut st = rt.state();
    if st.cancelled {
        return None;
    }
    Some(st.queue.pop_front())
}

/// Cancel of a parked runtime: sentinel `KILLED`, a socket-only `session.end`, and the
/// runtime's `exit_code` stays 0 (§3.2).
fn cancel_parked(rt: &Runtime) {
    {
        let mut st = rt.state();
        sentinel::write(
            std::path::Path::new(&rt.info.sentinel_file),
            130,
            &rt.info.session_id,
            "cancelled",
            &rt.run_id,
        );
        st.stage = Stage::Ended;
        st.pid = 0;
    }
    let mut f = Map::new();
    f.insert("stop_reason".into(), "cancelled".into());
    f.insert("exit_code".into(), 130.into());
    rt.emit_socket_only("session.end", f);
    finalize(rt);
}

/// Ends without writing a sentinel (cancelled before a turn or during backoff, parked
/// timeout).
fn end_quietly(rt: &Runtime, code: Option<i32>) {
    {
        let mut st = rt.state();
        st.stage = Stage::Ended;
        st.pid = 0;
        if let Some(c) = code {
            st.exit_code = c;
        }
    }
    finalize(rt);
}

fn finalize(rt: &Runtime) {
    rt.events.close_file();
    rt.ended.send_replace(true);
}
