//! The scripted agent's language: a prompt is a list of directives separated by `;` or
//! newlines. If the first word is not a directive, the whole prompt is a plain message.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Directive {
    Say(String),
    Think(String),
    Chunks(u64, String),
    Bytes(usize),
    Tool(String),
    Permission(String),
    Sleep(u64),
    Stop(String),
    Hang,
    Exit(i32),
    CrashDaemon(i32),
    Usage(u64, u64),
    /// Ask the supervisor through the broker and say its reply.
    Ask(String),
    /// Wait for an ask addressed to this runtime, say it, and reply with the text.
    Answer(String),
    /// Plain (non-script) prompt: reply `echo: <prompt>`.
    Echo(String),
    /// A later clause that could not be parsed; reported as `avenor.error`, then skipped.
    Invalid(String),
}

const WORDS: &[&str] = &[
    "say",
    "think",
    "chunks",
    "bytes",
    "tool",
    "permission",
    "sleep",
    "stop",
    "hang",
    "exit",
    "crash-daemon",
    "usage",
    "ask",
    "answer",
];

pub fn parse(prompt: &str) -> Vec<Directive> {
    let clauses: Vec<&str> = prompt
        .split([';', '\n'])
        .map(|c| c.trim_matches([' ', '\t', '\r']))
        .filter(|c| !c.is_empty())
        .collect();
    let first_word = clauses
        .first()
        .and_then(|c| c.split_whitespace().next())
        .unwrap_or("");
    if !WORDS.contains(&first_word) {
        return vec![Directive::Echo(prompt.to_string())];
    }
    clauses.into_iter().map(parse_clause).collect()
}

fn parse_clause(clause: &str) -> Directive {
    let (word, rest) = match clause.find([' ', '\t']) {
        Some(i) => (
            &clause[..i],
            clause[i + 1..].trim_start_matches([' ', '\t']),
        ),
        None => (clause, ""),
    };
    let args: Vec<&str> = rest.split_whitespace().collect();
    let bad = || Directive::Invalid(format!("avenor-sim: cannot parse directive {clause:?}"));
    match word {
        "say" => Directive::Say(rest.to_string()),
        "think" => Directive::Think(rest.to_string()),
        "chunks" => {
            let Some(n) = args.first().and_then(|a| a.parse().ok()) else {
                return bad();
            };
            let text = rest
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .trim_start_matches([' ', '\t']);
            let text = if text.is_empty() { "chunk" } else { text };
            Directive::Chunks(n, text.to_string())
        }
        "bytes" => match args.as_slice() {
            [n] => n.parse().map(Directive::Bytes).unwrap_or_else(|_| bad()),
            _ => bad(),
        },
        "tool" => Directive::Tool(if rest.is_empty() { "tool" } else { rest }.to_string()),
        "permission" => {
            Directive::Permission(if rest.is_empty() { "bash" } else { rest }.to_string())
        }
        "sleep" => match args.as_slice() {
            [ms] => ms.parse().map(Directive::Sleep).unwrap_or_else(|_| bad()),
            _ => bad(),
        },
        "stop" => match args.as_slice() {
            [reason] => Directive::Stop(reason.to_string()),
            _ => bad(),
        },
        "hang" if args.is_empty() => Directive::Hang,
        "exit" => match args.as_slice() {
            [code] => code.parse().map(Directive::Exit).unwrap_or_else(|_| bad()),
            _ => bad(),
        },
        "crash-daemon" => match args.as_slice() {
            [] => Directive::CrashDaemon(3),
            [code] => code
                .parse()
                .map(Directive::CrashDaemon)
                .unwrap_or_else(|_| bad()),
            _ => bad(),
        },
        "usage" => match args.as_slice() {
            [i, o] => match (i.parse(), o.parse()) {
                (Ok(i), Ok(o)) => Directive::Usage(i, o),
                _ => bad(),
            },
            _ => bad(),
        },
        "ask" if !rest.is_empty() => Directive::Ask(rest.to_string()),
        "answer" => Directive::Answer(if rest.is_empty() { "ok" } else { rest }.to_string()),
        _ => Directive::Invalid(format!("avenor-sim: unknown directive {word:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::Directive::*;
    use super::*;

    #[test]
    fn plain_prompt_echoes() {
        assert_eq!(parse("hello there"), vec![Echo("hello there".into())]);
        assert_eq!(parse("Say hi"), vec![Echo("Say hi".into())]);
    }

    #[test]
    fn directives() {
        assert_eq!(
            parse("say hello world; chunks 3\ntool grep -r x;permission;stop refusal"),
            vec![
                Say("hello world".into()),
                Chunks(3, "chunk".into()),
                Tool("grep -r x".into()),
                Permission("bash".into()),
                Stop("refusal".into()),
            ]
        );
        assert_eq!(parse("chunks 2 part"), vec![Chunks(2, "part".into())]);
        assert_eq!(
            parse("usage 10 20; crash-daemon; exit 2; hang"),
            vec![Usage(10, 20), CrashDaemon(3), Exit(2), Hang]
        );
        assert!(matches!(parse("say a; frob")[1], Invalid(_)));
        assert_eq!(
            parse("ask which branch?; answer; answer hello back"),
            vec![
                Ask("which branch?".into()),
                Answer("ok".into()),
                Answer("hello back".into())
            ]
        );
        assert!(matches!(parse("say a; ask")[1], Invalid(_)));
        assert!(matches!(parse("sleep x")[0], Invalid(_)));
    }
}
