//! The supervisor's in-memory run registry (core-spec §5.4): runs by public id
//! (canonical) plus label aliases, where a later run with the same label takes
//! the alias but never shadows an exact id.

use std::collections::HashMap;

use super::RunInfo;

#[derive(Default)]
pub struct LocalRuns {
    /// In registration order.
    runs: Vec<RunInfo>,
    /// label → public run id of the latest run with that label.
    aliases: HashMap<String, String>,
}

impl LocalRuns {
    pub fn register(&mut self, info: RunInfo) {
        self.aliases.insert(info.label.clone(), info.run_id.clone());
        match self.runs.iter_mut().find(|r| r.run_id == info.run_id) {
            Some(existing) => *existing = info,
            None => self.runs.push(info),
        }
    }

    /// `findLocalRunByReference`: exact public id, then label alias.
    pub fn find(&self, reference: &str) -> Option<&RunInfo> {
        self.runs
            .iter()
            .find(|r| r.run_id == reference)
            .or_else(|| {
                let id = self.aliases.get(reference)?;
                self.runs.iter().find(|r| &r.run_id == id)
            })
    }

    pub fn find_mut(&mut self, reference: &str) -> Option<&mut RunInfo> {
        let id = if self.runs.iter().any(|r| r.run_id == reference) {
            reference.to_string()
        } else {
            self.aliases.get(reference)?.clone()
        };
        self.runs.iter_mut().find(|r| r.run_id == id)
    }

    /// `findLocalRunByRuntimeId` (an empty id finds nothing).
    pub fn find_by_runtime_id(&self, runtime_id: &str) -> Option<&RunInfo> {
        if runtime_id.is_empty() {
            return None;
        }
        self.runs
            .iter()
            .find(|r| r.runtime_id.as_deref() == Some(runtime_id))
    }

    pub fn all(&self) -> &[RunInfo] {
        &self.runs
    }

    /// The runs in registration order (re-registering them keeps the label aliases).
    pub fn into_all(self) -> Vec<RunInfo> {
        self.runs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(id: &str, label: &str, rt: &str) -> RunInfo {
        RunInfo {
            run_id: id.into(),
            label: label.into(),
            runtime_id: Some(rt.into()),
            ..Default::default()
        }
    }

    #[test]
    fn exact_id_beats_a_colliding_label() {
        let mut runs = LocalRuns::default();
        runs.register(run("first", "shared", "rt_1"));
        runs.register(run("second", "first", "rt_2"));
        assert_eq!(
            runs.find("first").unwrap().runtime_id.as_deref(),
            Some("rt_1")
        );
        runs.register(run("third", "shared", "rt_3"));
        assert_eq!(runs.find("shared").unwrap().run_id, "third");
        assert_eq!(runs.find_by_runtime_id("rt_2").unwrap().run_id, "second");
        assert!(runs.find_by_runtime_id("").is_none());
        assert!(runs.find("nope").is_none());
        assert_eq!(runs.all().len(), 3);
    }
}
