//! `forkscope export` on the committed traces: the Perfetto / chrome://tracing
//! document and the normalized JSON stream, checked against the trace itself
//! (every expectation is computed from the events, not copied from the output).

mod common;

use common::*;
use forkscope::cli::export::export;
use forkscope::cli::ExportFormat;
use forkscope::trace::{read_all, Event, EventKind, ForkFlavor, Pid};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Stdio;

const TRACES: [&str; 3] = ["handmade-pipeline", "sh-pipeline", "sample"];

fn trace_path(name: &str) -> PathBuf {
    repo().join("fixtures/traces").join(format!("{name}.jsonl"))
}

fn events(name: &str) -> Vec<Event> {
    read_all(&trace_path(name)).unwrap().1
}

fn exported(name: &str, format: ExportFormat) -> String {
    String::from_utf8(
        export(
            &trace_path(name),
            format,
            forkscope::words::Lang::En,
            Vec::new(),
        )
        .unwrap(),
    )
    .unwrap()
}

/// The `traceEvents` of the Perfetto export.
fn perfetto(name: &str) -> Vec<Value> {
    let doc: Value = serde_json::from_str(&exported(name, ExportFormat::Perfetto)).unwrap();
    assert_eq!(doc["displayTimeUnit"], "ns");
    doc["traceEvents"].as_array().unwrap().clone()
}

/// A `ts` or `dur` in nanoseconds, read the strict way (double times 1000, truncated).
fn ns(v: &Value) -> u64 {
    (v.as_f64().expect("a number") * 1000.0) as u64
}

fn phase<'a>(doc: &'a [Value], ph: &str) -> Vec<&'a Value> {
    doc.iter().filter(|e| e["ph"] == ph).collect()
}

/// The last path component of argv[0].
fn basename(argv0: &str) -> String {
    argv0.rsplit('/').next().unwrap().to_string()
}

fn argv0(kind: &EventKind) -> String {
    match kind {
        EventKind::Spawn { argv, .. } | EventKind::Exec { argv, .. } => basename(&argv[0].lossy()),
        _ => panic!("no argv"),
    }
}

/// Processes (not threads) of a trace: the root and every forked process.
fn process_pids(evs: &[Event]) -> BTreeSet<Pid> {
    evs.iter()
        .filter_map(|e| match &e.kind {
            EventKind::Spawn { .. } => Some(e.pid),
            EventKind::Fork { child, flavor, .. } if *flavor != ForkFlavor::Thread => Some(*child),
            _ => None,
        })
        .collect()
}

/// The program each process runs after each event, worked out from the
/// events alone: spawn and exec set it, fork passes it on.
fn programs_after_each_event(evs: &[Event]) -> Vec<String> {
    let mut now: HashMap<Pid, String> = HashMap::new();
    evs.iter()
        .map(|e| {
            match &e.kind {
                EventKind::Spawn { .. } | EventKind::Exec { ok: true, .. } => {
                    now.insert(e.pid, argv0(&e.kind));
                }
                EventKind::Fork { child, .. } => {
                    let p = now[&e.pid].clone();
                    now.insert(*child, p);
                }
                _ => {}
            }
            now[&e.pid].clone()
        })
        .collect()
}

#[test]
fn perfetto_names_every_process_by_pid_and_last_program() {
    for name in TRACES {
        let evs = events(name);
        let doc = perfetto(name);
        let programs = programs_after_each_event(&evs);
        let mut last: BTreeMap<Pid, String> = BTreeMap::new();
        for (e, p) in evs.iter().zip(&programs) {
            last.insert(e.pid, p.clone());
        }
        let names: BTreeMap<Pid, String> = phase(&doc, "M")
            .into_iter()
            .filter(|e| e["name"] == "process_name")
            .map(|e| {
                (
                    e["pid"].as_i64().unwrap() as Pid,
                    e["args"]["name"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let want: BTreeMap<Pid, String> = process_pids(&evs)
            .into_iter()
            .map(|p| (p, format!("{p} {}", last[&p])))
            .collect();
        assert_eq!(names, want, "{name}");
    }
}

#[test]
fn the_handmade_pipeline_shows_its_root_echo_and_tr() {
    let evs = events("handmade-pipeline");
    let doc = perfetto("handmade-pipeline");
    let mut names: Vec<String> = phase(&doc, "M")
        .into_iter()
        .filter(|e| e["name"] == "process_name")
        .map(|e| {
            let n = e["args"]["name"].as_str().unwrap();
            n.split_once(' ').unwrap().1.to_string()
        })
        .collect();
    names.sort();
    assert_eq!(names, ["echo", "pipe_fork_exec", "tr"]);
    // Children sort right after their parent, and say whose child they are.
    let root = evs[0].pid;
    let labels: Vec<&Value> = phase(&doc, "M")
        .into_iter()
        .filter(|e| e["name"] == "process_labels" && e["pid"] != root)
        .map(|e| &e["args"]["labels"])
        .collect();
    assert_eq!(labels.len(), 2);
    for l in labels {
        let l = l.as_str().unwrap();
        assert!(
            l.starts_with(&format!("child of {root} pipe_fork_exec")),
            "{l}"
        );
    }
    let root_index = phase(&doc, "M")
        .into_iter()
        .find(|e| e["name"] == "process_sort_index" && e["pid"] == root)
        .unwrap();
    assert_eq!(root_index["args"]["sort_index"], 0);
}

#[test]
fn perfetto_has_a_slice_per_successful_exec_named_after_the_program() {
    for name in TRACES {
        let evs = events(name);
        let doc = perfetto(name);
        let execs: Vec<&Event> = evs
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Exec { ok: true, .. }))
            .collect();
        let slices: Vec<&Value> = phase(&doc, "X")
            .into_iter()
            .filter(|e| e["cat"] == "exec")
            .collect();
        assert_eq!(slices.len(), execs.len(), "{name}");
        for e in execs {
            let s = slices
                .iter()
                .find(|s| s["pid"] == e.pid && ns(&s["ts"]) == e.ts_ns)
                .unwrap_or_else(|| panic!("{name}: no slice for exec #{}", e.seq));
            assert_eq!(s["tid"], e.pid);
            assert_eq!(s["name"], argv0(&e.kind).as_str(), "{name} #{}", e.seq);
            assert_eq!(s["args"]["from_seq"], e.seq);
        }
    }
    let mut names: Vec<String> = phase(&perfetto("handmade-pipeline"), "X")
        .into_iter()
        .filter(|e| e["cat"] == "exec")
        .map(|e| e["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["echo", "pipe_fork_exec", "tr"]);
}

#[test]
fn a_process_runs_one_program_slice_after_another_from_birth_to_exit() {
    for name in TRACES {
        let evs = events(name);
        let doc = perfetto(name);
        let last_ts = evs.last().unwrap().ts_ns;
        for pid in process_pids(&evs) {
            let born = evs
                .iter()
                .find(|e| match &e.kind {
                    EventKind::Spawn { .. } => e.pid == pid,
                    EventKind::Fork { child, .. } => *child == pid,
                    _ => false,
                })
                .unwrap();
            let exit = evs
                .iter()
                .find(|e| e.pid == pid && matches!(e.kind, EventKind::Exit { .. }));
            let mut run: Vec<(u64, u64)> = phase(&doc, "X")
                .into_iter()
                .filter(|s| s["pid"] == pid && s["tid"] == pid && s["cat"] != "zombie")
                .map(|s| (ns(&s["ts"]), ns(&s["ts"]) + ns(&s["dur"])))
                .collect();
            run.sort();
            assert_eq!(run.first().unwrap().0, born.ts_ns, "{name} {pid}");
            assert_eq!(
                run.last().unwrap().1,
                exit.map_or(last_ts, |e| e.ts_ns),
                "{name} {pid}"
            );
            for w in run.windows(2) {
                assert_eq!(w[0].1, w[1].0, "{name} {pid}: a gap or an overlap");
            }
        }
    }
}

#[test]
fn every_fork_draws_an_arrow_from_the_parent_to_the_childs_first_slice() {
    for name in TRACES {
        let evs = events(name);
        let doc = perfetto(name);
        let forks: Vec<&Event> = evs
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Fork { .. }))
            .collect();
        assert_eq!(phase(&doc, "s").len(), forks.len(), "{name}");
        assert_eq!(phase(&doc, "f").len(), forks.len(), "{name}");
        for fork in forks {
            let EventKind::Fork { child, .. } = fork.kind else {
                unreachable!()
            };
            let s = phase(&doc, "s")
                .into_iter()
                .find(|e| e["id"] == fork.seq)
                .unwrap();
            let f = phase(&doc, "f")
                .into_iter()
                .find(|e| e["id"] == fork.seq)
                .unwrap();
            assert_eq!((&s["cat"], &s["name"]), (&f["cat"], &f["name"]));
            assert_eq!((&s["pid"], &s["tid"]), (&fork.pid.into(), &fork.pid.into()));
            assert_eq!((&f["pid"], &f["tid"]), (&child.into(), &child.into()));
            assert_eq!(f["bp"], "e");
            assert_eq!(ns(&s["ts"]), fork.ts_ns);
            assert_eq!(ns(&f["ts"]), fork.ts_ns);
            // The slice the arrow lands on starts at the fork.
            assert!(phase(&doc, "X")
                .iter()
                .any(|x| x["pid"] == child && x["tid"] == child && ns(&x["ts"]) == fork.ts_ns));
        }
    }
}

#[test]
fn a_child_is_a_zombie_from_its_exit_until_the_wait_that_reaps_it() {
    let mut reaped = 0;
    for name in TRACES {
        let evs = events(name);
        let doc = perfetto(name);
        let last = evs.last().unwrap();
        for exit in evs
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Exit { .. }))
        {
            let reap = evs.iter().find(|w| {
                w.seq > exit.seq
                    && matches!(w.kind, EventKind::Wait { reaped: Some(r), .. } if r == exit.pid)
            });
            let zombies: Vec<&Value> = phase(&doc, "X")
                .into_iter()
                .filter(|z| z["name"] == "zombie" && z["pid"] == exit.pid && z["tid"] == exit.pid)
                .collect();
            assert_eq!(zombies.len(), 1, "{name} {}", exit.pid);
            let z = zombies[0];
            assert_eq!(z["cat"], "zombie");
            assert_eq!(ns(&z["ts"]), exit.ts_ns, "{name} {}", exit.pid);
            let end = ns(&z["ts"]) + ns(&z["dur"]);
            match reap {
                Some(w) => {
                    reaped += 1;
                    assert_eq!(end, w.ts_ns, "{name} {}", exit.pid);
                    assert_eq!(z["args"]["reaped_by"], w.pid);
                    assert_eq!(z["args"]["until_seq"], w.seq);
                }
                None => {
                    assert_eq!(end, last.ts_ns, "{name} {}", exit.pid);
                    assert_eq!(z["args"]["reaped"], "not by the end of the trace");
                }
            }
        }
    }
    assert_eq!(reaped, 6, "two reaped children per trace");
}

#[test]
fn pipe_and_dup2_calls_are_instants_with_their_call_and_fds() {
    let evs = events("handmade-pipeline");
    let doc = perfetto("handmade-pipeline");
    let instants = phase(&doc, "i");
    for i in &instants {
        assert_eq!(i["s"], "t");
    }
    let quiet = evs
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::Spawn { .. }
                    | EventKind::Fork { .. }
                    | EventKind::Exec { ok: true, .. }
                    | EventKind::Exit { .. }
            )
        })
        .count();
    assert_eq!(instants.len(), evs.len() - quiet);

    let pipe = evs
        .iter()
        .find(|e| matches!(e.kind, EventKind::Pipe { .. }))
        .unwrap();
    let EventKind::Pipe {
        read_fd, write_fd, ..
    } = pipe.kind
    else {
        unreachable!()
    };
    let p = instants.iter().find(|i| i["name"] == "pipe").unwrap();
    assert_eq!((&p["pid"], &p["tid"]), (&pipe.pid.into(), &pipe.pid.into()));
    assert_eq!(ns(&p["ts"]), pipe.ts_ns);
    assert_eq!(p["cat"], "fd");
    assert_eq!(p["args"]["seq"], pipe.seq);
    assert_eq!(
        p["args"]["call"],
        format!("pipe([{read_fd}, {write_fd}]) pipe#1")
    );
    assert_eq!(
        (&p["args"]["read_fd"], &p["args"]["write_fd"]),
        (&read_fd.into(), &write_fd.into())
    );
    assert_eq!(p["args"]["pipe"], "pipe#1");

    let dups: Vec<&Event> = evs
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Dup { .. }))
        .collect();
    assert_eq!(dups.len(), 2);
    for d in dups {
        let EventKind::Dup { old_fd, new_fd, .. } = d.kind else {
            unreachable!()
        };
        let i = instants.iter().find(|i| i["args"]["seq"] == d.seq).unwrap();
        assert_eq!(i["name"], "dup2");
        assert_eq!((&i["pid"], &i["tid"]), (&d.pid.into(), &d.pid.into()));
        assert_eq!(ns(&i["ts"]), d.ts_ns);
        assert_eq!(i["args"]["call"], format!("dup2({old_fd}, {new_fd})"));
        assert_eq!(
            (&i["args"]["old_fd"], &i["args"]["new_fd"]),
            (&old_fd.into(), &new_fd.into())
        );
        assert_eq!(i["args"]["pipe"], "pipe#1");
        assert_eq!(i["args"]["closed"], "/dev/pts/0");
    }
}

#[test]
fn the_perfetto_export_of_the_handmade_pipeline_is_as_reviewed() {
    insta::assert_snapshot!(
        "perfetto_handmade_pipeline",
        exported("handmade-pipeline", ExportFormat::Perfetto)
    );
}

/// The JSON export as a list of elements.
fn normalized(name: &str) -> Vec<Value> {
    let text = exported(name, ExportFormat::Json);
    let v: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(text.lines().count(), v.len() + 2, "one element per line");
    v
}

#[test]
fn json_has_one_element_per_event_that_still_holds_the_event() {
    for name in TRACES {
        let evs = events(name);
        let elements = normalized(name);
        assert_eq!(elements.len(), evs.len(), "{name}");
        for (mut el, e) in elements.into_iter().zip(&evs) {
            let m = el.as_object_mut().unwrap();
            for added in ["process", "program", "call", "effect", "pipe", "closed"] {
                m.remove(added);
            }
            if let Some(Value::Array(fds)) = m.get_mut("fds") {
                for fd in fds {
                    fd.as_object_mut().unwrap().remove("pipe");
                }
            }
            let back: Event = serde_json::from_value(el).unwrap();
            assert_eq!(&back, e, "{name} #{}", e.seq);
        }
    }
}

#[test]
fn json_names_the_program_each_process_runs() {
    for name in TRACES {
        let evs = events(name);
        let programs = programs_after_each_event(&evs);
        for (el, want) in normalized(name).iter().zip(&programs) {
            assert_eq!(el["program"], want.as_str(), "{name} #{}", el["seq"]);
            assert!(el.get("process").is_none(), "no threads in {name}");
            assert!(el["call"].as_str().is_some_and(|c| !c.is_empty()));
        }
    }
    // In the handmade pipeline the children run the parent's program until they exec.
    let evs = events("handmade-pipeline");
    let el = normalized("handmade-pipeline");
    let first_dup = evs
        .iter()
        .position(|e| matches!(e.kind, EventKind::Dup { .. }))
        .unwrap();
    assert_eq!(el[first_dup]["program"], "pipe_fork_exec");
    let progs: BTreeSet<&str> = el.iter().map(|e| e["program"].as_str().unwrap()).collect();
    assert_eq!(progs, BTreeSet::from(["echo", "pipe_fork_exec", "tr"]));
}

#[test]
fn json_names_pipes_instead_of_inodes() {
    let evs = events("handmade-pipeline");
    let el = normalized("handmade-pipeline");
    for (e, el) in evs.iter().zip(&el) {
        match &e.kind {
            EventKind::Pipe { .. } | EventKind::Dup { .. } => assert_eq!(el["pipe"], "pipe#1"),
            EventKind::Exec {
                ok: true,
                fds: Some(fds),
                ..
            } => {
                for (fd, out) in fds.iter().zip(el["fds"].as_array().unwrap()) {
                    match fd.pipe_inode() {
                        Some(_) => assert_eq!(out["pipe"], "pipe#1"),
                        None => assert!(out.get("pipe").is_none()),
                    }
                }
            }
            EventKind::Close { .. } => match el["closed"].as_str() {
                Some(c) if c.starts_with("pipe#1") => assert_eq!(el["pipe"], "pipe#1"),
                _ => assert!(el.get("pipe").is_none(), "#{}", e.seq),
            },
            _ => assert!(el.get("pipe").is_none(), "#{}", e.seq),
        }
    }
    // The last write end closing is where the reader sees EOF.
    let eof = el
        .iter()
        .find(|e| e["effect"].as_str().is_some_and(|s| s.contains("sees EOF")))
        .unwrap();
    assert_eq!(eof["kind"], "close");
    assert_eq!(eof["closed"], "pipe#1 write end");
}

#[test]
fn export_writes_the_file_named_by_o_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t.perfetto.json");
    let o = forkscope()
        .args(["export", "--format", "perfetto", "-o"])
        .arg(&out)
        .arg(trace_path("sh-pipeline"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(o.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        format!("forkscope: wrote {}\n", out.display())
    );
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert!(doc["traceEvents"].as_array().unwrap().len() > 10);
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        exported("sh-pipeline", ExportFormat::Perfetto)
    );
}

#[test]
fn export_to_stdout_writes_the_document_and_nothing_else() {
    let o = forkscope()
        .args(["export", "--format", "json"])
        .arg(trace_path("sample"))
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        String::from_utf8(o.stdout).unwrap(),
        exported("sample", ExportFormat::Json)
    );
}

#[test]
fn export_refuses_to_write_over_the_trace_it_reads() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("t.jsonl");
    std::fs::copy(trace_path("sample"), &t).unwrap();
    let before = std::fs::read(&t).unwrap();
    let o = forkscope()
        .args(["export", "--format", "json", "-o"])
        .arg(&t)
        .arg(&t)
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("is the trace being exported"));
    assert_eq!(std::fs::read(&t).unwrap(), before);
}

#[test]
fn a_broken_trace_leaves_no_output_file_behind() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("bad.jsonl");
    let mut text = std::fs::read_to_string(trace_path("sample")).unwrap();
    text.push_str("{\"seq\":\"not a number\"}\n{}\n");
    std::fs::write(&t, text).unwrap();
    let out = dir.path().join("out.json");
    let o = forkscope()
        .args(["export", "--format", "perfetto", "-o"])
        .arg(&out)
        .arg(&t)
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("forkscope: error:"));
    assert!(!out.exists());
}

/// A trace of `n` open/close pairs after a spawn: large enough to fill a pipe.
fn big_trace(path: &Path, n: u64) {
    let mut lines = std::fs::read_to_string(trace_path("sample"))
        .unwrap()
        .lines()
        .take(2)
        .map(str::to_string)
        .collect::<Vec<_>>();
    let pid = events("sample")[0].pid;
    for i in 0..n {
        let (seq, ts) = (1 + 2 * i, 1_000_000 + 2_000 * i);
        lines.push(format!(
            r#"{{"seq":{seq},"ts_ns":{ts},"pid":{pid},"kind":"open","fd":3,"path":"/etc/passwd","flags":"O_RDONLY"}}"#
        ));
        lines.push(format!(
            r#"{{"seq":{},"ts_ns":{},"pid":{pid},"kind":"close","fd":3}}"#,
            seq + 1,
            ts + 1_000
        ));
    }
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

#[test]
fn a_reader_that_stops_early_ends_the_export_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("big.jsonl");
    big_trace(&t, 2_000);
    for format in ["perfetto", "json"] {
        let mut child = forkscope()
            .args(["export", "--format", format])
            .arg(&t)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut head = [0u8; 16];
        child.stdout.take().unwrap().read_exact(&mut head).unwrap();
        // The read end is dropped here: the next writes fail with EPIPE.
        let o = child.wait_with_output().unwrap();
        assert!(o.status.success(), "{format}: {:?}", o.status);
        assert!(
            o.stderr.is_empty(),
            "{format}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

/// Both exports are written in one pass, as the trace is read: neither
/// needs a temporary file, so an unwritable `TMPDIR` changes nothing.
#[test]
fn the_exports_need_no_temporary_directory() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("gone");
    for format in ["perfetto", "json"] {
        let with = |tmp: &std::path::Path| {
            forkscope()
                .arg("export")
                .arg(trace_path("sample"))
                .args(["-f", format])
                .env("TMPDIR", tmp)
                .output()
                .unwrap()
        };
        let out = with(&missing);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{format}: {err}");
        assert!(!out.stdout.is_empty(), "{format}");
        assert!(out.stdout == with(dir.path()).stdout, "{format}");
    }
}
