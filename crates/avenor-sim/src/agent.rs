//! The simulated agent: executes one turn's directives (see `script.rs`) and publishes the
//! events an ACP backend would cause. It ends the turn's content; `lifecycle.rs` adds the
//! closing `agent.status done` / `session.end` and decides what happens next.

use std::time::Duration;

use serde_json::{json, Map, Value};
use tokio::sync::{oneshot, watch};
use tokio::time::Instant;

use crate::broker::{Outcome, SUPERVISOR};
use crate::permission::{self, Answer, FileOutcome, Pending, Resolver};
use crate::runtime::{Abort, Runtime};
use crate::script::{self, Directive};

/// How the turn's content ended.
pub enum TurnEnd {
    /// The backend answered the prompt with this stop reason.
    Stop(String),
    /// Cancelled, interrupted or timed out before the backend finished.
    Aborted(Abort),
    /// The turn failed without a stop reason (exit-1 semantics, `avenor.error`).
    Failed {
        source: &'static str,
        message: String,
    },
}

pub struct TurnResult {
    pub end: TurnEnd,
    pub final_output: String,
    pub usage: Option<Value>,
}

/// File-handler poll interval (§2.10).
const PERMISSION_POLL: Duration = Duration::from_millis(500);

struct Turn<'a> {
    rt: &'a Runtime,
    abort: watch::Receiver<Option<Abort>>,
    conns: watch::Receiver<usize>,
    text: String,
    usage: Option<Value>,
    thinking_shown: bool,
}

pub async fn run_turn(
    rt: &Runtime,
    conns: watch::Receiver<usize>,
    prompt: &str,
    abort: watch::Receiver<Option<Abort>>,
) -> TurnResult {
    let mut turn = Turn {
        rt,
        abort,
        conns,
        text: String::new(),
        usage: None,
        thinking_shown: false,
    };
    let end = turn.exec(script::parse(prompt)).await;
    rt.events.flush();
    TurnResult {
        end,
        final_output: turn.text,
        usage: turn.usage,
    }
}

/// Resolves when the turn must stop: an abort signal, or the runtime's timeout.
async fn wait_abort(abort: &mut watch::Receiver<Option<Abort>>, rt: &Runtime) -> Abort {
    let deadline = rt.timeout_deadline();
    let timer = async {
        match deadline {
            Some(d) => tokio::time::sleep_until(d).await,
            None => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        // Copy the value out inside the future so the (non-Send) watch guard never
        // lives across an await.
        got = async { abort.wait_for(Option::is_some).await.ok().map(|v| (*v).unwrap_or(Abort::Cancel)) } => {
            match got {
                Some(a) => a,
                // The sender lives as long as the runtime, so this cannot happen.
                None => std::future::pending::<Abort>().await,
            }
        }
        _ = timer => {
            rt.mark_timeout_fired();
            Abort::Timeout
        }
    }
}

fn text_content(text: &str) -> Value {
    json!({"type": "text", "text": text})
}

impl Turn<'_> {
    /// Non-blocking abort check used between directives and inside `chunks`.
    fn poll_abort(&self) -> Option<Abort> {
        if let Some(a) = *self.abort.borrow() {
            return Some(a);
        }
        match self.rt.timeout_deadline() {
            Some(d) if Instant::now() >= d => {
                self.rt.mark_timeout_fired();
                Some(Abort::Timeout)
            }
            _ => None,
        }
    }

    async fn exec(&mut self, script: Vec<Directive>) -> TurnEnd {
        for d in script {
            if let Some(a) = self.poll_abort() {
                return TurnEnd::Aborted(a);
            }
            if let Err(end) = self.step(d).await {
                return end;
            }
            self.rt.events.flush();
        }
        TurnEnd::Stop("end_turn".into())
    }

    async fn step(&mut self, d: Directive) -> Result<(), TurnEnd> {
        match d {
            Directive::Say(t) => self.chunk(t),
            Directive::Echo(p) => self.chunk(format!("echo: {p}")),
            Directive::Think(t) => {
                let mut f = Map::new();
                f.insert("content".into(), text_content(&t));
                f.insert("session_update".into(), "agent_thought_chunk".into());
                self.rt.emit("agent.thought_chunk", f);
                if !self.thinking_shown {
                    self.thinking_shown = true;
                    self.rt.set_phase("thinking", "");
                }
            }
            Directive::Chunks(n, text) => {
                for i in 1..=n {
                    if let Some(a) = self.poll_abort() {
                        return Err(TurnEnd::Aborted(a));
                    }
                    self.chunk(format!("{text} {i}"));
                    // Let subscriber writers and other runtimes run; no sleeping.
                    tokio::task::yield_now().await;
                }
            }
            Directive::Bytes(n) => self.chunk("x".repeat(n)),
            Directive::Tool(title) => self.tool(&title),
            Directive::Permission(tool) => self.permission(&tool).await?,
            Directive::Sleep(ms) => {
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(ms)) => {}
                    a = wait_abort(&mut self.abort, self.rt) => return Err(TurnEnd::Aborted(a)),
                }
            }
            Directive::Stop(reason) => return Err(TurnEnd::Stop(reason)),
            Directive::Hang => {
                let a = wait_abort(&mut self.abort, self.rt).await;
                return Err(TurnEnd::Aborted(a));
            }
            Directive::Exit(code) => {
                self.rt.state().pid = 0;
                return Err(TurnEnd::Failed {
                    source: "session",
                    message: format!("prompt: agent process exited: exit status {code}"),
                });
            }
            Directive::CrashDaemon(code) => {
                // Keep what a real daemon would already have written, then die at once.
                self.rt.events.flush();
                std::process::exit(code);
            }
            Directive::Usage(input, output) => {
                self.usage = Some(json!({
                    "input_tokens": input,
                    "output_tokens": output,
                    "total_tokens": input + output,
                }));
            }
            Directive::Ask(question) => self.ask(&question).await?,
            Directive::Answer(reply) => self.answer(&reply).await?,
            Directive::Invalid(message) => {
                let mut f = Map::new();
                f.insert("source".into(), "prompt".into());
                f.insert("message".into(), Value::from(message));
                self.rt.emit("avenor.error", f);
            }
        }
        Ok(())
    }

    /// One `agent.message_chunk`; its text joins the turn's final output.
    fn chunk(&mut self, text: String) {
        self.text.push_str(&text);
        let mut f = Map::new();
        f.insert("content".into(), text_content(&text));
        f.insert("session_update".into(), "agent_message_chunk".into());
        self.rt.emit("agent.message_chunk", f);
    }

    /// Asks the supervisor and says the reply (`(cancelled)` after broker_cancel).
    async fn ask(&mut self, question: &str) -> Result<(), TurnEnd> {
        let rt = self.rt;
        let (id, rx) = rt.broker.ask(&rt.id, SUPERVISOR, question, "agent");
        let outcome = tokio::select! {
            o = rx => o,
            a = wait_abort(&mut self.abort, rt) => {
                rt.broker.withdraw(&id);
                return Err(TurnEnd::Aborted(a));
            }
        };
        let said = match outcome {
            Ok(Outcome::Reply { message, .. }) => message,
            Ok(Outcome::Cancelled) | Err(_) => "(cancelled)".to_string(),
        };
        self.chunk(said);
        Ok(())
    }

    /// Waits for the oldest ask addressed to this runtime, says its question and
    /// answers it with `reply`.
    async fn answer(&mut self, reply: &str) -> Result<(), TurnEnd> {
        let rt = self.rt;
        let mut added = rt.broker.added();
        loop {
            added.borrow_and_update();
            if let Some(ask) = rt.broker.take_for(&rt.id) {
                let question = ask.message.clone();
                ask.answer(&rt.id, reply);
                self.chunk(question);
                return Ok(());
            }
            tokio::select! {
                _ = added.changed() => {}
                a = wait_abort(&mut self.abort, rt) => return Err(TurnEnd::Aborted(a)),
            }
        }
    }

    fn tool(&mut self, title: &str) {
        let id = format!("t{}", self.rt.next_tool_id());
        let mut f = Map::new();
        f.insert("toolCallId".into(), Value::from(id.as_str()));
        f.insert("title".into(), Value::from(title));
        f.insert("kind".into(), "other".into());
        f.insert("status".into(), "pending".into());
        f.insert("rawInput".into(), json!({}));
        f.insert("session_update".into(), "tool_call".into());
        self.rt.emit("tool.call", f);
        self.rt.set_phase("working", title);
        let mut f = Map::new();
        f.insert("toolCallId".into(), Value::from(id));
        f.insert("status".into(), "completed".into());
        f.insert("session_update".into(), "tool_call_update".into());
        self.rt.emit("tool.call_update", f);
    }

    async fn permission(&mut self, tool: &str) -> Result<(), TurnEnd> {
        let rt = self.rt;
        let tool_call_id = format!("t{}", rt.next_tool_id());
        let request_id = format!("perm_{}", rt.next_perm_id());
        let options = permission::default_options();
        // The resolver is decided once, now (§2.10).
        let resolver = if rt.info.auto_approve {
            Resolver::Automatic
        } else if *self.conns.borrow() > 0 {
            Resolver::Reserved
        } else {
            Resolver::File
        };
        let mut fields = Map::new();
        fields.insert("request_id".into(), Value::from(request_id.as_str()));
        fields.insert(
            "toolCall".into(),
            json!({"toolCallId": tool_call_id, "title": tool}),
        );
        fields.insert(
            "options".into(),
            Value::Array(options.iter().map(|o| o.to_json()).collect()),
        );
        fields.insert("resolver".into(), resolver.as_str().into());
        let answer = if resolver == Resolver::Automatic {
            rt.emit("permission.request", fields);
            Answer {
                option_id: options
                    .iter()
                    .find(|o| permission::normalize_kind(&o.kind) == Some("allow"))
                    .map(|o| o.option_id.clone())
                    .unwrap_or_default(),
                kind: "allow",
                message: None,
                source: "avenor",
            }
        } else {
            let (tx, rx) = oneshot::channel();
            let mut object = fields.clone();
            object.insert("cwd".into(), Value::from(rt.info.dir.as_str()));
            rt.state().pending = Some(Pending {
                request_id: request_id.clone(),
                options: options.clone(),
                resolver,
                object,
                tx: Some(tx),
            });
            rt.emit("permission.request", fields.clone());
            rt.set_phase("waiting", tool);
            rt.events.flush();
            let res = self
                .await_answer(rx, resolver, &request_id, tool, fields, &options)
                .await;
            {
                let mut st = rt.state();
                st.pending = None;
                st.resolved.insert(request_id.clone());
            }
            res?
        };
        let mut f = Map::new();
        f.insert("request_id".into(), Value::from(request_id));
        f.insert("option_id".into(), Value::from(answer.option_id.as_str()));
        f.insert("kind".into(), answer.kind.into());
        f.insert("source".into(), answer.source.into());
        if let Some(m) = &answer.message {
            f.insert("message".into(), Value::from(m.as_str()));
        }
        rt.emit("permission.response", f);
        rt.set_phase("working", tool);
        let reply = if answer.kind == "allow" {
            "permission granted"
        } else {
            "permission rejected"
        };
        self.chunk(reply.to_string());
        Ok(())
    }

    /// Waits per resolver; a reserved request falls back to the file handler when the
    /// last control connection goes away.
    async fn await_answer(
        &mut self,
        mut rx: oneshot::Receiver<Answer>,
        resolver: Resolver,
        request_id: &str,
        tool: &str,
        fields: Map<String, Value>,
        options: &[permission::PermOption],
    ) -> Result<Answer, TurnEnd> {
        let rt = self.rt;
        if resolver == Resolver::Reserved {
            let mut conns = self.conns.clone();
            tokio::select! {
                a = &mut rx => {
                    if let Ok(a) = a {
                        return Ok(a);
                    }
                }
                _ = conns.wait_for(|c| *c == 0) => {}
                a = wait_abort(&mut self.abort, rt) => return Err(TurnEnd::Aborted(a)),
            }
            let mut st = rt.state();
            if let Some(p) = st.pending.as_mut() {
                p.resolver = Resolver::File;
                p.object.insert("resolver".into(), "file".into());
            }
        }
        let request = json!({
            "request_id": request_id,
            "session_id": rt.info.session_id,
            "tool": tool,
            "question": "",
            "options": options
                .iter()
                .map(|o| json!({"optionId": o.option_id, "kind": o.kind}))
                .collect::<Vec<_>>(),
            "payload": Value::Object(fields),
        });
        let base = rt.info.perm_base.clone();
        let outcome = tokio::select! {
            o = permission::file_wait(&base, &request, options, PERMISSION_POLL) => o,
            a = wait_abort(&mut self.abort, rt) => {
                let mut req = base.into_os_string();
                req.push(".req");
                let _ = std::fs::remove_file(req);
                return Err(TurnEnd::Aborted(a));
            }
        };
        match outcome {
            FileOutcome::Answer(a) => Ok(a),
            FileOutcome::Cancelled => Err(TurnEnd::Aborted(Abort::Interrupt)),
            FileOutcome::TimedOut => Err(TurnEnd::Failed {
                source: "permission",
                message: format!("permission request {request_id:?} timed out"),
            }),
        }
    }
}
