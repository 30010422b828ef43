//! One runtime `rt_<n>`: its fixed identity, mutable state, the list/status entry (§2.4)
//! and the control operations clients perform on it (prompt, interrupt, cancel, answer).

use std::collections::{HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{json, Map, Value};
use tokio::sync::{watch, Notify};
use tokio::time::Instant;

use crate::broker::Broker;
use crate::events::{EventLog, PREVIEW_CODE_POINTS};
use crate::permission::{self, Answer, Pending, Resolver};
use crate::rpc::RpcError;
use crate::subscription::Hub;
use crate::util::{self, lock};

/// Spawn-time identity; never changes afterwards.
pub struct RuntimeInfo {
    pub label: String,
    pub agent: String,
    pub agent_profile: String,
    pub model: String,
    pub thinking: String,
    pub backend: String,
    pub dir: String,
    pub on_event: String,
    pub sentinel_file: String,
    pub perm_base: PathBuf,
    pub parent_id: String,
    pub auto_approve: bool,
    pub max_retries: u32,
    pub session_id: String,
    pub started_at: u64,
}

/// Internal lifecycle stage (§3.1); `status` is derived from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Starting,
    Running,
    Between,
    Parked,
    Ended,
}

/// Why the running turn must stop early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Abort {
    /// `cancel`, shutdown, idle exit: the whole runtime stops.
    Cancel,
    /// `interrupt_and_prompt`: the turn stops, the runtime goes on.
    Interrupt,
    /// The spawn `timeout` fired during the turn.
    Timeout,
}

impl Abort {
    pub fn stop_reason(self) -> &'static str {
        match self {
            Abort::Cancel | Abort::Interrupt => "cancelled",
            Abort::Timeout => "timeout",
        }
    }
}

/// What `wait_turn` reports about the latest finished turn.
#[derive(Clone, Default)]
pub struct TurnSummary {
    pub stop_reason: String,
    pub final_output: String,
}

pub struct RtState {
    pub stage: Stage,
    pub phase: String,
    pub phase_label: String,
    pub exit_code: i32,
    pub cancelled: bool,
    pub queue: VecDeque<String>,
    pub pending: Option<Pending>,
    pub resolved: HashSet<String>,
    pub usage: Option<Value>,
    /// Full text of the latest turn that produced a non-empty one (`result`).
    pub final_output: String,
    pub last_turn: TurnSummary,
    /// Recent finished turns by generation, so `wait_turn` reports the turn it waited
    /// for even when a queued turn finishes right after it.
    pub turn_log: VecDeque<(u64, Arc<TurnSummary>)>,
    pub children: Vec<String>,
    pub pid: u32,
    pub prompt_request_ids: HashSet<String>,
}

impl RtState {
    /// False while the runtime still waits for its very first turn.
    fn past_first_turn(&self) -> bool {
        self.stage != Stage::Starting
    }
}

pub struct Runtime {
    pub n: u64,
    pub id: String,
    pub run_id: Arc<str>,
    pub info: RuntimeInfo,
    pub events: EventLog,
    pub hub: Arc<Hub>,
    /// Where the agent's `ask`/`answer` directives meet the control plane.
    pub broker: Arc<Broker>,
    st: Mutex<RtState>,
    /// Wakes the lifecycle task when parked or backing off (prompt queued, cancel).
    pub wake: Notify,
    abort: watch::Sender<Option<Abort>>,
    /// Bumped after every finished turn; `wait_turn` waits for the next bump.
    pub turns: watch::Sender<u64>,
    pub ended: watch::Sender<bool>,
    /// The spawn `timeout`: one deadline for the runtime's whole life, fires once.
    deadline: Option<Instant>,
    timeout_fired: AtomicBool,
    tool_ids: AtomicU64,
    perm_ids: AtomicU64,
}

impl Runtime {
    pub fn new(
        n: u64,
        run_id: Arc<str>,
        info: RuntimeInfo,
        events: EventLog,
        hub: Arc<Hub>,
        broker: Arc<Broker>,
        timeout: Option<std::time::Duration>,
    ) -> Runtime {
        Runtime {
            n,
            id: format!("rt_{n}"),
            run_id,
            info,
            events,
            hub,
            broker,
            st: Mutex::new(RtState {
                stage: Stage::Starting,
                phase: String::new(),
                phase_label: String::new(),
                exit_code: 0,
                cancelled: false,
                queue: VecDeque::new(),
                pending: None,
                resolved: HashSet::new(),
                usage: None,
                final_output: String::new(),
                last_turn: TurnSummary::default(),
                turn_log: VecDeque::new(),
                children: Vec::new(),
                pid: std::process::id(),
                prompt_request_ids: HashSet::new(),
            }),
            wake: Notify::new(),
            abort: watch::channel(None).0,
            turns: watch::channel(0).0,
            ended: watch::channel(false).0,
            deadline: timeout.map(|d| Instant::now() + d),
            timeout_fired: AtomicBool::new(false),
            tool_ids: AtomicU64::new(0),
            perm_ids: AtomicU64::new(0),
        }
    }

    pub fn state(&self) -> std::sync::MutexGuard<'_, RtState> {
        lock(&self.st)
    }

    /// Publishes an event to the file and the socket.
    pub fn emit(&self, event: &str, fields: Map<String, Value>) {
        self.events.publish(&self.hub, event, fields, true);
    }

    /// Publishes a socket-only event (the parked-cancel `session.end`).
    pub fn emit_socket_only(&self, event: &str, fields: Map<String, Value>) {
        self.events.publish(&self.hub, event, fields, false);
    }

    /// Sets the phase and publishes the matching `agent.status`.
    pub fn set_phase(&self, phase: &str, label: &str) {
        {
            let mut st = self.state();
            st.phase = phase.to_string();
            st.phase_label = label.to_string();
        }
        self.publish_phase(phase, label);
    }

    /// The `agent.status` event alone, for a phase the state takes on later.
    pub fn publish_phase(&self, phase: &str, label: &str) {
        let mut f = Map::new();
        f.insert("phase".into(), Value::from(phase));
        f.insert("source".into(), Value::from("avenor"));
        if !label.is_empty() {
            f.insert("label".into(), Value::from(label));
        }
        self.emit("agent.status", f);
    }

    pub fn next_tool_id(&self) -> u64 {
        self.tool_ids.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub fn next_perm_id(&self) -> u64 {
        self.perm_ids.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Deadline of the spawn timeout, unless it already fired.
    pub fn timeout_deadline(&self) -> Option<Instant> {
        if self.timeout_fired.load(Ordering::Relaxed) {
            None
        } else {
            self.deadline
        }
    }

    pub fn mark_timeout_fired(&self) {
        self.timeout_fired.store(true, Ordering::Relaxed);
    }

    /// Starts a turn unless the runtime was cancelled; returns the abort receiver.
    pub fn begin_turn(&self) -> Option<watch::Receiver<Option<Abort>>> {
        let mut st = self.state();
        // A cancel before the first turn began still lets that turn start (and end
        // `cancelled` at once), so the client gets a session.end and a KILLED sentinel.
        if st.cancelled && st.past_first_turn() {
            return None;
        }
        st.phase.clear();
        st.phase_label.clear();
        st.pid = std::process::id();
        // An interrupt that arrived before the first turn began still applies to it.
        if st.past_first_turn() {
            self.abort.send_replace(None);
        }
        st.stage = Stage::Running;
        Some(self.abort.subscribe())
    }

    /// Counts toward `--max-runtimes`: neither parked nor ended.
    pub fn is_active(&self) -> bool {
        !matches!(self.state().stage, Stage::Parked | Stage::Ended)
    }

    pub fn status_word(stage: Stage) -> &'static str {
        match stage {
            Stage::Ended => "ended",
            Stage::Running => "running",
            _ => "idle",
        }
    }

    /// `cancel`: drop the queue, stop the running turn, wake a parked runtime.
    pub fn cancel(&self) {
        {
            let mut st = self.state();
            if st.stage == Stage::Ended {
                return;
            }
            st.cancelled = true;
            st.queue.clear();
            if matches!(st.stage, Stage::Running | Stage::Starting) {
                self.abort.send_replace(Some(Abort::Cancel));
            }
        }
        self.wake.notify_one();
    }

    /// `prompt`: queue text; a parked runtime wakes at once.
    pub fn enqueue(&self, text: &str, request_id: Option<&str>) -> Result<(), RpcError> {
        {
            let mut st = self.state();
            if st.stage == Stage::Ended || st.cancelled {
                return Err(RpcError::handler(format!(
                    "runtime {:?} has ended",
                    self.id
                )));
            }
            if let Some(r) = request_id.filter(|r| !r.is_empty()) {
                // A repeated request_id is accepted and ignored (child.question answers).
                if !st.prompt_request_ids.insert(r.to_string()) {
                    return Ok(());
                }
            }
            st.queue.push_back(text.to_string());
        }
        self.wake.notify_one();
        Ok(())
    }

    /// `interrupt_and_prompt`: text goes to the front, the running turn is cancelled.
    pub fn interrupt(&self, text: &str, keep_queue: bool) -> Result<(), RpcError> {
        {
            let mut st = self.state();
            if st.stage == Stage::Ended || st.cancelled {
                return Err(RpcError::handler(format!(
                    "runtime {:?} has ended",
                    self.id
                )));
            }
            if !keep_queue {
                st.queue.clear();
            }
            st.queue.push_front(text.to_string());
            if matches!(st.stage, Stage::Running | Stage::Starting) {
                self.abort.send_replace(Some(Abort::Interrupt));
            }
        }
        self.wake.notify_one();
        Ok(())
    }

    /// `answer_permission` for this runtime (§2.10 error texts).
    pub fn answer_permission(
        &self,
        request_id: &str,
        option_id: &str,
        message: Option<String>,
    ) -> Result<(), RpcError> {
        let rt = &self.id;
        let mut st = self.state();
        let resolved = st.resolved.contains(request_id);
        let pending = match st.pending.as_mut() {
            Some(p) if p.request_id == request_id => p,
            // Re-answering a settled request is success (idempotent).
            _ if resolved => return Ok(()),
            _ => {
                return Err(RpcError::handler(format!(
                    "permission request {request_id:?} not found for runtime {rt:?}"
                )))
            }
        };
        let Some(opt) = pending.options.iter().find(|o| o.option_id == option_id) else {
            return Err(RpcError::handler(format!(
                "unknown option_id {option_id:?} for request {request_id:?} on runtime {rt:?}"
            )));
        };
        let Some(kind) = permission::normalize_kind(&opt.kind) else {
            return Err(RpcError::handler(format!(
                "unsupported option kind {:?} for option_id {option_id:?} on request {request_id:?}",
                opt.kind
            )));
        };
        if pending.resolver != Resolver::Reserved {
            return Err(RpcError::handler(format!(
                "permission request {request_id:?} for runtime {rt:?} is owned by another resolver"
            )));
        }
        let Some(tx) = pending.tx.take() else {
            return Err(RpcError::handler(format!(
                "permission request {request_id:?} for runtime {rt:?} already has an answer pending delivery"
            )));
        };
        let answer = Answer {
            option_id: opt.option_id.clone(),
            kind,
            message,
            source: "control",
        };
        tx.send(answer).map_err(|_| {
            RpcError::handler(format!(
                "runtime {rt:?} has no active permission provider or is closing"
            ))
        })
    }

    /// The `list` entry / `status` result.
    pub fn entry(&self) -> Value {
        let latest_seq = self.events.latest_seq();
        let st = self.state();
        let i = &self.info;
        let mut m = Map::new();
        let s = |v: &str| Value::from(v);
        m.insert("runtime_id".into(), s(&self.id));
        m.insert("session_id".into(), s(&i.session_id));
        m.insert("run_id".into(), s(&self.run_id));
        m.insert("label".into(), s(&i.label));
        m.insert("agent".into(), s(&i.agent));
        m.insert("agent_profile".into(), s(&i.agent_profile));
        m.insert("model".into(), s(&i.model));
        m.insert("thinking".into(), s(&i.thinking));
        m.insert("backend".into(), s(&i.backend));
        m.insert("roster_file".into(), s(""));
        m.insert("roster_entry".into(), s(""));
        m.insert("effective_agent".into(), s(&i.agent));
        m.insert("effective_model".into(), s(&i.model));
        m.insert("effective_backend".into(), s(&i.backend));
        m.insert("dir".into(), s(&i.dir));
        m.insert("status".into(), s(Self::status_word(st.stage)));
        m.insert("started_at".into(), Value::from(i.started_at));
        m.insert("exit_code".into(), Value::from(st.exit_code));
        m.insert("on_event".into(), s(&i.on_event));
        m.insert("event_path".into(), s(&i.on_event));
        m.insert("sentinel_file".into(), s(&i.sentinel_file));
        m.insert("parent_id".into(), s(&i.parent_id));
        // Go's nil slice marshals as null, not [].
        m.insert(
            "children".into(),
            if st.children.is_empty() {
                Value::Null
            } else {
                json!(st.children)
            },
        );
        m.insert("pid".into(), Value::from(st.pid));
        m.insert("phase".into(), s(&st.phase));
        m.insert("phase_label".into(), s(&st.phase_label));
        m.insert(
            "pending_permission".into(),
            Value::Bool(st.pending.is_some()),
        );
        m.insert("latest_seq".into(), Value::from(latest_seq));
        m.insert("auto_approve".into(), Value::Bool(i.auto_approve));
        if let Some(p) = &st.pending {
            m.insert("permission".into(), Value::Object(p.object.clone()));
        }
        if let Some(u) = &st.usage {
            m.insert("usage".into(), u.clone());
        }
        if !st.final_output.is_empty() {
            let (head, cut) = util::preview(&st.final_output, PREVIEW_CODE_POINTS);
            m.insert("final_output".into(), s(head));
            if cut {
                m.insert("final_output_truncated".into(), Value::Bool(true));
            }
        }
        Value::Object(m)
    }
}
