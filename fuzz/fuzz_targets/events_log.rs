//! The backward event-log reader over an arbitrary file, differentially: with
//! tiny blocks and a tiny line cap it must return what the plain forward scan
//! (`scan_whole_file`) returns once over-cap lines are blanked, clipped the
//! same way; it never holds more than the cap of one line; it counts every
//! over-cap line it passed.
#![no_main]

use std::fs::File;
use std::path::PathBuf;

use avenor_core::events_log::{clip_record, newest_matching, scan_whole_file, EventFilter};
use libfuzzer_sys::fuzz_target;

/// Event names the filter may ask for (the seeds use them).
const NAMES: [&str; 4] = ["agent.message_chunk", "session.end", "agent.status", ""];

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let (knobs, log) = data.split_at(4);
    let block = 1 + usize::from(knobs[0] % 64);
    let max_line = 1 + usize::from(knobs[1]);
    let limit = usize::from(knobs[2] % 8);
    let filter = filter_from(knobs[3]);

    let (log_path, oracle_path) = temp_paths();
    std::fs::write(&log_path, log).expect("write log");
    std::fs::write(&oracle_path, blank_long_lines(log, max_line)).expect("write oracle");

    let want: Vec<_> = scan_whole_file(&oracle_path, limit, &filter)
        .expect("forward scan")
        .into_iter()
        .map(clip_record)
        .collect();
    let total_long = log
        .split(|&b| b == b'\n')
        .filter(|l| l.len() > max_line)
        .count();
    for block in [block, 4096] {
        let mut file = File::open(&log_path).expect("open log");
        let len = log.len() as u64;
        let got = newest_matching(&mut file, len, limit, &filter, block, max_line)
            .expect("backward read");
        assert_eq!(
            got.records, want,
            "block {block}, cap {max_line}, limit {limit}"
        );
        assert!(got.peak_line_bytes <= max_line, "held more than the cap");
        assert!(got.oversized_lines <= total_long);
        if limit > 0 && got.records.len() < limit {
            // It read the whole file, so it passed every long line.
            assert_eq!(got.oversized_lines, total_long);
        }
    }
});

fn filter_from(knob: u8) -> EventFilter {
    let types = match knob & 3 {
        0 => Vec::new(),
        n => NAMES[..usize::from(n)]
            .iter()
            .map(|s| s.to_string())
            .collect(),
    };
    // Small thresholds so the seeds' `seq` values fall on both sides.
    let after_seq = (knob & 4 != 0).then(|| f64::from(knob >> 3) - 2.0);
    EventFilter { types, after_seq }
}

/// The log with every line longer than the cap emptied (the backward reader
/// skips them; an empty line is no record in either reader).
fn blank_long_lines(log: &[u8], max_line: usize) -> Vec<u8> {
    let lines: Vec<&[u8]> = log.split(|&b| b == b'\n').collect();
    let kept: Vec<&[u8]> = lines
        .into_iter()
        .map(|l| if l.len() > max_line { &[][..] } else { l })
        .collect();
    kept.join(&b'\n')
}

/// One pair of files per fuzzing process, rewritten for every input.
fn temp_paths() -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir();
    let pid = std::process::id();
    (
        dir.join(format!("avenor-fuzz-{pid}.log")),
        dir.join(format!("avenor-fuzz-{pid}.oracle")),
    )
}
