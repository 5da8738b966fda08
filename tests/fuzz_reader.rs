//! Fuzzing the trace reader with proptest (cargo-fuzz needs a nightly
//! toolchain; this runs on stable). Damaged traces — bytes flipped, lines cut,
//! duplicated, reordered or replaced with junk — must never panic the reader:
//! it returns events, warnings, or an error naming a line that exists.
//!
//! CI runs the default number of cases; for a long run:
//! `PROPTEST_CASES=200000 cargo test --release --test fuzz_reader`.

use forkscope::trace::reader::read_from;
use forkscope::trace::TraceError;
use proptest::prelude::*;

const SAMPLE: &str = include_str!("../fixtures/traces/sample.jsonl");

#[derive(Debug, Clone)]
enum Damage {
    Flip(usize, u8),
    Truncate(usize),
    DuplicateLine(usize),
    DropLine(usize),
    SwapLines(usize, usize),
    InsertJunk(usize, Vec<u8>),
    InsertEvent(usize, String),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Damage::Flip(i, b)),
        any::<usize>().prop_map(Damage::Truncate),
        any::<usize>().prop_map(Damage::DuplicateLine),
        any::<usize>().prop_map(Damage::DropLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Damage::SwapLines(a, b)),
        (
            any::<usize>(),
            proptest::collection::vec(any::<u8>(), 0..64)
        )
            .prop_map(|(i, v)| Damage::InsertJunk(i, v)),
        (any::<usize>(), event_json()).prop_map(|(i, s)| Damage::InsertEvent(i, s)),
    ]
}

/// Event-shaped JSON with plausible and implausible values.
fn event_json() -> impl Strategy<Value = String> {
    let kind = prop_oneof![
        Just("close"),
        Just("dup"),
        Just("fork"),
        Just("exit"),
        Just("pipe"),
        Just("exec"),
        Just("wait"),
        Just("teleport"),
    ];
    (any::<u64>(), any::<i32>(), kind, any::<i64>(), any::<i64>()).prop_map(
        |(seq, pid, kind, a, b)| {
            format!(
                r#"{{"seq":{seq},"ts_ns":1,"pid":{pid},"kind":"{kind}","fd":{a},"old_fd":{a},"new_fd":{b},"via":"dup2","child":{b},"flavor":"fork","shares_fds":false,"syscall":"clone","status":{{"exited":{a}}}}}"#
            )
        },
    )
}

fn apply(mut text: Vec<u8>, d: &Damage) -> Vec<u8> {
    let mut lines: Vec<Vec<u8>> = text.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    let n = lines.len().max(1);
    match d {
        Damage::Flip(i, b) => {
            if !text.is_empty() {
                let at = i % text.len();
                text[at] ^= b | 1;
            }
            return text;
        }
        Damage::Truncate(i) => {
            text.truncate(i % (text.len() + 1));
            return text;
        }
        Damage::DuplicateLine(i) => {
            let l = lines[i % n].clone();
            lines.insert(i % n, l);
        }
        Damage::DropLine(i) => {
            lines.remove(i % n);
        }
        Damage::SwapLines(a, b) => lines.swap(a % n, b % n),
        Damage::InsertJunk(i, junk) => lines.insert(i % n, junk.clone()),
        Damage::InsertEvent(i, ev) => lines.insert(i % n, ev.clone().into_bytes()),
    }
    lines.join(&b'\n')
}

proptest! {
    #[test]
    fn damaged_traces_never_panic_the_reader(ds in proptest::collection::vec(damage(), 1..6)) {
        let mut text = SAMPLE.as_bytes().to_vec();
        for d in &ds {
            text = apply(text, d);
        }
        let lines = text.split(|&b| b == b'\n').count() as u64;
        match read_from(&text[..]) {
            Ok((_, events, _)) => {
                let mut prev = None;
                for e in &events {
                    prop_assert!(prev.is_none_or(|p| e.seq > p), "events come out in order");
                    prev = Some(e.seq);
                }
            }
            Err(TraceError::Format { line, msg, .. }) => {
                prop_assert!(line >= 1 && line <= lines, "line {line} of {lines}: {msg}");
            }
            Err(e) => prop_assert!(false, "unexpected error kind: {e}"),
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_reader(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = read_from(&bytes[..]);
    }
}

#[test]
fn the_undamaged_sample_reads_cleanly() {
    let (h, events, warnings) = read_from(SAMPLE.as_bytes()).unwrap();
    assert_eq!(h.version, 1);
    assert!(events.len() > 20);
    assert!(warnings.is_empty());
}
