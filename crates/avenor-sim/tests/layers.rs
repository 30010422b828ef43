//! Guards the module layering of `src/` (see the comment at the top of `src/main.rs`):
//! a module may name modules of its own layer or of layers below it, never above, and
//! the module graph has no cycle. A new module must be given a layer here.
//!
//! The references are read from the source text: `crate::<module>` (also inside
//! `use crate::{…}` groups), and `super::<module>` in a top-level file, where `super`
//! is the crate root. `main.rs` is the crate root and may name every module.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top to bottom. Within a layer, imports are allowed as long as they form no cycle.
const LAYERS: &[(&str, &[&str])] = &[
    ("accept", &["server"]),
    ("connection", &["conn"]),
    ("dispatch", &["methods"]),
    (
        "handlers",
        &[
            "broker_methods",
            "control_methods",
            "event_methods",
            "query_methods",
            "spawn",
            "supervisor_methods",
            "workflow_methods",
        ],
    ),
    ("state", &["conn_state", "sup"]),
    (
        "domain",
        &[
            "agent",
            "broker",
            "events",
            "lifecycle",
            "permission",
            "published",
            "runtime",
            "script",
            "sentinel",
            "subscription",
            "workflow",
        ],
    ),
    (
        "base",
        &[
            "cli", "params", "rpc", "sigint", "startup", "util", "writer",
        ],
    ),
];

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Layer index of each module (0 = top).
fn layer_of() -> BTreeMap<&'static str, usize> {
    let mut out = BTreeMap::new();
    for (i, (_, mods)) in LAYERS.iter().enumerate() {
        for m in *mods {
            assert!(out.insert(*m, i).is_none(), "{m} is in two layers");
        }
    }
    out
}

/// Every `.rs` file under `src/`, with the top-level module it belongs to and whether
/// it is a top-level file (`src/x.rs` or `src/x/mod.rs`).
fn source_files() -> Vec<(String, bool, PathBuf)> {
    let mut out = Vec::new();
    let mut stack = vec![src_dir()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(src_dir()).expect("under src");
            let parts: Vec<String> = rel
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            let module = parts[0].trim_end_matches(".rs").to_string();
            let top = parts.len() == 1 || (parts.len() == 2 && parts[1] == "mod.rs");
            out.push((module, top, path));
        }
    }
    out.sort();
    out
}

/// The text without `//` comments, so doc comments that mention a path do not count.
/// A `//` right after `:` is kept (a URL inside a string).
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut cut = line.len();
        let mut from = 0;
        while let Some(i) = line[from..].find("//") {
            let at = from + i;
            if at == 0 || !line[..at].ends_with(':') {
                cut = at;
                break;
            }
            from = at + 2;
        }
        out.push_str(&line[..cut]);
        out.push('\n');
    }
    out
}

fn ident_at(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The top-level module names after each `prefix` (`crate::` or `super::`).
fn names_after(text: &str, prefix: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find(prefix) {
        // Skip matches inside a longer path segment, e.g. `foo_crate::`.
        let before = rest[..i].chars().last();
        rest = &rest[i + prefix.len()..];
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        let tail = rest.trim_start();
        if let Some(group) = tail.strip_prefix('{') {
            // `use crate::{a, b::{c, d}, e}`: the first name of each top-level item.
            let mut depth = 0;
            let mut item_start = true;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && !c.is_whitespace() => {
                        item_start = false;
                        let name = ident_at(&group[j..]);
                        if !name.is_empty() && name != "self" {
                            out.insert(name.to_string());
                        }
                    }
                    _ => {}
                }
            }
        } else {
            let name = ident_at(tail);
            if !name.is_empty() {
                out.insert(name.to_string());
            }
        }
    }
    out
}

/// module -> the other top-level modules it names.
fn import_graph(known: &BTreeSet<String>) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, top, path) in source_files() {
        if module == "main" {
            continue;
        }
        let text = strip_comments(&std::fs::read_to_string(&path).expect("read source"));
        let mut names = names_after(&text, "crate::");
        if top {
            // In a top-level file, `super::x` can only reach another module as `crate::x`.
            names.extend(
                names_after(&text, "super::")
                    .into_iter()
                    .filter(|n| known.contains(n)),
            );
        }
        let deps = graph.entry(module.clone()).or_default();
        deps.extend(names.into_iter().filter(|n| *n != module));
    }
    graph
}

fn modules_on_disk() -> BTreeSet<String> {
    source_files()
        .into_iter()
        .map(|(m, _, _)| m)
        .filter(|m| m != "main")
        .collect()
}

#[test]
fn layer_table_names_every_module() {
    let on_disk = modules_on_disk();
    let in_table: BTreeSet<String> = layer_of().keys().map(|m| m.to_string()).collect();
    let missing: Vec<_> = on_disk.difference(&in_table).collect();
    let stale: Vec<_> = in_table.difference(&on_disk).collect();
    assert!(
        missing.is_empty(),
        "modules without a layer in tests/layers.rs: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "layers name modules that no longer exist: {stale:?}"
    );
}

#[test]
fn imports_point_down_the_layers() {
    let layers = layer_of();
    let known = modules_on_disk();
    let mut upward = Vec::new();
    for (module, deps) in import_graph(&known) {
        let Some(&from) = layers.get(module.as_str()) else {
            continue; // reported by layer_table_names_every_module
        };
        for dep in deps {
            // Names that are not modules (crate-root items, if any) have no layer.
            let Some(&to) = layers.get(dep.as_str()) else {
                continue;
            };
            if to < from {
                upward.push(format!(
                    "{module} ({}) names {dep} ({})",
                    LAYERS[from].0, LAYERS[to].0
                ));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "upward imports (a module names a layer above its own):\n{}",
        upward.join("\n")
    );
}

#[test]
fn module_graph_has_no_cycle() {
    let known = modules_on_disk();
    let graph = import_graph(&known);
    // The graph is a few dozen nodes: a walk from each module is cheap and names
    // exactly the modules that can reach themselves.
    let reaches_itself = |start: &str| {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<&str> = vec![start];
        while let Some(m) = stack.pop() {
            for d in graph.get(m).into_iter().flatten() {
                if d == start {
                    return true;
                }
                if known.contains(d) && seen.insert(d.as_str()) {
                    stack.push(d);
                }
            }
        }
        false
    };
    let on_cycle: Vec<&str> = known
        .iter()
        .map(String::as_str)
        .filter(|m| reaches_itself(m))
        .collect();
    assert!(
        on_cycle.is_empty(),
        "modules on an import cycle: {on_cycle:?}"
    );
}

#[test]
fn reference_parser_sees_groups_and_skips_comments() {
    let text = strip_comments(
        "use crate::{a::X, b, self};\n// crate::c\nlet u = \"http://x\"; crate::d::f();\n\
         use crate::{\n    e,\n    g::{h, i},\n};\nmy_crate::z",
    );
    let got: Vec<String> = names_after(&text, "crate::").into_iter().collect();
    assert_eq!(got, ["a", "b", "d", "e", "g"]);
}
