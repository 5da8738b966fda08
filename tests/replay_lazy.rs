//! The lazy replay paths (`Replay::skip_to`: `replay --at`, `diagram --at`,
//! `tree` apply the events before the one they show without building their
//! steps) end in the same model, labels and step, and so print the same
//! text, as stepping through every event does, at every event of the
//! committed traces and of a real program's recording.

mod common;

use common::*;
use forkscope::render::state;
use forkscope::render::style::Style;
use forkscope::replay::Replay;
use forkscope::words::Lang;
use std::path::Path;

/// What `replay --at SEQ` shows, by stepping through every event (the
/// path before `skip_to`) and by skipping: the model and step as Debug
/// text, and the state text in both languages.
fn both_ways(trace: &Path, seq: u64) -> (String, String) {
    let show = |r: &Replay<_>, step: &forkscope::replay::Step| {
        let style = Style::plain();
        // (Labels keep std HashMaps, whose Debug order differs between two
        // instances: the pipe names they give are in the texts.)
        let mut out = format!("{:?}\n{step:?}\n", r.model);
        for lang in [Lang::En, Lang::Zh] {
            let line = state::timeline_line(lang, r, step, &style);
            out += &state::text(lang, r, &line, None, &style);
        }
        out
    };
    let mut eager = Replay::open(trace).unwrap();
    eager.words_only();
    eager.narrate_from(seq);
    let mut shown = None;
    while let Some(step) = eager.step().unwrap() {
        if step.event.seq >= seq {
            shown = Some(show(&eager, &step));
            break;
        }
    }
    let mut lazy = Replay::open(trace).unwrap();
    lazy.words_only();
    lazy.narrate_from(seq);
    let skipped = lazy.skip_to(seq).unwrap();
    let step = skipped.step.expect("the trace has the event");
    (shown.expect("the trace has the event"), show(&lazy, &step))
}

fn agree_at_every_event(trace: &Path) -> usize {
    let seqs: Vec<u64> = forkscope::trace::read_all(trace)
        .unwrap()
        .1
        .iter()
        .map(|e| e.seq)
        .collect();
    for &seq in &seqs {
        let (eager, lazy) = both_ways(trace, seq);
        assert_eq!(eager, lazy, "{} at seq {seq}", trace.display());
    }
    seqs.len()
}

#[test]
fn skipping_to_an_event_shows_what_stepping_to_it_shows_on_every_committed_trace() {
    for t in [
        "sample.jsonl",
        "handmade-pipeline.jsonl",
        "sh-pipeline.jsonl",
        "every-kind.jsonl",
        "hostile.jsonl",
        "redirect.jsonl",
        "attached.jsonl",
    ] {
        let n = agree_at_every_event(&repo().join("fixtures/traces").join(t));
        assert!(n > 0, "{t} has events");
    }
}

#[test]
fn skipping_to_an_event_shows_what_stepping_to_it_shows_on_a_recorded_pipeline() {
    // Forks, a pipe, dup2s, an exec with an escaped argv, a file, waits.
    let rec = record(&[
        "sh",
        "-c",
        "printf 'a\\nb\\n' | wc -l >/dev/null; exec 3</dev/null; cat <&3 >/dev/null; true",
    ]);
    assert!(rec.out.status.success(), "{}", rec.stderr());
    assert!(rec.count("pipe") >= 1 && rec.count("exec") >= 2);
    agree_at_every_event(&rec.trace);
    // The end of the trace: what `tree` reads.
    let mut r = Replay::open(&rec.trace).unwrap().without_narration();
    let end = r.skip_to(u64::MAX).unwrap();
    assert!(end.step.is_none());
    let last = rec.events.last().unwrap();
    assert_eq!(end.last, Some((last.seq, last.ts_ns)));
}

#[test]
fn skipping_past_the_end_names_the_last_event_and_an_empty_trace_has_none() {
    let t = repo().join("fixtures/traces/sample.jsonl");
    let (_, events, _) = forkscope::trace::read_all(&t).unwrap();
    let last = events.last().unwrap();
    let end = Replay::open(&t).unwrap().skip_to(last.seq + 1).unwrap();
    assert!(end.step.is_none());
    assert_eq!(end.last, Some((last.seq, last.ts_ns)));
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.jsonl");
    let header = std::fs::read_to_string(&t).unwrap();
    std::fs::write(&empty, format!("{}\n", header.lines().next().unwrap())).unwrap();
    let none = Replay::open(&empty).unwrap().skip_to(0).unwrap();
    assert!(none.step.is_none() && none.last.is_none());
}
