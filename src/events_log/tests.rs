use std::io::{Cursor, Read, Seek, SeekFrom};
use std::path::PathBuf;

use serde_json::json;

use super::*;

/// A scratch directory removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("avenor-events-log-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        Scratch(dir)
    }

    fn file(&self, name: &str, content: &[u8]) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, content).expect("write");
        p
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

fn filter(types: &[&str], after_seq: Option<f64>) -> EventFilter {
    EventFilter {
        types: types.iter().map(|t| t.to_string()).collect(),
        after_seq,
    }
}

/// The backward reader over `src` with the production cap, records only.
fn newest_from<S: LogSource>(
    src: &mut S,
    len: u64,
    limit: usize,
    filter: &EventFilter,
    block_size: usize,
) -> io::Result<Vec<Value>> {
    newest_matching(src, len, limit, filter, block_size, MAX_RECORD_BYTES).map(|r| r.records)
}

fn seqs(records: &[Value]) -> Vec<Value> {
    records.iter().map(|r| r["seq"].clone()).collect()
}

#[test]
fn case_31_types_filter() {
    let dir = Scratch::new("types");
    let p = dir.file(
        "events.log",
        b"{\"event\":\"agent.message_chunk\",\"seq\":1}\n{\"event\":\"tool.call\",\"seq\":300}\n",
    );
    let got = read_newest_records(&p, 50, &filter(&["agent.message_chunk"], None)).expect("read");
    assert_eq!(got, vec![json!({"event": "agent.message_chunk", "seq": 1})]);
}

#[test]
fn case_31_limit_after_seq_and_types() {
    let dir = Scratch::new("after");
    let p = dir.file(
        "events.log",
        concat!(
            "{\"event\":\"tool.call\",\"seq\":1}\n",
            "{\"event\":\"tool.call\",\"seq\":2}\n",
            "{\"event\":\"session.end\",\"seq\":3}\n",
            "{\"event\":\"agent.message_chunk\",\"seq\":4}\n",
        )
        .as_bytes(),
    );
    let f = filter(&["tool.call", "session.end"], Some(1.0));
    let got = read_newest_records(&p, 2, &f).expect("read");
    assert_eq!(seqs(&got), [json!(2), json!(3)]);
    assert_eq!(scan_whole_file(&p, 2, &f).expect("scan"), got);
}

#[test]
fn case_31_long_output_is_clipped_to_its_tail() {
    let long: String = (0..128 * 1024)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    let clipped = clip_record(json!({"event": "session.end", "output": long.clone()}));
    let out = clipped["output"].as_str().expect("string");
    assert_eq!(out.len(), CLIP_STRING_CHARS);
    assert!(long.ends_with(out));
}

#[test]
fn missing_file_is_an_error() {
    let dir = Scratch::new("missing");
    let p = dir.0.join("nope.log");
    assert!(read_newest_records(&p, 5, &EventFilter::default()).is_err());
    assert!(scan_whole_file(&p, 5, &EventFilter::default()).is_err());
}

#[test]
fn filter_rules() {
    let f = filter(&["tool.call"], Some(5.0));
    assert!(f.matches(&json!({"event": "tool.call", "seq": 6})));
    assert!(f.matches(&json!({"event": "tool.call"})));
    assert!(f.matches(&json!({"event": "", "type": "tool.call", "seq": "7"})));
    assert!(!f.matches(&json!({"event": "tool.call", "seq": 5})));
    assert!(!f.matches(&json!({"event": "tool.call", "seq": "5"})));
    assert!(!f.matches(&json!({"event": "agent.status", "type": "tool.call"})));
    assert!(!f.matches(&json!({"seq": 9})));
    assert!(!f.matches(&json!([1])));
    assert!(!EventFilter::default().matches(&json!(null)));
    assert!(EventFilter::default().matches(&json!({})));
    // A non-numeric seq is "no seq": kept.
    assert!(filter(&[], Some(1.0)).matches(&json!({"seq": "abc"})));
}

#[test]
fn clipping_rules() {
    let items: Vec<Value> = (0..40).map(|i| json!(i)).collect();
    assert_eq!(
        clip_record(Value::Array(items)),
        Value::Array((8..40).map(|i| json!(i)).collect())
    );
    let mut obj = Map::new();
    for i in 0..70 {
        obj.insert(format!("k{i}"), json!(i));
    }
    let clipped = clip_record(Value::Object(obj));
    let keys: Vec<&String> = clipped.as_object().expect("obj").keys().collect();
    assert_eq!(keys.len(), CLIP_OBJECT_KEYS);
    assert_eq!(keys[0], "k0");
    assert_eq!(keys[63], "k63");
    // Characters, not bytes: 4001 two-byte chars keep 4000 chars.
    let s = format!("x{}", "é".repeat(4000));
    assert_eq!(clip_record(json!(s)), json!("é".repeat(4000)));
    let short = "日".repeat(4000);
    assert_eq!(clip_record(json!(short.clone())), json!(short));
    // Nested values are clipped too.
    let nested = clip_record(json!({"a": [{"b": "z".repeat(5000)}]}));
    assert_eq!(nested["a"][0]["b"].as_str().map(str::len), Some(4000));
}

#[test]
fn line_shapes() {
    let dir = Scratch::new("shapes");
    let content = concat!(
        "\n",
        "{\"event\":\"a\",\"seq\":1}\r\n",
        "   \n",
        "{not json\n",
        "5\n",
        "{\"event\":\"b\",\"seq\":2,\"t\":\"h\u{e9}llo \u{1F600}\"}\r\n",
        "{\"event\":\"c\",\"seq\":3}",
    );
    let p = dir.file("events.log", content.as_bytes());
    let all = EventFilter::default();
    let want = vec![
        json!({"event": "a", "seq": 1}),
        json!({"event": "b", "seq": 2, "t": "h\u{e9}llo \u{1F600}"}),
        json!({"event": "c", "seq": 3}),
    ];
    assert_eq!(read_newest_records(&p, 10, &all).expect("read"), want);
    assert_eq!(scan_whole_file(&p, 10, &all).expect("scan"), want);
    for block in 1..=9 {
        let mut cur = Cursor::new(content.as_bytes());
        let got = newest_from(&mut cur, content.len() as u64, 10, &all, block).expect("read");
        assert_eq!(got, want, "block {block}");
    }
    assert_eq!(
        read_newest_records(&p, 0, &all).expect("read"),
        Vec::<Value>::new()
    );
    let empty = dir.file("empty.log", b"");
    assert!(read_newest_records(&empty, 3, &all)
        .expect("read")
        .is_empty());
}

/// xorshift64*: deterministic randomness without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<'a>(&mut self, items: &'a [&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const NAMES: [&str; 5] = [
    "agent.message_chunk",
    "tool.call",
    "tool.call_update",
    "session.end",
    "agent.status",
];

fn random_text(rng: &mut Rng) -> String {
    let len = match rng.below(40) {
        0 => 60_000 + rng.below(20_000),
        1..=12 => rng.below(2_000),
        _ => rng.below(60),
    };
    let alphabet = ["a", "b", " ", "é", "日", "\u{1F600}", "\\", "\""];
    (0..len)
        .map(|_| match rng.pick(&alphabet) {
            "\\" => "\\\\",
            "\"" => "\\\"",
            other => other,
        })
        .collect()
}

fn random_log(rng: &mut Rng) -> Vec<u8> {
    let mut out = String::new();
    let lines = rng.below(120);
    for seq in 1..=lines {
        let newline = if rng.below(5) == 0 { "\r\n" } else { "\n" };
        let line = match rng.below(12) {
            0 => String::new(),
            1 => "  \t ".to_string(),
            2 => format!("{{\"event\":\"{}\",\"seq\":", rng.pick(&NAMES)),
            3 => "[1,2]".to_string(),
            4 => format!(
                "{{\"type\":\"{}\",\"seq\":\"{seq}\",\"text\":\"{}\"}}",
                rng.pick(&NAMES),
                random_text(rng)
            ),
            5 => format!(
                "{{\"event\":\"{}\",\"text\":\"{}\"}}",
                rng.pick(&NAMES),
                random_text(rng)
            ),
            _ => format!(
                "{{\"event\":\"{}\",\"seq\":{seq},\"text\":\"{}\"}}",
                rng.pick(&NAMES),
                random_text(rng)
            ),
        };
        out.push_str(&line);
        if seq < lines || rng.below(2) == 0 {
            out.push_str(newline);
        }
    }
    out.into_bytes()
}

fn random_filter(rng: &mut Rng) -> EventFilter {
    let types = (0..rng.below(3))
        .map(|_| rng.pick(&NAMES).to_string())
        .collect();
    let after_seq = (rng.below(2) == 0).then(|| rng.below(120) as f64);
    EventFilter { types, after_seq }
}

#[test]
fn backwards_reader_matches_the_forward_scan() {
    let dir = Scratch::new("prop");
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for round in 0..60 {
        let content = random_log(&mut rng);
        let p = dir.file("events.log", &content);
        for _ in 0..4 {
            let f = random_filter(&mut rng);
            let limit = match rng.below(3) {
                0 => 1,
                1 => 1 + rng.below(10) as usize,
                _ => 1000,
            };
            // The backward reader clips as it keeps; the forward scan does not.
            let want: Vec<Value> = scan_whole_file(&p, limit, &f)
                .expect("scan")
                .into_iter()
                .map(clip_record)
                .collect();
            let got = read_newest_records(&p, limit, &f).expect("read");
            assert_eq!(got, want, "round {round} filter {f:?} limit {limit}");
            // Tiny blocks split every line and UTF-8 sequence; big files get
            // moderate blocks so the test stays quick.
            let block = if content.len() < 20_000 {
                1 + rng.below(64) as usize
            } else {
                1 + rng.below(4096) as usize
            };
            let mut cur = Cursor::new(content.as_slice());
            let small =
                newest_from(&mut cur, content.len() as u64, limit, &f, block).expect("read");
            assert_eq!(small, want, "round {round} block {block}");
        }
    }
}

/// Counts the bytes a reader hands out.
struct Counting<R> {
    inner: R,
    read: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

impl<R: Seek> Seek for Counting<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

impl<R: LogSource> LogSource for Counting<R> {
    fn is_hole(&mut self, start: u64, end: u64) -> bool {
        self.inner.is_hole(start, end)
    }
}

#[test]
fn cost_follows_the_newest_matches_not_the_file_size() {
    let dir = Scratch::new("sparse");
    let p = dir.0.join("big.log");
    // A 1 GiB log: a sparse hole (no disk use) followed by real records.
    let file = File::create(&p).expect("create");
    file.set_len(1 << 30).expect("set_len");
    drop(file);
    let mut tail = String::from("\n");
    for seq in 1..=200 {
        let name = if seq % 2 == 0 {
            "tool.call"
        } else {
            "agent.status"
        };
        tail.push_str(&format!("{{\"event\":\"{name}\",\"seq\":{seq}}}\n"));
    }
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&p)
            .expect("open");
        f.write_all(tail.as_bytes()).expect("append");
    }
    let len = std::fs::metadata(&p).expect("stat").len();
    let mut src = Counting {
        inner: File::open(&p).expect("open"),
        read: 0,
    };
    let f = filter(&["tool.call"], None);
    let got = newest_from(&mut src, len, 10, &f, BLOCK_SIZE).expect("read");
    assert_eq!(
        seqs(&got),
        (182..=200).step_by(2).map(|s| json!(s)).collect::<Vec<_>>()
    );
    assert!(src.read <= 2 * BLOCK_SIZE as u64, "read {} bytes", src.read);
    let started = std::time::Instant::now();
    let via_path = read_newest_records(&p, 10, &f).expect("read");
    assert_eq!(via_path, got);
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
}

/// Runs `f` on a thread of its own; still blocked after `limit` fails the
/// test instead of hanging it.
fn within<T: Send + 'static>(
    limit: std::time::Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit).expect("the call blocked")
}

#[test]
fn a_fifo_as_the_log_is_refused_at_once() {
    let dir = Scratch::new("fifo");
    let fifo = dir.0.join("events.log");
    crate::regular_file::make_fifo(&fifo);
    let path = fifo.clone();
    let err = within(std::time::Duration::from_secs(5), move || {
        read_newest_records(&path, 10, &EventFilter::default())
    })
    .expect_err("a FIFO is not a log");
    assert_eq!(err.to_string(), "not a regular file (it is a FIFO)");
}

/// Two stuck reads (one per worker of a two-worker runtime, as on a two-core
/// machine) must leave the workers free for every other task.
#[test]
fn stuck_reads_do_not_starve_the_async_workers() {
    use std::time::Duration;
    let other_ran = within(Duration::from_secs(10), || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let mut gates = Vec::new();
            let mut stuck = Vec::new();
            for _ in 0..2 {
                let (open, wait) = std::sync::mpsc::channel::<()>();
                gates.push(open);
                // Stands for a read that blocks (a FIFO, a hung network disk).
                stuck.push(tokio::spawn(off_workers(move || {
                    wait.recv().map_err(io::Error::other)
                })));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
            let other = tokio::spawn(async { 7 });
            let other_ran = tokio::time::timeout(Duration::from_secs(2), other).await;
            for gate in gates {
                gate.send(()).expect("release");
            }
            for read in stuck {
                read.await.expect("join").expect("read");
            }
            matches!(other_ran, Ok(Ok(7)))
        })
    });
    assert!(other_ran, "a task waited behind the stuck reads");
}

#[test]
fn the_off_worker_reader_returns_the_records() {
    let dir = Scratch::new("offworkers");
    let p = dir.file(
        "events.log",
        b"{\"event\":\"a\",\"seq\":1}\n{\"event\":\"b\",\"seq\":2}\n",
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let got = rt
        .block_on(read_newest_records_off_workers(
            p,
            1,
            EventFilter::default(),
        ))
        .expect("read");
    assert_eq!(got, vec![json!({"event": "b", "seq": 2})]);
}

#[test]
fn a_line_over_the_cap_is_skipped_counted_and_never_held() {
    const CAP: usize = 1000;
    let long_record = format!(
        "{{\"event\":\"a\",\"seq\":2,\"t\":\"{}\"}}",
        "x".repeat(5000)
    );
    let content = format!(
        "{}\n{{\"event\":\"a\",\"seq\":1}}\n{long_record}\n{}\n{{\"event\":\"a\",\"seq\":3}}\n",
        "y".repeat(3000),
        "z".repeat(CAP + 1),
    );
    let exactly_cap = format!(
        "{{\"event\":\"a\",\"seq\":4,\"t\":\"{}\"}}",
        "w".repeat(CAP - 30)
    );
    let exactly_cap = format!("{exactly_cap:<CAP$}");
    let content = format!("{content}{exactly_cap}");
    for block in [1, 7, 64, 4096] {
        let mut cur = Cursor::new(content.as_bytes());
        let all = EventFilter::default();
        let read =
            newest_matching(&mut cur, content.len() as u64, 10, &all, block, CAP).expect("read");
        // A valid record longer than the cap is skipped like the junk lines.
        assert_eq!(
            seqs(&read.records),
            [json!(1), json!(3), json!(4)],
            "block {block}"
        );
        assert_eq!(read.oversized_lines, 3, "block {block}");
        assert!(
            read.peak_line_bytes <= CAP,
            "held {} bytes",
            read.peak_line_bytes
        );
    }
}

/// A 4 GiB sparse file of zeros is one endless "line": it used to be held
/// whole (2.1 GB of memory for a 2 GB file) and took seconds. Now its hole is
/// jumped over; without hole support, at most one capped line is held.
#[test]
fn a_sparse_file_of_zeros_is_skipped_without_reading_it() {
    let dir = Scratch::new("zeros");
    let p = dir.0.join("events.log");
    let file = File::create(&p).expect("create");
    file.set_len(4 << 30).expect("set_len");
    let holes = File::open(&p).expect("open").is_hole(0, 4 << 30);
    if !holes {
        // Every byte would be read here: keep the test quick with a smaller
        // file that is still longer than the cap.
        file.set_len(3 * MAX_RECORD_BYTES as u64).expect("set_len");
    }
    drop(file);
    let len = std::fs::metadata(&p).expect("stat").len();
    let started = std::time::Instant::now();
    let read = read_newest(&p, 50, &EventFilter::default()).expect("read");
    let took = started.elapsed();
    assert!(read.records.is_empty());
    assert_eq!(read.oversized_lines, 1);
    assert!(read.peak_line_bytes <= MAX_RECORD_BYTES);
    let mut src = Counting {
        inner: File::open(&p).expect("open"),
        read: 0,
    };
    let all = EventFilter::default();
    let again = newest_matching(&mut src, len, 50, &all, BLOCK_SIZE, MAX_RECORD_BYTES);
    assert_eq!(again.expect("read"), read);
    if holes {
        assert_eq!(src.read, 0, "read {} bytes of a hole", src.read);
        assert!(took < std::time::Duration::from_secs(1), "took {took:?}");
    }
}

#[test]
fn records_around_a_hole_are_found_and_the_hole_line_is_dropped() {
    let dir = Scratch::new("holey");
    let p = dir.0.join("events.log");
    {
        use std::io::Write;
        let mut f = File::create(&p).expect("create");
        f.write_all(b"{\"event\":\"a\",\"seq\":1}\n{\"event\":\"a\",")
            .expect("write");
        // A 3 GiB hole in the middle of the second line, then more records.
        f.set_len(3 << 30).expect("set_len");
        f.seek(SeekFrom::End(0)).expect("seek");
        f.write_all(b"\"seq\":2}\n{\"event\":\"a\",\"seq\":3}\n")
            .expect("write");
    }
    let len = std::fs::metadata(&p).expect("stat").len();
    let mut src = Counting {
        inner: File::open(&p).expect("open"),
        read: 0,
    };
    let read = newest_matching(
        &mut src,
        len,
        50,
        &EventFilter::default(),
        BLOCK_SIZE,
        MAX_RECORD_BYTES,
    )
    .expect("read");
    assert_eq!(seqs(&read.records), [json!(1), json!(3)]);
    assert_eq!(read.oversized_lines, 1);
    assert!(read.peak_line_bytes <= MAX_RECORD_BYTES);
    if src.inner.is_hole(1 << 30, 2 << 30) {
        assert!(src.read < 1 << 20, "read {} bytes", src.read);
    }
}

#[test]
fn records_are_clipped_as_they_are_kept() {
    let dir = Scratch::new("clipkeep");
    let mut content = String::new();
    for seq in 1..=20 {
        let text = "t".repeat(200_000);
        content.push_str(&format!(
            "{{\"event\":\"a\",\"seq\":{seq},\"t\":\"{text}\"}}\n"
        ));
    }
    let p = dir.file("events.log", content.as_bytes());
    let got = read_newest_records(&p, 1000, &EventFilter::default()).expect("read");
    assert_eq!(got.len(), 20);
    for record in &got {
        assert_eq!(record["t"].as_str().map(str::len), Some(CLIP_STRING_CHARS));
    }
}
