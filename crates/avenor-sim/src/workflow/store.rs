//! In-memory workflows. A workflow is a flat list of nodes (`params.nodes` at
//! instantiation, default `["main"]`); it is `completed` once every node is
//! `completed` or `skipped`. Commands append numbered events. No timestamps, so
//! every answer is deterministic.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde_json::{json, Map, Value};
use tokio::sync::watch;

use crate::params::{required, str_of};
use crate::rpc::RpcError;
use crate::util::lock;

pub const GATE_OPERATIONS: [&str; 4] = ["satisfy", "reject", "waive", "external_result"];

struct Node {
    id: String,
    status: &'static str,
    activation_id: String,
    outcome: Option<Value>,
    outputs: Option<Value>,
    artifacts: Option<Value>,
    gates: Map<String, Value>,
    heartbeats: u64,
}

impl Node {
    fn is_done(&self) -> bool {
        matches!(self.status, "completed" | "skipped")
    }

    fn summary(&self) -> Value {
        let mut m = Map::new();
        m.insert("node_id".into(), json!(self.id));
        m.insert("status".into(), json!(self.status));
        m.insert("activation_id".into(), json!(self.activation_id));
        if let Some(o) = &self.outcome {
            m.insert("outcome".into(), o.clone());
        }
        Value::Object(m)
    }

    fn detail(&self) -> Value {
        let mut v = self.summary();
        for (key, val) in [("outputs", &self.outputs), ("artifacts", &self.artifacts)] {
            if let Some(x) = val {
                v[key] = x.clone();
            }
        }
        v["gates"] = Value::Object(self.gates.clone());
        v["heartbeats"] = json!(self.heartbeats);
        v
    }
}

struct Workflow {
    id: String,
    template_id: String,
    template_version: Value,
    metadata: Value,
    params: Value,
    nodes: Vec<Node>,
    events: Vec<Value>,
}

impl Workflow {
    fn status_word(&self) -> &'static str {
        if self.nodes.iter().all(Node::is_done) {
            "completed"
        } else {
            "running"
        }
    }

    fn status(&self) -> Value {
        json!({
            "workflow_id": self.id,
            "template_id": self.template_id,
            "template_version": self.template_version,
            "status": self.status_word(),
            "nodes": self.nodes.iter().map(Node::summary).collect::<Vec<_>>(),
            "latest_seq": self.events.len(),
        })
    }

    fn push_event(&mut self, kind: &str, mut fields: Map<String, Value>) -> usize {
        let seq = self.events.len() + 1;
        let mut e = Map::new();
        e.insert("seq".into(), json!(seq));
        e.insert("type".into(), json!(kind));
        e.append(&mut fields);
        self.events.push(Value::Object(e));
        seq
    }

    fn node(&mut self, node_id: &str) -> Result<&mut Node, RpcError> {
        let wf = self.id.clone();
        self.nodes
            .iter_mut()
            .find(|n| n.id == node_id)
            .ok_or_else(|| {
                RpcError::handler(format!("node {node_id:?} not found in workflow {wf:?}"))
            })
    }

    /// A node that can still take commands for this activation.
    fn open_node(
        &mut self,
        node_id: &str,
        activation: Option<&str>,
    ) -> Result<&mut Node, RpcError> {
        let node = self.node(node_id)?;
        if node.is_done() {
            return Err(RpcError::handler(format!(
                "node {node_id:?} is already {}",
                node.status
            )));
        }
        match activation {
            Some(a) if a != node.activation_id => Err(RpcError::handler(format!(
                "activation {a:?} is not current for node {node_id:?}"
            ))),
            _ => Ok(node),
        }
    }

    fn apply(&mut self, cmd: &Value) -> Result<usize, RpcError> {
        let [op] = required(cmd, ["op"])?;
        let seq = match op {
            "complete" => {
                let [node_id, activation, _, _, _, outcome] = required(
                    cmd,
                    [
                        "node_id",
                        "activation_id",
                        "attempt_id",
                        "lease_id",
                        "owner_token",
                        "outcome",
                    ],
                )?;
                let node = self.open_node(node_id, Some(activation))?;
                node.status = "completed";
                node.outcome = Some(json!(outcome));
                node.outputs = cmd.get("outputs").cloned();
                node.artifacts = cmd.get("artifacts").cloned();
                self.node_event("node.completed", node_id, Some(outcome))
            }
            "gate" => {
                let [node_id, activation, gate_id, operation] =
                    required(cmd, ["node_id", "activation_id", "gate_id", "operation"])?;
                if !GATE_OPERATIONS.contains(&operation) {
                    return Err(RpcError::handler(format!(
                        "unknown gate operation {operation:?}"
                    )));
                }
                let mut record = cmd.as_object().cloned().unwrap_or_default();
                for k in ["op", "node_id", "gate_id"] {
                    record.remove(k);
                }
                self.open_node(node_id, Some(activation))?
                    .gates
                    .insert(gate_id.into(), Value::Object(record));
                let mut f = Map::new();
                f.insert("node_id".into(), json!(node_id));
                f.insert("gate_id".into(), json!(gate_id));
                self.push_event(&format!("gate.{operation}"), f)
            }
            "heartbeat" => {
                let [node_id, _, _] = required(cmd, ["node_id", "lease_id", "owner_token"])?;
                self.open_node(node_id, str_of(cmd, "activation_id"))?
                    .heartbeats += 1;
                self.node_event("node.heartbeat", node_id, None)
            }
            "skip" => {
                let [node_id] = required(cmd, ["node_id"])?;
                self.open_node(node_id, None)?.status = "skipped";
                self.node_event("node.skipped", node_id, None)
            }
            other => {
                return Err(RpcError::handler(format!(
                    "unknown workflow command {other:?}"
                )))
            }
        };
        if self.status_word() == "completed" {
            self.push_event("workflow.completed", Map::new());
        }
        Ok(seq)
    }

    fn node_event(&mut self, kind: &str, node_id: &str, outcome: Option<&str>) -> usize {
        let mut f = Map::new();
        f.insert("node_id".into(), json!(node_id));
        if let Some(o) = outcome {
            f.insert("outcome".into(), json!(o));
        }
        self.push_event(kind, f)
    }
}

#[derive(Default)]
struct Inner {
    next: u64,
    flows: BTreeMap<String, Workflow>,
}

pub struct Workflows {
    inner: Mutex<Inner>,
    /// Bumped after every change, for `workflow.wait`.
    changed: watch::Sender<u64>,
}

impl Default for Workflows {
    fn default() -> Self {
        Workflows {
            inner: Mutex::new(Inner::default()),
            changed: watch::channel(0).0,
        }
    }
}

fn not_found(id: &str) -> RpcError {
    RpcError::handler(format!("workflow {id:?} not found"))
}

/// `params.nodes`: an array of distinct non-empty strings, default `["main"]`.
fn node_ids(params: &Value) -> Result<Vec<String>, RpcError> {
    let Some(list) = params.get("nodes") else {
        return Ok(vec!["main".into()]);
    };
    let bad = || RpcError::detail("params.nodes must be an array of distinct node ids");
    let ids: Vec<String> = list
        .as_array()
        .ok_or_else(bad)?
        .iter()
        .map(|v| v.as_str().filter(|s| !s.is_empty()).map(str::to_string))
        .collect::<Option<_>>()
        .ok_or_else(bad)?;
    let distinct: std::collections::BTreeSet<&String> = ids.iter().collect();
    if ids.is_empty() || distinct.len() != ids.len() {
        return Err(bad());
    }
    Ok(ids)
}

impl Workflows {
    pub fn instantiate(&self, p: &Value) -> Result<Value, RpcError> {
        let [template_id] = required(p, ["template_id"])?;
        let version = match p.get("template_version") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(v) => Some(v.clone()),
        }
        .ok_or_else(|| RpcError::required(&["template_id", "template_version"]))?;
        let params = p.get("params").cloned().unwrap_or_else(|| json!({}));
        let nodes = node_ids(&params)?;
        let status = {
            let mut inner = lock(&self.inner);
            inner.next += 1;
            let id = format!("wf_{}", inner.next);
            let mut wf = Workflow {
                id: id.clone(),
                template_id: template_id.into(),
                template_version: version,
                metadata: p.get("metadata").cloned().unwrap_or_else(|| json!({})),
                params,
                nodes: nodes
                    .into_iter()
                    .map(|n| Node {
                        activation_id: format!("act_{n}_1"),
                        id: n,
                        status: "ready",
                        outcome: None,
                        outputs: None,
                        artifacts: None,
                        gates: Map::new(),
                        heartbeats: 0,
                    })
                    .collect(),
                events: Vec::new(),
            };
            wf.push_event("workflow.instantiated", Map::new());
            let status = wf.status();
            inner.flows.insert(id, wf);
            status
        };
        self.changed.send_modify(|n| *n += 1);
        Ok(status)
    }

    fn with<T>(&self, id: &str, f: impl FnOnce(&mut Workflow) -> T) -> Result<T, RpcError> {
        let mut inner = lock(&self.inner);
        inner.flows.get_mut(id).map(f).ok_or_else(|| not_found(id))
    }

    pub fn status(&self, id: &str) -> Result<Value, RpcError> {
        self.with(id, |wf| wf.status())
    }

    pub fn is_running(&self, id: &str) -> Result<bool, RpcError> {
        self.with(id, |wf| wf.status_word() == "running")
    }

    pub fn inspect(&self, id: &str) -> Result<Value, RpcError> {
        self.with(id, |wf| {
            let mut v = wf.status();
            v["metadata"] = wf.metadata.clone();
            v["params"] = wf.params.clone();
            v["nodes"] = Value::Array(wf.nodes.iter().map(Node::detail).collect());
            v
        })
    }

    /// Events with `seq > after_seq`, at most `limit`.
    pub fn events(&self, id: &str, after_seq: u64, limit: usize) -> Result<Value, RpcError> {
        self.with(id, |wf| {
            let events: Vec<Value> = wf
                .events
                .iter()
                .skip(after_seq.min(wf.events.len() as u64) as usize)
                .take(limit)
                .cloned()
                .collect();
            json!({ "workflow_id": id, "events": events, "latest_seq": wf.events.len() })
        })
    }

    pub fn command(&self, id: &str, cmd: &Value) -> Result<Value, RpcError> {
        let out = self.with(id, |wf| -> Result<Value, RpcError> {
            let seq = wf.apply(cmd)?;
            Ok(json!({
                "workflow_id": id,
                "op": cmd.get("op").cloned().unwrap_or(Value::Null),
                "accepted": true,
                "seq": seq,
                "status": wf.status_word(),
            }))
        })??;
        self.changed.send_modify(|n| *n += 1);
        Ok(out)
    }

    /// `{workflow_id, node_id, activation_id}` of each `ready` node of the running
    /// workflows whose `metadata.controller_id` is `controller_id`, oldest
    /// workflow first, at most `limit`.
    pub fn ready(&self, controller_id: &str, limit: usize) -> Vec<Value> {
        let inner = lock(&self.inner);
        let mut flows: Vec<&Workflow> = inner
            .flows
            .values()
            .filter(|wf| {
                wf.metadata.get("controller_id").and_then(Value::as_str) == Some(controller_id)
            })
            .collect();
        // Ids are `wf_<n>`: shorter first, then by text, is creation order.
        flows.sort_by(|a, b| (a.id.len(), &a.id).cmp(&(b.id.len(), &b.id)));
        flows
            .into_iter()
            .flat_map(|wf| {
                wf.nodes.iter().filter(|n| n.status == "ready").map(|n| {
                    json!({ "workflow_id": wf.id, "node_id": n.id, "activation_id": n.activation_id })
                })
            })
            .take(limit)
            .collect()
    }

    pub fn changes(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complete_all_nodes_completes_the_workflow() {
        let w = Workflows::default();
        let st = w
            .instantiate(&json!({"template_id": "t", "template_version": 2, "params": {"nodes": ["a", "b"]}}))
            .expect("instantiate");
        assert_eq!(st["workflow_id"], json!("wf_1"));
        assert_eq!(st["status"], json!("running"));
        assert_eq!(
            st["nodes"][1],
            json!({"node_id": "b", "status": "ready", "activation_id": "act_b_1"})
        );
        let complete = json!({"op": "complete", "node_id": "a", "activation_id": "act_a_1", "attempt_id": "1",
            "lease_id": "l", "owner_token": "o", "outcome": "success", "outputs": {"x": 1}});
        let r = w.command("wf_1", &complete).expect("complete");
        assert_eq!(
            r,
            json!({"workflow_id": "wf_1", "op": "complete", "accepted": true, "seq": 2, "status": "running"})
        );
        let again = w.command("wf_1", &complete).expect_err("already done");
        assert_eq!(again.message, "node \"a\" is already completed");
        let stale = json!({"op": "skip", "node_id": "zz"});
        assert_eq!(
            w.command("wf_1", &stale).err().map(|e| e.message),
            Some("node \"zz\" not found in workflow \"wf_1\"".into())
        );
        w.command("wf_1", &json!({"op": "skip", "node_id": "b"}))
            .expect("skip");
        assert_eq!(
            w.status("wf_1").expect("status")["status"],
            json!("completed")
        );
        let ev = w.events("wf_1", 1, 10).expect("events");
        let kinds: Vec<&str> = ev["events"]
            .as_array()
            .map(|a| a.iter().filter_map(|e| e["type"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(
            kinds,
            ["node.completed", "node.skipped", "workflow.completed"]
        );
        assert_eq!(ev["latest_seq"], json!(4));
        assert_eq!(
            w.inspect("wf_1").expect("inspect")["nodes"][0]["outputs"],
            json!({"x": 1})
        );
    }

    #[test]
    fn ready_lists_the_controllers_ready_nodes_in_order() {
        let w = Workflows::default();
        let make = |controller: &str, nodes: Value| {
            w.instantiate(&json!({"template_id": "t", "template_version": 1,
                "metadata": {"controller_id": controller}, "params": {"nodes": nodes}}))
                .expect("instantiate")
        };
        for n in 1..=9 {
            make("other", json!([format!("x{n}")]));
        }
        make("c1", json!(["a", "b"])); // wf_10
        w.instantiate(&json!({"template_id": "t", "template_version": 1}))
            .expect("no controller"); // wf_11
        make("c1", json!(["c"])); // wf_12
        w.command("wf_10", &json!({"op": "skip", "node_id": "a"}))
            .expect("skip");
        let ids = |v: Vec<Value>| -> Vec<String> {
            v.iter()
                .map(|c| {
                    format!(
                        "{}/{}",
                        c["workflow_id"].as_str().unwrap_or(""),
                        c["node_id"].as_str().unwrap_or("")
                    )
                })
                .collect()
        };
        assert_eq!(ids(w.ready("c1", 10)), ["wf_10/b", "wf_12/c"]);
        assert_eq!(ids(w.ready("c1", 1)), ["wf_10/b"]);
        assert_eq!(
            w.ready("c1", 1)[0],
            json!({"workflow_id": "wf_10", "node_id": "b", "activation_id": "act_b_1"})
        );
        assert!(w.ready("nobody", 10).is_empty());
    }

    #[test]
    fn bad_commands() {
        let w = Workflows::default();
        w.instantiate(&json!({"template_id": "t", "template_version": "1"}))
            .expect("instantiate");
        let missing = w
            .command("wf_1", &json!({"op": "gate", "node_id": "main"}))
            .expect_err("missing");
        assert_eq!(
            missing.data,
            Some(json!({"required": ["node_id", "activation_id", "gate_id", "operation"]}))
        );
        let gate = json!({"op": "gate", "node_id": "main", "activation_id": "act_main_1", "gate_id": "g", "operation": "approve"});
        assert_eq!(
            w.command("wf_1", &gate).err().map(|e| e.message),
            Some("unknown gate operation \"approve\"".into())
        );
        assert_eq!(
            w.command("wf_1", &json!({"op": "explode"}))
                .err()
                .map(|e| e.message),
            Some("unknown workflow command \"explode\"".into())
        );
        assert!(w.status("wf_9").is_err());
        assert!(w.instantiate(&json!({"template_id": "t"})).is_err());
        assert!(w
            .instantiate(
                &json!({"template_id": "t", "template_version": 1, "params": {"nodes": ["a", "a"]}})
            )
            .is_err());
    }
}
