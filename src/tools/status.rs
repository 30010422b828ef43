//! `statusTool(args)` [LATE] (core-spec §8.4): one `StatusResult` for a run id,
//! else an array for every runtime the daemon lists.

use std::path::Path;

use serde_json::{Map, Value};

use super::args::{string, supervisor_id, text, Args};
use super::resolve::{find_list_entry, list_entries, live_status};
use super::supervisor_client::{get_supervisor_client, SupervisorClient};
use crate::client::ControlClient;
use crate::error::CoreResult;
use crate::policy::validate::validate_run_id;
use crate::runs::external::{find_external_run, list_external_runs};
use crate::runs::lost::{self, LostRun};
use crate::runs::paths::run_paths;
use crate::runs::sentinel::read_sentinel;
use crate::runs::RunInfo;
use crate::status::{build_status, retain_live_identity, shape_status_result, StatusFallback};

/// Where a run is remembered: the singleton's registry or the external one.
enum Registry<'a> {
    Local(&'a crate::supervisor::Supervisor),
    External(&'a str),
}

impl Registry<'_> {
    fn find(&self, reference: &str) -> Option<RunInfo> {
        match self {
            Registry::Local(sup) => sup
                .runs
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .find(reference)
                .cloned(),
            Registry::External(id) => find_external_run(id, reference),
        }
    }

    /// The run an entry of `list` belongs to: by runtime id, then id, then label.
    fn find_for_entry(&self, entry: &Map<String, Value>) -> Option<RunInfo> {
        let s = |k: &str| {
            entry
                .get(k)
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty())
        };
        if let Some(rt) = s("runtime_id") {
            let by_rt = match self {
                Registry::Local(sup) => sup
                    .runs
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .find_by_runtime_id(rt)
                    .cloned(),
                Registry::External(id) => list_external_runs(id)
                    .into_iter()
                    .find(|r| r.runtime_id.as_deref() == Some(rt)),
            };
            if by_rt.is_some() {
                return by_rt;
            }
        }
        [s("id"), s("run_id"), s("label")]
            .into_iter()
            .flatten()
            .find_map(|r| self.find(r))
    }

    /// Keeps the registry's copy in step with the daemon's identity.
    fn update(&self, info: &RunInfo, live: &Map<String, Value>) {
        if let Registry::Local(sup) = self {
            if let Some(stored) = sup
                .runs
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .find_mut(&info.run_id)
            {
                retain_live_identity(stored, live);
            }
        }
    }
}

/// Whether a live status says the last turn has ended.
fn turn_is_over(live: &Map<String, Value>) -> bool {
    let word = |k: &str| {
        live.get(k)
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
    };
    matches!(
        word("phase").as_deref(),
        Some("done" | "failed" | "timeout" | "killed" | "blocked")
    ) || word("status").as_deref() == Some("ended")
}

/// A tracked run: live status by its runtime id, its sentinel, its public id.
async fn tracked(
    client: &ControlClient,
    registry: &Registry<'_>,
    info: &RunInfo,
    run_id: &str,
    live: Option<Map<String, Value>>,
) -> Map<String, Value> {
    let started = TrackedStatus::start(client, info, live);
    started.finish(registry, run_id).await
}

/// A tracked run's status, begun: its sentinel read and its live status asked
/// for (or given), so the status of many runs can be in flight at once.
struct TrackedStatus {
    info: RunInfo,
    sentinel: Option<crate::runs::sentinel::Sentinel>,
    live: LiveStatus,
}

enum LiveStatus {
    Given(Option<Map<String, Value>>),
    Asked(Option<crate::client::PendingCall>),
}

impl TrackedStatus {
    fn start(client: &ControlClient, info: &RunInfo, live: Option<Map<String, Value>>) -> Self {
        // The sentinel before the live status: a turn that ends between the two
        // reads then shows as still running, rather than as done without the
        // output that only the live status carries. When the live status says
        // the turn is over, the sentinel is read again: it is written before that.
        let sentinel = read_sentinel(Path::new(&info.sentinel_path));
        let live = match (live, &info.runtime_id) {
            (Some(l), _) => LiveStatus::Given(Some(l)),
            (None, Some(rt)) => LiveStatus::Asked(
                client
                    .start_call("status", Some(&serde_json::json!({ "runtime_id": rt })))
                    .ok(),
            ),
            (None, None) => LiveStatus::Given(None),
        };
        TrackedStatus {
            info: info.clone(),
            sentinel,
            live,
        }
    }

    async fn finish(self, registry: &Registry<'_>, run_id: &str) -> Map<String, Value> {
        let TrackedStatus {
            info,
            sentinel,
            live,
        } = self;
        let live = match live {
            LiveStatus::Given(l) => l,
            LiveStatus::Asked(None) => None,
            LiveStatus::Asked(Some(call)) => live_of(call.finish().await.ok().flatten()),
        };
        complete(&info, sentinel, live, registry, run_id)
    }
}

/// A `status` reply as a tracked run's live status: an object, else none.
fn live_of(result: Option<Value>) -> Option<Map<String, Value>> {
    match result {
        Some(Value::Object(m)) => Some(m),
        _ => None,
    }
}

/// What follows a tracked run's live status: the sentinel read again when the
/// turn is over, the status built, the registry kept in step.
fn complete(
    info: &RunInfo,
    mut sentinel: Option<crate::runs::sentinel::Sentinel>,
    live: Option<Map<String, Value>>,
    registry: &Registry<'_>,
    run_id: &str,
) -> Map<String, Value> {
    if live.as_ref().is_some_and(turn_is_over) {
        sentinel = read_sentinel(Path::new(&info.sentinel_path)).or(sentinel);
    }
    let result = build_status(
        live.as_ref(),
        sentinel.as_ref(),
        &StatusFallback {
            run_id: run_id.to_string(),
            prefer_fallback_run_id: true,
            label: info.label.clone(),
            runtime_id: info.runtime_id.clone(),
            run_info: Some(info),
        },
    );
    if let Some(live) = &live {
        registry.update(info, live);
    }
    result
}

/// `statusTool({ runId })` for a run the running singleton tracks, in two
/// steps around its one `status` request, for a caller that makes the request
/// itself on the host's loop (`js::status_on_host_loop`): `begin_tracked`
/// does what precedes the request and `TrackedCall::end` what follows the
/// reply, exactly as `status_tool` does them. `None` when the call takes
/// `status_tool`'s path: an explicit supervisor, no singleton ready (it may
/// have to start), a lost run, a run the singleton does not track or that has
/// no runtime id, a view that does not exist (`status_tool` rejects it).
pub struct TrackedCall {
    sup: std::sync::Arc<crate::supervisor::Supervisor>,
    info: RunInfo,
    sentinel: Option<crate::runs::sentinel::Sentinel>,
    view: Option<String>,
}

/// The request a `TrackedCall` waits for, and where to send it.
pub struct TrackedRequest {
    /// The singleton's control socket.
    pub socket: String,
    /// The singleton instance (a replaced one has another).
    pub supervisor_serial: u64,
    pub params: Value,
}

pub fn begin_tracked(args: &Args) -> Option<(TrackedCall, TrackedRequest)> {
    let run_id = string(args, "runId").filter(|s| !s.is_empty())?;
    if supervisor_id(args).is_some() {
        return None;
    }
    let view = text(args, "view");
    shape_status_result(Map::new(), view.as_deref()).ok()?;
    if lost_run(&run_id).is_some() {
        return None;
    }
    let sup = crate::supervisor::singleton::ready()?;
    let info = Registry::Local(&sup).find(&run_id)?;
    let runtime_id = info.runtime_id.clone()?;
    // The sentinel before the live status, as `TrackedStatus::start` reads it.
    let sentinel = read_sentinel(Path::new(&info.sentinel_path));
    let request = TrackedRequest {
        socket: sup.supervisor_id().to_string(),
        supervisor_serial: sup.serial(),
        params: serde_json::json!({ "runtime_id": runtime_id }),
    };
    let call = TrackedCall {
        sup,
        info,
        sentinel,
        view,
    };
    Some((call, request))
}

impl TrackedCall {
    /// The status result, from the `status` reply (`None`: the request
    /// failed, which the full path answers without a live status too).
    pub fn end(self, reply: Option<Value>) -> CoreResult<Value> {
        let registry = Registry::Local(&self.sup);
        let one = complete(
            &self.info,
            self.sentinel,
            live_of(reply),
            &registry,
            &self.info.run_id,
        );
        Ok(Value::Object(shape_status_result(
            one,
            self.view.as_deref(),
        )?))
    }
}

/// A run whose daemon died under it: what its sentinel says if the turn had
/// finished, else `failed` with the cause in `error` (our addition to the shape).
fn lost_status(lost: &LostRun) -> Map<String, Value> {
    let info = &lost.info;
    let sentinel = read_sentinel(Path::new(&info.sentinel_path));
    let mut result = build_status(
        None,
        sentinel.as_ref(),
        &StatusFallback {
            run_id: info.run_id.clone(),
            prefer_fallback_run_id: true,
            label: info.label.clone(),
            runtime_id: info.runtime_id.clone(),
            run_info: Some(info),
        },
    );
    if matches!(
        result.get("status").and_then(Value::as_str),
        Some("running" | "waiting")
    ) {
        result.insert("status".into(), Value::from("failed"));
        result.insert("error".into(), Value::from(lost.error.clone()));
    }
    result
}

/// A lost run the singleton no longer tracks (a live run with the same
/// reference, e.g. a reused label, takes precedence).
fn lost_run(reference: &str) -> Option<LostRun> {
    let tracked = crate::supervisor::singleton::current().is_some_and(|sup| {
        !sup.is_crashed()
            && sup
                .runs
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .find(reference)
                .is_some()
    });
    if tracked {
        None
    } else {
        lost::find(reference)
    }
}

/// A list entry no registry knows.
fn untracked_entry(entry: &Map<String, Value>) -> Map<String, Value> {
    let s = |k: &str| {
        entry
            .get(k)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
    };
    let rt = s("runtime_id").or_else(|| s("id")).unwrap_or_default();
    build_status(
        Some(entry),
        None,
        &StatusFallback {
            run_id: s("run_id").unwrap_or(rt).to_string(),
            prefer_fallback_run_id: false,
            label: s("label").unwrap_or(rt).to_string(),
            runtime_id: None,
            run_info: None,
        },
    )
}

async fn all_runs(
    client: &ControlClient,
    registry: &Registry<'_>,
    fresh_status: bool,
) -> CoreResult<Vec<Map<String, Value>>> {
    // Every tracked run's status request goes out before any reply is awaited:
    // one round trip for the list, not one per run.
    let mut begun = Vec::new();
    for entry in list_entries(client).await? {
        begun.push(match registry.find_for_entry(&entry) {
            Some(info) => {
                let live = if fresh_status { None } else { Some(entry) };
                Ok(TrackedStatus::start(client, &info, live))
            }
            None => Err(untracked_entry(&entry)),
        });
    }
    let mut out = Vec::with_capacity(begun.len());
    for run in begun {
        out.push(match run {
            Ok(started) => {
                let run_id = started.info.run_id.clone();
                started.finish(registry, &run_id).await
            }
            Err(untracked) => untracked,
        });
    }
    Ok(out)
}

/// §8.4 A: an explicit supervisor, by id (or label), else by daemon lookups.
async fn one_external(
    target: &SupervisorClient,
    registry: &Registry<'_>,
    run_id: &str,
) -> CoreResult<Map<String, Value>> {
    validate_run_id(run_id)?;
    let client = &target.client;
    if let Some(info) = registry.find(run_id) {
        return Ok(tracked(client, registry, &info, run_id, None).await);
    }
    let mut live = live_status(client, run_id).await;
    if live.is_none() {
        if let Ok(Some(entry)) = find_list_entry(client, run_id).await {
            let rt = entry
                .get("runtime_id")
                .or_else(|| entry.get("id"))
                .and_then(Value::as_str)
                .map(str::to_string);
            live = match rt {
                Some(rt) => live_status(client, &rt).await.or(Some(entry)),
                None => Some(entry),
            };
        }
    }
    let sentinel_path = live
        .as_ref()
        .and_then(|l| l.get("sentinel_file"))
        .and_then(Value::as_str)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| run_paths(run_id).sentinel);
    let sentinel = read_sentinel(&sentinel_path);
    Ok(build_status(
        live.as_ref(),
        sentinel.as_ref(),
        &StatusFallback {
            run_id: run_id.to_string(),
            prefer_fallback_run_id: true,
            label: run_id.to_string(),
            runtime_id: None,
            run_info: None,
        },
    ))
}

/// §8.4 B: the singleton, by public id or label, else by the daemon directly.
async fn one_local(
    client: &ControlClient,
    registry: &Registry<'_>,
    run_id: &str,
) -> CoreResult<Map<String, Value>> {
    if let Some(info) = registry.find(run_id) {
        return Ok(tracked(client, registry, &info, &info.run_id.clone(), None).await);
    }
    if let Some(lost) = lost::find(run_id) {
        return Ok(lost_status(&lost));
    }
    validate_run_id(run_id)?;
    let live = live_status(client, run_id).await;
    let sentinel = read_sentinel(&run_paths(run_id).sentinel);
    Ok(build_status(
        live.as_ref(),
        sentinel.as_ref(),
        &StatusFallback {
            run_id: run_id.to_string(),
            prefer_fallback_run_id: false,
            label: run_id.to_string(),
            runtime_id: None,
            run_info: None,
        },
    ))
}

/// Status results before shaping: `Ok(Err(list))` for the list form.
async fn collect(
    target: &SupervisorClient,
    run_id: Option<&str>,
    explicit: bool,
) -> CoreResult<Result<Map<String, Value>, Vec<Map<String, Value>>>> {
    let registry = match &target.sup {
        Some(sup) => Registry::Local(sup),
        None => Registry::External(&target.supervisor_id),
    };
    let client = &target.client;
    match (run_id, explicit) {
        (Some(id), true) => one_external(target, &registry, id).await.map(Ok),
        (Some(id), false) => one_local(client, &registry, id).await.map(Ok),
        (None, _) => {
            if let Registry::External(id) = registry {
                list_external_runs(id);
            }
            let mut all = all_runs(client, &registry, !explicit).await?;
            if !explicit {
                all.extend(lost::all().iter().map(lost_status));
            }
            Ok(Err(all))
        }
    }
}

pub async fn status_tool(args: Args) -> CoreResult<Value> {
    let run_id = string(&args, "runId").filter(|s| !s.is_empty());
    let view = text(&args, "view");
    let explicit = supervisor_id(&args);
    // A run lost with its daemon is answered without starting a new daemon.
    if let (None, Some(id)) = (&explicit, &run_id) {
        if let Some(lost) = lost_run(id) {
            return Ok(Value::Object(shape_status_result(
                lost_status(&lost),
                view.as_deref(),
            )?));
        }
    }
    let target = get_supervisor_client(explicit.as_deref()).await?;
    let collected = collect(&target, run_id.as_deref(), explicit.is_some()).await;
    target.finish().await;
    match collected? {
        Ok(one) => Ok(Value::Object(shape_status_result(one, view.as_deref())?)),
        Err(many) => Ok(Value::Array(
            many.into_iter()
                .map(|r| shape_status_result(r, view.as_deref()).map(Value::Object))
                .collect::<CoreResult<_>>()?,
        )),
    }
}

/// `statusTool` as `resultTool`/`inspectTool` use it: one object (an array's first).
pub async fn status_of(
    run_id: &str,
    supervisor: Option<&str>,
) -> CoreResult<Option<Map<String, Value>>> {
    let mut args = Map::new();
    args.insert("runId".into(), Value::from(run_id));
    if let Some(s) = supervisor {
        args.insert("supervisorId".into(), Value::from(s));
    }
    args.insert("view".into(), Value::from("full"));
    Ok(match status_tool(args).await? {
        Value::Object(m) => Some(m),
        Value::Array(items) => items.into_iter().next().and_then(|v| match v {
            Value::Object(m) => Some(m),
            _ => None,
        }),
        _ => None,
    })
}
