//! Command line: `avenor-sim stable --control-socket <path> [flags]`, parsed with Go `flag`
//! package rules so the sim is a drop-in `AVENOR_BIN`.

use std::path::PathBuf;
use std::time::Duration;

/// How requests on one connection are dispatched (protocol §1.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dispatch {
    /// One request at a time, in order (every fully-read server version).
    Sequential,
    /// Each request in its own task; replies may come back out of order (newest server).
    Concurrent,
}

impl Dispatch {
    pub fn parse(s: &str) -> Option<Dispatch> {
        match s {
            "sequential" => Some(Dispatch::Sequential),
            "concurrent" => Some(Dispatch::Concurrent),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    pub control_socket: PathBuf,
    pub idle_timeout: Duration,
    pub shutdown_timeout: Duration,
    pub parked_timeout: Duration,
    pub max_runtimes: i64,
    pub max_tree_budget: i64,
    pub dispatch: Dispatch,
    /// How long `broker_ask` waits for an answer; zero waits without limit.
    pub ask_timeout: Duration,
}

/// Why parsing stopped; both end with exit status 1.
#[derive(Debug, PartialEq, Eq)]
pub enum CliError {
    /// Print this message (may be empty), then the usage text.
    Usage(String),
    /// Print only this message.
    Message(String),
}

pub const USAGE: &str = "Usage: avenor-sim stable --control-socket <path> [flags]
  -control-socket string
    \tcontrol socket path (required)
  -dispatch string
    \tper-connection dispatch: sequential or concurrent (default $AVENOR_SIM_DISPATCH or \"sequential\")
  -idle-timeout duration
    \texit after this long with nothing to do; 0 disables (default 0s)
  -shutdown-timeout duration
    \tgraceful shutdown wait for runtimes; 0 waits without limit (default 10s)
  -parked-timeout duration
    \tend parked runtimes after this long; 0 keeps them (default 30m0s)
  -ask-timeout duration
    \ta broker_ask without an answer answers timeout after this long; 0 waits without limit (default 0s)
  -max-runtimes int
    \tlimit on active (non-parked, non-ended) runtimes (default 16)
  -max-tree-budget int
    \taccepted for compatibility (default 64)
  -permission-claim-timeout duration
    \taccepted for compatibility; the sim always waits (default 0s)
  -http-debug, -workflow-root, -workflow-adapter-dir, -lease-sweep-interval, -idempotency-capacity
    \taccepted for compatibility and ignored
";

/// Kinds of flag values, mirroring Go's flag types.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Str,
    Dur,
    Int,
    Bool,
}

fn flag_kind(name: &str) -> Option<Kind> {
    Some(match name {
        "control-socket" | "dispatch" | "workflow-root" | "workflow-adapter-dir" => Kind::Str,
        "idle-timeout"
        | "shutdown-timeout"
        | "parked-timeout"
        | "permission-claim-timeout"
        | "lease-sweep-interval"
        | "ask-timeout" => Kind::Dur,
        "max-runtimes" | "max-tree-budget" | "idempotency-capacity" => Kind::Int,
        "http-debug" => Kind::Bool,
        _ => return None,
    })
}

/// Parses everything after the program name. `env_dispatch` is `$AVENOR_SIM_DISPATCH`.
pub fn parse(args: &[String], env_dispatch: Option<&str>) -> Result<Config, CliError> {
    match args.first() {
        Some(s) if s == "stable" => {}
        _ => return Err(CliError::Usage(String::new())),
    }
    let mut cfg = Config {
        control_socket: PathBuf::new(),
        idle_timeout: Duration::ZERO,
        shutdown_timeout: Duration::from_secs(10),
        parked_timeout: Duration::from_secs(30 * 60),
        max_runtimes: 16,
        max_tree_budget: 64,
        dispatch: Dispatch::Sequential,
        ask_timeout: Duration::ZERO,
    };
    if let Some(d) = env_dispatch.filter(|d| !d.is_empty()) {
        cfg.dispatch = Dispatch::parse(d).ok_or_else(|| {
            CliError::Message(format!(
                "avenor stable: invalid AVENOR_SIM_DISPATCH {d:?}: want sequential or concurrent"
            ))
        })?;
    }
    let mut socket: Option<String> = None;
    let mut i = 1;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        // Go's flag package stops at the first non-flag argument or at "--".
        if arg == "--" || !arg.starts_with('-') || arg == "-" {
            break;
        }
        let body = arg
            .strip_prefix("--")
            .or_else(|| arg.strip_prefix('-'))
            .unwrap_or(arg);
        if body.is_empty() || body.starts_with('-') || body.starts_with('=') {
            return Err(CliError::Usage(format!("bad flag syntax: {arg}")));
        }
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (body, None),
        };
        if name == "h" || name == "help" {
            return Err(CliError::Usage(String::new()));
        }
        let kind = flag_kind(name)
            .ok_or_else(|| CliError::Usage(format!("flag provided but not defined: -{name}")))?;
        let value = match (kind, inline) {
            (_, Some(v)) => v,
            (Kind::Bool, None) => "true".to_string(),
            (_, None) => {
                let v = args
                    .get(i)
                    .cloned()
                    .ok_or_else(|| CliError::Usage(format!("flag needs an argument: -{name}")))?;
                i += 1;
                v
            }
        };
        let invalid =
            |why: &str| CliError::Usage(format!("invalid value {value:?} for flag -{name}: {why}"));
        match kind {
            Kind::Dur => {
                let d = parse_duration(&value).ok_or_else(|| invalid("parse error"))?;
                match name {
                    "idle-timeout" => cfg.idle_timeout = d,
                    "shutdown-timeout" => cfg.shutdown_timeout = d,
                    "parked-timeout" => cfg.parked_timeout = d,
                    "ask-timeout" => cfg.ask_timeout = d,
                    _ => {}
                }
            }
            Kind::Int => {
                let n: i64 = value.parse().map_err(|_| invalid("parse error"))?;
                match name {
                    "max-runtimes" => cfg.max_runtimes = n,
                    "max-tree-budget" => cfg.max_tree_budget = n,
                    "idempotency-capacity" if n <= 0 => {
                        return Err(CliError::Message(
                            "avenor stable: --idempotency-capacity must be > 0".into(),
                        ))
                    }
                    _ => {}
                }
            }
            Kind::Bool => {
                if !matches!(
                    value.as_str(),
                    "1" | "0"
                        | "t"
                        | "f"
                        | "T"
                        | "F"
                        | "true"
                        | "false"
                        | "TRUE"
                        | "FALSE"
                        | "True"
                        | "False"
                ) {
                    return Err(invalid("parse error"));
                }
            }
            Kind::Str => match name {
                "control-socket" => socket = Some(value),
                "dispatch" => {
                    cfg.dispatch = Dispatch::parse(&value)
                        .ok_or_else(|| invalid("want sequential or concurrent"))?
                }
                _ => {}
            },
        }
    }
    match socket {
        Some(s) if !s.is_empty() => cfg.control_socket = PathBuf::from(s),
        _ => {
            return Err(CliError::Message(
                "avenor stable: --control-socket is required".into(),
            ))
        }
    }
    Ok(cfg)
}

/// Go `time.ParseDuration`: `0`, or a sequence of decimal numbers with units
/// `ns us µs ms s m h` (e.g. `1h30m`, `1.5s`). Negative durations are rejected.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.strip_prefix('+').unwrap_or(s);
    if s == "0" {
        return Some(Duration::ZERO);
    }
    if s.is_empty() || s.starts_with('-') {
        return None;
    }
    let mut rest = s;
    let mut total = 0f64;
    while !rest.is_empty() {
        let num_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let num: f64 = rest[..num_end].parse().ok()?;
        rest = &rest[num_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_end] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        rest = &rest[unit_end..];
        total += num * scale;
    }
    Some(Duration::from_secs_f64(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("0"), Some(Duration::ZERO));
        assert_eq!(parse_duration("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Some(Duration::from_secs(300)));
        assert_eq!(parse_duration("2h"), Some(Duration::from_secs(7200)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("30"), None);
        assert_eq!(parse_duration("x"), None);
    }

    #[test]
    fn flag_forms() {
        let c = parse(
            &args(&[
                "stable",
                "--control-socket",
                "/tmp/a.sock",
                "-idle-timeout=30m",
                "--max-runtimes",
                "3",
                "--dispatch=concurrent",
                "--ask-timeout=250ms",
            ]),
            None,
        )
        .expect("parse");
        assert_eq!(c.control_socket, PathBuf::from("/tmp/a.sock"));
        assert_eq!(c.idle_timeout, Duration::from_secs(1800));
        assert_eq!(c.max_runtimes, 3);
        assert_eq!(c.dispatch, Dispatch::Concurrent);
        assert_eq!(c.ask_timeout, Duration::from_millis(250));
    }

    #[test]
    fn errors() {
        assert_eq!(
            parse(&args(&["stable"]), None).err(),
            Some(CliError::Message(
                "avenor stable: --control-socket is required".into()
            ))
        );
        assert!(matches!(
            parse(&args(&["run"]), None),
            Err(CliError::Usage(_))
        ));
        assert!(matches!(
            parse(&args(&["stable", "--bogus", "x"]), None),
            Err(CliError::Usage(_))
        ));
        let c = parse(
            &args(&["stable", "--control-socket=/x"]),
            Some("concurrent"),
        )
        .expect("ok");
        assert_eq!(c.dispatch, Dispatch::Concurrent);
    }
}
