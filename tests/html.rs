//! The SVG drawing and the step-through HTML page: snapshots of a small
//! hand-built scene, the page's structure for the committed traces, content
//! from a hostile trace staying text, and the page running in a real headless
//! Chromium (which CI installs; elsewhere those tests skip with a note).

use forkscope::render::html::{page, HtmlStep};
use forkscope::render::narrate;
use forkscope::render::scene::{
    EventInfo, FdRow, PipeNode, PipeRef, ProcBox, Scene, SceneOptions, SharedFile, Warning,
};
use forkscope::render::svg;
use forkscope::replay::{touched, Replay};
use forkscope::trace::{EventKind, Pid};
use forkscope::words::Lang;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// What the diagram command does: replay the trace and keep the scene after
/// every event, with a timeline line for each.
fn steps_of(trace: &Path) -> (String, Vec<HtmlStep>) {
    steps_in(Lang::En, trace)
}

/// [`steps_of`], its words in `lang`.
fn steps_in(lang: Lang, trace: &Path) -> (String, Vec<HtmlStep>) {
    let mut r = Replay::open(trace).unwrap();
    let title = r
        .header()
        .argv
        .iter()
        .map(|a| a.lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    let mut steps = Vec::new();
    while let Some(step) = r.step().unwrap() {
        let ev = &step.event;
        let call = narrate::call(ev, &r.labels);
        let info = EventInfo {
            seq: ev.seq,
            pid: ev.pid,
            call: call.clone(),
            sentence: narrate::sentence(lang, &r.model, ev, &step.before, &step.applied, &r.labels),
        };
        let scene = Scene::build(
            &r.model,
            &r.labels,
            title.clone(),
            Some(info),
            &touched(ev),
            &SceneOptions {
                lang,
                ..SceneOptions::default()
            },
        );
        steps.push(HtmlStep {
            seq: ev.seq,
            line: format!("{:>4} {:>7} {call}", ev.seq, ev.pid),
            scene,
            kind: ev.kind.name(),
            library: false,
        });
    }
    (title, steps)
}

fn fixture(name: &str) -> PathBuf {
    repo().join("fixtures/traces").join(name)
}

/// The first event of a kind (its seq).
fn first_seq(steps: &[HtmlStep], trace: &Path, want: fn(&EventKind) -> bool) -> usize {
    let (_, events, _) = forkscope::trace::read_all(trace).unwrap();
    let seq = events.iter().find(|e| want(&e.kind)).unwrap().seq;
    steps.iter().position(|s| s.seq == seq).unwrap()
}

/// Undoes the entities an HTML serializer or our escaper writes.
fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

/// The text of every `<text>` element of an SVG, in order, unescaped.
fn texts(svg: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(i) = rest.find("<text") {
        rest = &rest[i..];
        let open_end = rest.find('>').unwrap();
        let close = rest.find("</text>").unwrap();
        let inner = &rest[open_end + 1..close];
        let mut plain = String::new();
        let mut in_tag = false;
        for c in inner.chars() {
            match c {
                '<' => in_tag = true,
                '>' => in_tag = false,
                c if !in_tag => plain.push(c),
                _ => {}
            }
        }
        out.push(unescape(&plain));
        rest = &rest[close + 7..];
    }
    out
}

/// Each step's SVG in the compact view, rebuilt from the page's changes as
/// the page's script does.
fn drawings(data: &serde_json::Value) -> Vec<String> {
    view_drawings(data, 4)
}

/// Each step's drawing in the view stored in column `col` of a step (4:
/// compact, 5: kernel): the tokens it copies from the step before (`-count`
/// from the cursor, `[start, count]` from start) and the new ones (a
/// token's number, standing in for one old token), joined, with the
/// numbers of arrows and widths put back from the boxes they are measured
/// from.
fn view_drawings(data: &serde_json::Value, col: usize) -> Vec<String> {
    let tokens: Vec<&str> = data["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    let mut prev: Vec<usize> = Vec::new();
    let mut out = Vec::new();
    for s in data["steps"].as_array().unwrap() {
        let (mut cur, mut pos) = (Vec::new(), 0);
        for op in s[col].as_array().unwrap() {
            match (op.as_array(), op.as_i64().unwrap_or(0)) {
                (Some(run), _) => {
                    let start = run[0].as_u64().unwrap() as usize;
                    pos = start + run[1].as_u64().unwrap() as usize;
                    cur.extend_from_slice(&prev[start..pos]);
                }
                (None, count) if count < 0 => {
                    cur.extend_from_slice(&prev[pos..pos + count.unsigned_abs() as usize]);
                    pos += count.unsigned_abs() as usize;
                }
                (None, token) => {
                    cur.push(token as usize);
                    pos += 1;
                }
            }
        }
        let joined = cur.iter().map(|t| tokens[*t]).collect::<String>();
        out.push(forkscope::render::html::put_numbers_back(&joined));
        prev = cur;
    }
    out
}

/// The JSON data block of a page.
fn data(page: &str) -> serde_json::Value {
    let start = page.find("id=\"fs-data\">").unwrap() + "id=\"fs-data\">".len();
    let end = start + page[start..].find("</script>").unwrap();
    serde_json::from_str(&page[start..end]).unwrap()
}

// ---------------------------------------------------------------- SVG

fn row(fd: i32, label: &str, pipe: Option<(u32, &'static str)>, open_file: &str) -> FdRow {
    FdRow {
        fd,
        cloexec: false,
        label: label.into(),
        kind: if pipe.is_some() { "pipe" } else { "tty" },
        pipe: pipe.map(|(number, end)| PipeRef { number, end }),
        open_file: open_file.into(),
        refcount: 1,
        highlight: false,
        new: false,
    }
}

fn proc_box(pid: Pid, parent: Option<Pid>, program: &str, fds: Vec<FdRow>) -> ProcBox {
    ProcBox {
        pid,
        parent,
        depth: usize::from(parent.is_some()),
        program: program.into(),
        chain: vec!["sh".into(), program.into()],
        state: "running",
        threads: 0,
        fds,
        hidden_files: 0,
        highlight: false,
        new: false,
        ghosts: Vec::new(),
    }
}

/// `sh -c 'echo hi | tr a-z A-Z'` just after the reader's dup2, the shell
/// still holding the write end (so its reader warns), the writer a zombie.
fn small_scene() -> Scene {
    let tty = |fd| {
        let mut r = row(fd, "/dev/pts/0", None, "#0");
        r.refcount = 7;
        r
    };
    let mut sh = proc_box(10, None, "sh", vec![tty(0), tty(1), tty(2)]);
    sh.chain = vec!["sh".into()];
    let mut w = row(4, "pipe#1 write end", Some((1, "write")), "#4");
    w.refcount = 2;
    w.cloexec = true;
    sh.fds.push(w.clone());
    let mut echo = proc_box(11, Some(10), "echo", vec![tty(0), tty(2)]);
    echo.fds.insert(1, {
        let mut r = w.clone();
        r.fd = 1;
        r.cloexec = false;
        r
    });
    echo.state = "zombie";
    let mut rd = row(0, "pipe#1 read end", Some((1, "read")), "#3");
    rd.highlight = true;
    let mut tr = proc_box(12, Some(10), "tr", vec![rd, tty(1), tty(2)]);
    tr.highlight = true;
    tr.fds.push(row(
        3,
        "/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache & <more>",
        None,
        "#9",
    ));
    Scene {
        title: "sh -c 'echo hi | tr a-z A-Z'".into(),
        event: Some(EventInfo {
            seq: 18,
            pid: 12,
            call: "dup2(3, 0)".into(),
            sentence: Some("fd 0 now reads from pipe#1; it was /dev/pts/0".into()),
        }),
        processes: vec![sh, echo, tr],
        pipes: vec![PipeNode {
            number: 1,
            label: "pipe#1".into(),
            origin: "created",
            readers: vec![(12, 0)],
            writers: vec![(10, 4), (11, 1)],
            unknown: vec![],
        }],
        shared: vec![SharedFile {
            id: "#0".into(),
            label: "/dev/pts/0".into(),
            holders: vec![
                (10, 0),
                (10, 1),
                (10, 2),
                (11, 0),
                (11, 2),
                (12, 1),
                (12, 2),
            ],
        }],
        warnings: vec![
            Warning {
                pid: 11,
                fd: None,
                text: "11 is a zombie: it exited and its parent has not waited for it".into(),
            },
            Warning {
                pid: 10,
                fd: Some(4),
                text: "10 holds pipe#1's write end (fd 4): tr never sees EOF while it does".into(),
            },
        ],
        open_files: Vec::new(),
        lang: Default::default(),
    }
}

#[test]
fn a_small_scene_draws_as_in_the_snapshot() {
    insta::assert_snapshot!(svg::render(&small_scene()));
}

/// `make -j` at scale: 1,000 children in a tree three deep, each reading the
/// pipe of the one before and writing its own (a 999-stage pipeline), and
/// all of them holding both ends of one jobserver pipe.
#[test]
fn a_thousand_processes_draw_in_well_under_a_second() {
    let mut processes = vec![proc_box(
        1,
        None,
        "make",
        vec![row(0, "/dev/null", None, "#0")],
    )];
    let jobserver = 5000;
    let mut pipes = Vec::new();
    let mut tokens = PipeNode {
        number: jobserver,
        label: format!("pipe#{jobserver}"),
        origin: "created",
        readers: vec![],
        writers: vec![],
        unknown: vec![],
    };
    for i in 0..1000u32 {
        let pid = 100 + i as Pid;
        let mut fds = vec![
            row(0, "/dev/null", None, "#0"),
            row(1, "/tmp/build.log", None, "#1"),
            row(3, "pipe#5000 read end", Some((jobserver, "read")), "#j"),
            row(4, "pipe#5000 write end", Some((jobserver, "write")), "#k"),
        ];
        if i > 0 {
            fds[0] = row(0, &format!("pipe#{i} read end"), Some((i, "read")), "#r");
        }
        if i < 999 {
            let p = i + 1;
            fds[1] = row(1, &format!("pipe#{p} write end"), Some((p, "write")), "#w");
            pipes.push(PipeNode {
                number: p,
                label: format!("pipe#{p}"),
                origin: "created",
                readers: vec![(pid + 1, 0)],
                writers: vec![(pid, 1)],
                unknown: vec![],
            });
        }
        tokens.readers.push((pid, 3));
        tokens.writers.push((pid, 4));
        let parent = if i % 3 == 0 { 1 } else { pid - 1 };
        let mut b = proc_box(pid, Some(parent), "cc1", fds);
        b.depth = 1 + i as usize % 3;
        processes.push(b);
    }
    pipes.push(tokens);
    let scene = Scene {
        title: "make -j".into(),
        processes,
        pipes,
        ..Scene::default()
    };
    let t = Instant::now();
    let out = svg::render(&scene);
    let size = between(&out, "viewBox=\"0 0 ", "\"");
    eprintln!(
        "1001 processes, 1000 pipes: {} KiB of SVG, {size} px, in {:?}",
        out.len() / 1024,
        t.elapsed()
    );
    assert_eq!(out.matches("<g class=\"fs-proc").count(), 1001);
    assert_eq!(out.matches("class=\"fs-tube\"").count(), 1000);
    assert_eq!(
        out.matches("marker-end=\"url(#fs-aw)\"").count(),
        999 + 1000
    );
    assert_eq!(
        out.matches("marker-end=\"url(#fs-ar)\"").count(),
        999 + 1000
    );
    assert_eq!(out.matches("class=\"fs-link\"").count(), 1000);
    assert!(out.contains("data-pid=\"1099\""));
    assert!(out.ends_with("</svg>\n"));
}

// ---------------------------------------------------------------- the page

#[test]
fn the_page_is_self_contained_and_holds_every_step() {
    for name in ["handmade-pipeline.jsonl", "sh-pipeline.jsonl"] {
        let (title, steps) = steps_of(&fixture(name));
        let t = Instant::now();
        let p = page(Lang::En, &title, &steps);
        eprintln!(
            "{name}: {} steps, {} distinct tokens, {} KiB page in {:?}",
            steps.len(),
            data(&p)["tokens"].as_array().unwrap().len(),
            p.len() / 1024,
            t.elapsed()
        );
        // Nothing fetched: the only URL is the SVG namespace name.
        let without_ns = p
            .replace("xmlns=\"http://www.w3.org/2000/svg\"", "")
            .replace("xmlns=\\\"http://www.w3.org/2000/svg\\\"", "")
            // The data's token of it (the drawings are cut after each quote).
            .replace("\"http://www.w3.org/2000/svg\\\"\"", "");
        for bad in [
            "http://", "https://", " src=", " href=", "<link", "@import", "url(http",
        ] {
            assert!(!without_ns.contains(bad), "{name}: page contains {bad:?}");
        }
        assert_eq!(
            p.matches("<script").count(),
            2,
            "{name}: the data and the code"
        );
        assert!(p.contains(&format!("<title>{title} \u{2014} forkscope</title>")));
        assert!(p.contains(&format!("<h1 title=\"{title}\">{title}</h1>")));
        assert!(p.contains(&format!("{} steps", steps.len())));
        assert!(p.contains(&format!("step 1 of {}", steps.len())));
        let d = data(&p);
        let rows = d["steps"].as_array().unwrap();
        let svgs = drawings(&d);
        assert_eq!(rows.len(), steps.len());
        // Steps are stored as changes: the page's data is a small part of
        // the drawings it rebuilds.
        let kernel_svgs = view_drawings(&d, 5);
        assert_eq!(kernel_svgs.len(), steps.len());
        let drawn: usize = svgs.iter().chain(&kernel_svgs).map(String::len).sum();
        let stored = d.to_string().len();
        eprintln!(
            "{name}: {} KiB of drawings in {} KiB of data",
            drawn / 1024,
            stored / 1024
        );
        assert!(
            stored * 4 < drawn,
            "{name}: {stored} bytes of data for {drawn} drawn"
        );
        for (s, k) in steps.iter().zip(&kernel_svgs) {
            let full = texts(&forkscope::render::kernel::render(&s.scene));
            assert!(
                full.ends_with(&texts(k)),
                "{name}: kernel view of seq {}",
                s.seq
            );
        }
        for ((s, r), drawn) in steps.iter().zip(rows).zip(&svgs) {
            assert!(
                p.contains(&format!(
                    "data-seq=\"{}\" data-kind=\"{}\">{}</li>",
                    s.seq,
                    s.kind,
                    svg::esc(&s.line)
                )),
                "{name}: timeline line of seq {}",
                s.seq
            );
            assert_eq!(r[0], s.seq);
            let ev = s.scene.event.as_ref().unwrap();
            assert_eq!(r[2], ev.call.as_str());
            // The stored drawing is the step's scene.
            let full = texts(&svg::render(&s.scene));
            assert!(full.ends_with(&texts(drawn)), "{name}: seq {}", s.seq);
        }
    }
}

/// A trace whose argv, paths and program names are markup.
const PWN_SCRIPT: &str = "</script><script>document.title='PWNED'</script>";
const PWN_IMG: &str = "<img src=x onerror=\"document.title='PWNED'\">";

fn hostile_trace(dir: &Path) -> PathBuf {
    let header = std::fs::read_to_string(fixture("sh-pipeline.jsonl")).unwrap();
    let mut header: serde_json::Value =
        serde_json::from_str(header.lines().next().unwrap()).unwrap();
    let argv = serde_json::json!([PWN_IMG, PWN_SCRIPT, "ctl\u{1}\u{7f}\u{2028}&amp;"]);
    header["argv"] = argv.clone();
    header["root_pid"] = 500.into();
    let tty = serde_json::json!([
        {"fd": 0, "target": "/dev/pts/0", "flags": "O_RDWR"},
        {"fd": 1, "target": "/dev/pts/0", "flags": "O_RDWR", "same_as": 0},
        {"fd": 2, "target": "/dev/pts/0", "flags": "O_RDWR", "same_as": 0}
    ]);
    let events = [
        serde_json::json!({"seq": 0, "ts_ns": 1, "pid": 500, "kind": "spawn", "argv": argv, "fds": tty}),
        serde_json::json!({"seq": 1, "ts_ns": 2, "pid": 500, "kind": "exec",
            "path": format!("/tmp/{PWN_SCRIPT}"), "argv": argv, "ok": true,
            "fds": [{"fd": 0, "target": "/dev/pts/0"}, {"fd": 1, "target": "/dev/pts/0"}, {"fd": 2, "target": "/dev/pts/0"}]}),
        serde_json::json!({"seq": 2, "ts_ns": 3, "pid": 500, "kind": "open", "fd": 3, "path": PWN_IMG, "flags": "O_RDONLY"}),
        serde_json::json!({"seq": 3, "ts_ns": 4, "pid": 500, "kind": "open", "fd": 4, "path": format!("/x/\u{1}\u{2028}{PWN_SCRIPT}"), "flags": "O_RDONLY|O_CLOEXEC"}),
        serde_json::json!({"seq": 4, "ts_ns": 5, "pid": 500, "kind": "pipe", "read_fd": 5, "write_fd": 6, "pipe_id": 77}),
        serde_json::json!({"seq": 5, "ts_ns": 6, "pid": 500, "kind": "fork", "child": 501, "flavor": "fork", "shares_fds": false, "syscall": "clone", "flags": 18874385}),
        serde_json::json!({"seq": 6, "ts_ns": 7, "pid": 501, "kind": "exec", "path": "/bin/x", "argv": [PWN_SCRIPT, PWN_IMG], "ok": false, "errno": "ENOENT"}),
        serde_json::json!({"seq": 7, "ts_ns": 8, "pid": 501, "kind": "exit", "status": {"exited": 0}}),
    ];
    let mut text = serde_json::to_string(&header).unwrap() + "\n";
    for e in events {
        text += &serde_json::to_string(&e).unwrap();
        text.push('\n');
    }
    let path = dir.join("hostile.jsonl");
    std::fs::write(&path, text).unwrap();
    path
}

/// A trace of a shell that opens and closes a log file `n` times and makes
/// a pipe half way: 2n + 2 events.
fn long_trace(dir: &Path, n: u64) -> PathBuf {
    let header = std::fs::read_to_string(fixture("sh-pipeline.jsonl")).unwrap();
    let mut header: serde_json::Value =
        serde_json::from_str(header.lines().next().unwrap()).unwrap();
    header["root_pid"] = 700.into();
    let mut text = serde_json::to_string(&header).unwrap() + "\n";
    let mut seq = 0u64;
    let mut push = |mut e: serde_json::Value| {
        e["seq"] = seq.into();
        e["ts_ns"] = (seq * 1000).into();
        e["pid"] = 700.into();
        text += &serde_json::to_string(&e).unwrap();
        text.push('\n');
        seq += 1;
    };
    push(
        serde_json::json!({"kind": "spawn", "argv": ["sh"], "fds": [{"fd": 0, "target": "/dev/null"}]}),
    );
    for i in 0..n {
        if i == n / 2 {
            push(serde_json::json!({"kind": "pipe", "read_fd": 5, "write_fd": 6, "pipe_id": 99}));
        }
        push(
            serde_json::json!({"kind": "open", "fd": 3, "path": "/var/log/x", "flags": "O_RDONLY"}),
        );
        push(serde_json::json!({"kind": "close", "fd": 3}));
    }
    let path = dir.join("long.jsonl");
    std::fs::write(&path, text).unwrap();
    path
}

fn html_cli(trace: &Path, extra: &[&str]) -> (String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_forkscope"))
        .env("LANG", "C.UTF-8")
        .env_remove("LC_ALL")
        .args(["diagram", "--format", "html"])
        .arg(trace)
        .args(extra)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{err}");
    (String::from_utf8(out.stdout).unwrap(), err)
}

fn seqs(page: &str) -> Vec<u64> {
    data(page)["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s[0].as_u64().unwrap())
        .collect()
}

/// A long trace gives a page of the first 2000 steps and says how to get
/// others; --range picks steps by seq, --collapse-files drops file noise.
#[test]
fn a_long_trace_is_cut_to_2000_steps_unless_a_range_is_given() {
    let dir = tempfile::tempdir().unwrap();
    // 1 spawn + 1 pipe + 2 * 1500 open/close = 3002 events, the pipe at #1501.
    let trace = long_trace(dir.path(), 1500);

    let (page, err) = html_cli(&trace, &[]);
    assert_eq!(seqs(&page), (0..2000).collect::<Vec<_>>());
    assert!(
        err.contains("the page has the first 2000 of 3002 steps (events #0..#1999)")
            && err.contains("--range"),
        "{err}"
    );

    let (page, err) = html_cli(&trace, &["--range", ".."]);
    assert_eq!(seqs(&page).len(), 3002);
    assert!(!err.contains("first 2000"), "{err}");

    let (page, _) = html_cli(&trace, &["--range", "1499..1503"]);
    assert_eq!(seqs(&page), vec![1499, 1500, 1501, 1502, 1503]);
    assert!(page.contains("step 1 of 5 \u{b7} seq 1499"));

    // Without the opens and closes of the log file only the spawn and the
    // pipe are left.
    let (page, err) = html_cli(&trace, &["--collapse-files"]);
    assert_eq!(seqs(&page), vec![0, 1501]);
    assert!(!err.contains("first 2000"), "{err}");
}

#[test]
fn markup_from_the_trace_stays_text() {
    let dir = tempfile::tempdir().unwrap();
    let (title, steps) = steps_of(&hostile_trace(dir.path()));
    assert_eq!(steps.len(), 8);
    assert!(title.contains(PWN_SCRIPT), "the title carries the payload");
    let p = page(Lang::En, &title, &steps);
    assert_eq!(p.matches("<script").count(), 2);
    assert_eq!(p.matches("</script").count(), 2);
    for raw in ["<script>document", "<img", "onerror=\"", "\u{1}"] {
        assert!(!p.contains(raw), "raw {raw:?} in the page");
    }
    let json = between(&p, "id=\"fs-data\">", "</script>");
    // U+2028 from the trace arrives as the visible escape `\u{2028}` (a
    // JSON string holding a backslash), never as the raw line separator.
    assert!(!json.contains('\u{2028}') && json.contains("\\\\u{2028}"));
    // ... but it is all there, escaped: in the timeline and title as HTML
    // text, in the SVG as XML text, in the JSON as \u003c.
    assert!(p.contains("&lt;/script&gt;&lt;script&gt;document.title=&#39;PWNED&#39;"));
    assert!(p.contains("&lt;img src=x onerror=&quot;document.title="));
    assert!(p.contains("\\u003cimg src=x onerror="));
    let d = data(&p);
    let svgs: String = drawings(&d).concat();
    assert!(svgs.contains("&lt;img src=x onerror=&quot;document.title=&#39;PWNED&#39;&quot;&gt;"));
    assert!(!svgs.contains("<img") && !svgs.contains("<script"));
    for s in d["steps"].as_array().unwrap() {
        // The call and sentence go in with textContent; they may hold
        // anything.
        assert!(s[2].is_string());
    }
    // The standalone SVG is well-formed XML-safe text too.
    let one = svg::render(&steps[3].scene);
    assert!(!one.contains("<img") && !one.contains("<script"));
    assert!(!one.chars().any(|c| (c as u32) < 0x20 && c != '\n'));
}

// ---------------------------------------------------------------- Chromium

static CHROMIUM: Mutex<()> = Mutex::new(());

/// Chromium, or `None` (with a note) where it is not installed; CI must have it.
fn chromium() -> Option<PathBuf> {
    let p = PathBuf::from("/usr/bin/chromium");
    if p.exists() {
        return Some(p);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("/usr/bin/chromium is missing; .ci/run installs Debian's chromium package");
    }
    eprintln!("note: /usr/bin/chromium is not installed; skipping the browser test");
    None
}

/// Runs headless Chromium on `url` with `extra` flags; returns its stdout.
fn run_chromium(bin: &Path, url: &str, extra: &[String]) -> String {
    let _one_at_a_time = CHROMIUM.lock().unwrap_or_else(|e| e.into_inner());
    let profile = tempfile::tempdir().unwrap();
    let out_file = profile.path().join("stdout");
    let err_file = profile.path().join("stderr");
    let mut cmd = Command::new(bin);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
    ])
    .arg(format!(
        "--user-data-dir={}",
        profile.path().join("profile").display()
    ))
    .arg("--virtual-time-budget=2000")
    .args(extra)
    .arg(url)
    .stdin(Stdio::null())
    .stdout(std::fs::File::create(&out_file).unwrap())
    .stderr(std::fs::File::create(&err_file).unwrap());
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let t = Instant::now();
    let mut child = cmd.spawn().unwrap();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if t.elapsed() > Duration::from_secs(90) {
            // The group holds Chromium's helpers too; it is ours alone.
            // SAFETY: kill(2) on the process group this test created.
            unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
            let _ = child.wait();
            panic!("chromium did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    eprintln!("chromium {url}: {status} in {:?}", t.elapsed());
    let out = std::fs::read_to_string(&out_file).unwrap();
    assert!(
        status.success(),
        "chromium failed: {}",
        std::fs::read_to_string(&err_file).unwrap_or_default()
    );
    out
}

/// The text between the first `start` and the next `end`.
fn between<'a>(s: &'a str, start: &str, end: &str) -> &'a str {
    let i = s
        .find(start)
        .unwrap_or_else(|| panic!("{start:?} not found"))
        + start.len();
    let j = i + s[i..].find(end).unwrap();
    &s[i..j]
}

/// The page for the hand-made pipeline, written where a person can open it
/// after the test; and the step the tests select (the first dup2).
fn pipeline_page(name: &str) -> (PathBuf, Vec<HtmlStep>, usize) {
    let trace = fixture("handmade-pipeline.jsonl");
    let (title, steps) = steps_of(&trace);
    let i = first_seq(&steps, &trace, |k| matches!(k, EventKind::Dup { .. }));
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("html");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, page(Lang::En, &title, &steps)).unwrap();
    (path, steps, i)
}

#[test]
fn chromium_opens_the_page_at_the_step_the_fragment_names() {
    let Some(bin) = chromium() else { return };
    let (path, steps, i) = pipeline_page("pipeline-dom.html");
    let s = &steps[i];
    let dom = run_chromium(
        &bin,
        &format!("file://{}#seq={}", path.display(), s.seq),
        &["--dump-dom".into()],
    );
    let ev = s.scene.event.as_ref().unwrap();
    // The script ran (the policy let it) and chose the step.
    assert!(
        dom.contains(&format!(
            "step {} of {} · seq {}",
            i + 1,
            steps.len(),
            s.seq
        )),
        "counter"
    );
    let current = between(&dom, "aria-current=\"step\"", "</li>");
    let current = current.split_once('>').unwrap().1;
    assert_eq!(unescape(current), s.line);
    assert_eq!(dom.matches("aria-current=\"step\"").count(), 1);
    let call = between(&dom, "<div id=\"fs-call\">", "</div>");
    assert!(unescape(call).contains(&ev.call), "{call}");
    // The visible drawing is this step's: its texts are those of the step's
    // own SVG (which also carries a caption).
    let diagram = between(
        &dom,
        &format!("<div id=\"fs-diagram\" data-seq=\"{}\">", s.seq),
        "</svg>",
    );
    let shown = texts(diagram);
    assert!(shown.len() > 10, "{shown:?}");
    assert!(texts(&svg::render(&s.scene)).ends_with(&shown));
    assert!(!texts(&svg::render(&steps[i - 1].scene)).ends_with(&shown));
    let pids = s.scene.processes.len();
    assert_eq!(diagram.matches("<g class=\"fs-proc").count(), pids);
}

#[test]
fn chromium_screenshots_the_page() {
    let Some(bin) = chromium() else { return };
    let (path, steps, i) = pipeline_page("pipeline-shot.html");
    // A later step: both children forked, the pipe between them.
    let seq = steps[(i + 6).min(steps.len() - 1)].seq;
    let shot = path.with_file_name("pipeline-shot.png");
    let _ = std::fs::remove_file(&shot);
    run_chromium(
        &bin,
        &format!("file://{}#seq={seq}", path.display()),
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1400,900".into(),
            "--hide-scrollbars".into(),
        ],
    );
    let png = std::fs::read(&shot).unwrap();
    eprintln!("screenshot: {} ({} KiB)", shot.display(), png.len() / 1024);
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert!(png.len() > 20_000, "a blank page compresses to a few KiB");
}

#[test]
fn chromium_runs_no_script_from_the_trace() {
    let Some(bin) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (title, steps) = steps_of(&hostile_trace(dir.path()));
    let path = dir.path().join("hostile.html");
    std::fs::write(&path, page(Lang::En, &title, &steps)).unwrap();
    let dom = run_chromium(
        &bin,
        &format!("file://{}#seq=2", path.display()),
        &["--dump-dom".into()],
    );
    let t = between(&dom, "<title>", "</title>");
    assert_ne!(t.trim(), "PWNED");
    assert!(t.ends_with("— forkscope"), "{t}");
    assert!(!dom.contains("<img"), "an img element was made");
    assert_eq!(dom.matches("<script").count(), 2);
    // The page's own script still worked.
    assert!(dom.contains("step 3 of 8 · seq 2"));
    assert!(dom.contains("<div id=\"fs-diagram\" data-seq=\"2\">"));
}

/// Drives the page as a reader would (keys, slider, a click, a new
/// fragment) from a test script added to a copy of it, and reads where each
/// move left it.
#[test]
fn chromium_steps_with_keys_slider_clicks_and_the_fragment() {
    let Some(bin) = chromium() else { return };
    let (path, steps, _) = pipeline_page("pipeline-keys.html");
    let page = std::fs::read_to_string(&path).unwrap();
    // The policy admits only the page's own script; this copy drops it.
    let csp_start = page
        .find("<meta http-equiv=\"Content-Security-Policy\"")
        .unwrap();
    let csp_end = csp_start + page[csp_start..].find('\n').unwrap() + 1;
    let probe = r#"<script>
(function () {
  var log = [];
  function state() {
    return document.getElementById('fs-diagram').getAttribute('data-seq') + '/' +
      document.querySelectorAll('#fs-timeline li.fs-current').length + '/' + location.hash;
  }
  function key(k) {
    document.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true }));
    log.push(k + '=' + state());
  }
  log.push('load=' + state());
  key('ArrowRight'); key('ArrowRight'); key('ArrowLeft'); key('End'); key('ArrowRight'); key('Home'); key('ArrowLeft');
  var s = document.getElementById('fs-slider');
  s.value = '4'; s.dispatchEvent(new Event('input'));
  log.push('slider=' + state());
  document.querySelectorAll('#fs-timeline li')[7].click();
  log.push('click=' + state());
  location.hash = '#seq=' + document.querySelectorAll('#fs-timeline li')[3].getAttribute('data-seq');
  setTimeout(function () {
    log.push('hash=' + state());
    document.body.setAttribute('data-log', log.join(' '));
  }, 200);
})();
</script>
</body>"#;
    let probed = format!("{}{}", &page[..csp_start], &page[csp_end..]).replace("</body>", probe);
    let probe_path = path.with_file_name("pipeline-keys-probe.html");
    std::fs::write(&probe_path, probed).unwrap();
    let dom = run_chromium(
        &bin,
        &format!("file://{}", probe_path.display()),
        &["--dump-dom".into()],
    );
    let log = between(&dom, "data-log=\"", "\"");
    let at = |i: usize| {
        let seq = steps[i].seq;
        format!("{seq}/1/#seq={seq}")
    };
    let last = steps.len() - 1;
    let want = [
        format!("load={}/1/", steps[0].seq),
        format!("ArrowRight={}", at(1)),
        format!("ArrowRight={}", at(2)),
        format!("ArrowLeft={}", at(1)),
        format!("End={}", at(last)),
        format!("ArrowRight={}", at(last)),
        format!("Home={}", at(0)),
        format!("ArrowLeft={}", at(0)),
        format!("slider={}", at(4)),
        format!("click={}", at(7)),
        format!("hash={}", at(3)),
    ]
    .join(" ");
    assert_eq!(log, want);
}

/// The page in Chinese: the policy admits its script (whose counter is
/// Chinese), which opens at the fragment's step; a key press moves on and
/// the counter follows in Chinese.
#[test]
fn chromium_runs_the_chinese_page_and_its_counter_stays_chinese() {
    let Some(bin) = chromium() else { return };
    let trace = fixture("handmade-pipeline.jsonl");
    let (title, steps) = steps_in(Lang::Zh, &trace);
    let zh_page = page(Lang::Zh, &title, &steps);
    let n = steps.len();
    let i = first_seq(&steps, &trace, |k| matches!(k, EventKind::Dup { .. }));
    let counter = |i: usize| format!("第 {} 步，共 {n} 步 · 事件 #{}", i + 1, steps[i].seq);
    assert!(zh_page.contains(&format!(">{}<", counter(0))));
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("html");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("pipeline-zh.html");
    std::fs::write(&path, &zh_page).unwrap();
    // Under its own policy: the script ran, so the hash was right.
    let dom = run_chromium(
        &bin,
        &format!("file://{}#seq={}", path.display(), steps[i].seq),
        &["--dump-dom".into()],
    );
    assert!(dom.contains("<html lang=\"zh-Hans\">"), "lang");
    assert_eq!(
        between(
            &dom,
            "<span id=\"fs-counter\" aria-live=\"polite\">",
            "</span>"
        ),
        counter(i)
    );
    // A copy with a probe (the policy dropped) presses → once.
    let csp_start = zh_page
        .find("<meta http-equiv=\"Content-Security-Policy\"")
        .unwrap();
    let csp_end = csp_start + zh_page[csp_start..].find('\n').unwrap() + 1;
    let probe = r#"<script>
(function () {
  var c = document.getElementById('fs-counter'), log = [c.textContent];
  document.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
  log.push(c.textContent);
  document.body.setAttribute('data-log', log.join('|'));
})();
</script>
</body>"#;
    let probed =
        format!("{}{}", &zh_page[..csp_start], &zh_page[csp_end..]).replace("</body>", probe);
    let probe_path = dir.join("pipeline-zh-probe.html");
    std::fs::write(&probe_path, probed).unwrap();
    let dom = run_chromium(
        &bin,
        &format!("file://{}#seq={}", probe_path.display(), steps[i].seq),
        &["--dump-dom".into()],
    );
    assert_eq!(
        between(&dom, "data-log=\"", "\""),
        format!("{}|{}", counter(i), counter(i + 1))
    );
}

/// The redirect fixture's page (steps as `forkscope diagram` makes them,
/// change marks included) in the current language.
fn redirect_page(lang: Lang, name: &str) -> PathBuf {
    let trace = fixture("redirect.jsonl");
    let h = forkscope::render::steps::html_steps(
        &trace,
        &SceneOptions {
            lang,
            ..SceneOptions::default()
        },
        Some(forkscope::cli::SeqRange::default()),
    )
    .unwrap();
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("html");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(
        &path,
        forkscope::render::html::page_with(lang, &h.title, &h.steps, false),
    )
    .unwrap();
    path
}

#[test]
fn chromium_shows_both_views_in_english_and_chinese_at_the_step_the_fragment_names() {
    let Some(bin) = chromium() else { return };
    // #32: the ls child's dup2(3, 1), its last redirection.
    let seq = 32;
    for (l, table, new_word) in [
        (Lang::En, "open file table (kernel)", ">new<"),
        (Lang::Zh, "系统打开文件表（内核）", ">新<"),
    ] {
        let path = redirect_page(l, &format!("redirect-{l:?}.html"));
        for kernel in [false, true] {
            let frag = if kernel {
                format!("#seq={seq}&view=kernel")
            } else {
                format!("#seq={seq}")
            };
            let url = format!("file://{}{frag}", path.display());
            let dom = run_chromium(&bin, &url, &["--dump-dom".into()]);
            let call = between(&dom, "<div id=\"fs-call\">", "</div>");
            assert!(unescape(call).contains(&format!("#{seq} ")), "{call}");
            assert!(unescape(call).contains("dup2(3, 1)"), "{call}");
            let diagram = between(
                &dom,
                &format!("<div id=\"fs-diagram\" data-seq=\"{seq}\">"),
                "</svg>",
            );
            assert_eq!(diagram.contains("fs-kernel"), kernel, "{l:?} {frag}");
            assert_eq!(diagram.contains(table), kernel, "{l:?} {frag}");
            assert!(diagram.contains(new_word), "{l:?} {frag}: fd 1 is new");
            assert_eq!(diagram.matches("<g class=\"fs-proc").count(), 3);
            // Teaching mode: the loader's and locale files' steps are
            // hidden from the timeline (a checkbox shows them).
            let libs = dom.matches("<li class=\"fs-lib\"").count();
            assert!(libs > 50, "{libs} library steps");
            assert_eq!(dom.matches(" hidden=\"\"").count(), libs);
            assert!(dom.contains("id=\"fs-libs\"") && dom.contains("class=\"fs-chip\""));
            let pressed = between(&dom, "id=\"fs-kview\"", ">");
            assert!(pressed.contains(&format!("aria-pressed=\"{kernel}\"")));
            let shot = path.with_file_name(format!("redirect-{l:?}-{kernel}.png"));
            let _ = std::fs::remove_file(&shot);
            run_chromium(
                &bin,
                &url,
                &[
                    format!("--screenshot={}", shot.display()),
                    "--window-size=1400,900".into(),
                    "--hide-scrollbars".into(),
                ],
            );
            let png = std::fs::read(&shot).unwrap();
            eprintln!("screenshot: {}", shot.display());
            assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
            assert!(png.len() > 20_000, "a blank page compresses to a few KiB");
        }
    }
}

/// `make -j8` of 100 tiny targets, each a two-stage pipeline that lingers a
/// moment (so 8 jobs of 3 processes, make and its jobserver pipe are on
/// screen at once): recorded in `dir`, make's status checked against an
/// untraced run of the same build.
fn make_build(dir: &Path) -> PathBuf {
    let mut mk = String::from("all:");
    for i in 0..100 {
        mk += &format!(" t{i}");
    }
    mk.push('\n');
    for i in 0..100 {
        mk += &format!("t{i}:\n\t@echo {i} | (cat; sleep 0.05) >/dev/null\n");
    }
    std::fs::write(dir.join("Makefile"), mk).unwrap();
    let untraced = Command::new("make")
        .args(["-s", "-j8"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let trace = dir.join("make.jsonl");
    let traced = Command::new(env!("CARGO_BIN_EXE_forkscope"))
        .args(["record", "-q", "-o"])
        .arg(&trace)
        .args(["--", "make", "-s", "-j8"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(traced.status.code(), untraced.status.code());
    assert_eq!(traced.stdout, untraced.stdout);
    assert!(traced.status.success());
    trace
}

/// What a drawing shows: its texts, process boxes, fd rows and arrows (the
/// kernel view's measured from its first fd table, which the caption of a
/// standalone drawing pushes down).
#[derive(Debug, PartialEq)]
struct Shown {
    texts: Vec<String>,
    pids: Vec<String>,
    fds: Vec<String>,
    arrows: Vec<String>,
}

/// Every value of attribute `attr` (e.g. ` data-pid="`) in `svg`, in order.
fn attrs(svg: &str, attr: &str) -> Vec<String> {
    svg.match_indices(attr)
        .map(|(i, _)| {
            let v = &svg[i + attr.len()..];
            v[..v.find('"').unwrap()].to_string()
        })
        .collect()
}

/// What `svg` shows; `page` drawings have no caption (the page shows the
/// call above them), so of a standalone drawing's texts only as many as the
/// page's, from the end, are kept.
fn shown(svg: &str, page: Option<&Shown>) -> Shown {
    let mut texts = texts(svg);
    if let Some(p) = page {
        let skip = texts.len().saturating_sub(p.texts.len());
        texts.drain(..skip);
    }
    let kernel = svg.contains("fs-kernel");
    let top = if kernel {
        let t = attrs(svg, "<g transform=\"translate(");
        t.first()
            .map(|t| {
                t.split(',')
                    .nth(1)
                    .unwrap()
                    .trim_end_matches(")")
                    .parse::<f64>()
                    .unwrap()
            })
            .unwrap_or(0.0)
    } else {
        0.0
    };
    let mut arrows: Vec<String> = attrs(svg, " d=\"")
        .into_iter()
        .filter(|d| !d.starts_with("M0,0L10,5"))
        .map(|d| {
            // Only the kernel view's curves are placed in the drawing
            // (the rest are drawn inside a placed group).
            if !kernel || !d.contains('C') {
                return d;
            }
            // M ax,ay C mx,ay mx,by bx,by: every second number is a y.
            let mut k = 0;
            let mut out = String::new();
            let mut num = String::new();
            let flush = |num: &mut String, out: &mut String, k: &mut usize| {
                if !num.is_empty() {
                    let v: f64 = num.parse().unwrap();
                    let v = if *k % 2 == 1 { v - top } else { v };
                    out.push_str(&format!("{v:.1}"));
                    *k += 1;
                    num.clear();
                }
            };
            for c in d.chars() {
                if c.is_ascii_digit() || c == '.' || c == '-' {
                    num.push(c);
                } else {
                    flush(&mut num, &mut out, &mut k);
                    out.push(c);
                }
            }
            flush(&mut num, &mut out, &mut k);
            out
        })
        .collect();
    arrows.sort();
    Shown {
        texts,
        pids: attrs(svg, " data-pid=\""),
        fds: attrs(svg, " data-fd=\""),
        arrows,
    }
}

/// On a big recorded build the page stays under 8 KiB a step, says its
/// real size, and Chromium, stepping to several `#seq=N` in both views,
/// draws what `diagram --at N` draws (texts, boxes, rows and every arrow):
/// the changes the page is stored as cannot silently break a picture.
#[test]
fn a_make_build_pages_under_8_kib_a_step_and_every_step_shows_what_diagram_at_draws() {
    let dir = tempfile::tempdir().unwrap();
    let trace = make_build(dir.path());
    let path = dir.path().join("make.html");
    let (_, err) = html_cli(&trace, &["-o", path.to_str().unwrap()]);
    let page = std::fs::read_to_string(&path).unwrap();
    let seqs = seqs(&page);
    let per_step = page.len() as f64 / seqs.len() as f64;
    eprintln!(
        "make -j8: {} steps, {} KiB, {:.1} KiB a step",
        seqs.len(),
        page.len() / 1024,
        per_step / 1024.0
    );
    assert!(seqs.len() >= 1000, "a big trace: {} steps", seqs.len());
    assert!(per_step < 8.0 * 1024.0, "{per_step} bytes a step");
    // The size it says is the page's.
    let said = format!(
        "the page has {} steps in {:.0} KiB, {:.1} KiB a step",
        seqs.len(),
        page.len() as f64 / 1024.0,
        per_step / 1024.0
    );
    assert!(err.contains(&said), "{err}\nwanted: {said}");
    let picks: Vec<u64> = [3, 25, 50, 75, 99]
        .iter()
        .map(|pc| seqs[(seqs.len() - 1) * pc / 100])
        .collect();
    // The page as Rust rebuilds it holds the same drawings, every step.
    let d = data(&page);
    for (col, view) in [(4, "compact"), (5, "kernel")] {
        let rebuilt = view_drawings(&d, col);
        assert!(rebuilt.iter().all(|s| !s.contains(['\u{1}', '\u{2}'])));
        for seq in &picks {
            let i = seqs.iter().position(|s| s == seq).unwrap();
            let in_page = shown(&rebuilt[i], None);
            let alone = shown(&diagram_at(&trace, *seq, view), Some(&in_page));
            assert_eq!(in_page, alone, "{view} at #{seq}, rebuilt in Rust");
        }
    }
    let Some(bin) = chromium() else { return };
    // The page itself, under its policy, opened at a step in the kernel view.
    let at = picks[2];
    let dom = run_chromium(
        &bin,
        &format!("file://{}#seq={at}&view=kernel", path.display()),
        &["--dump-dom".into()],
    );
    let drawn = between(
        &dom,
        &format!("<div id=\"fs-diagram\" data-seq=\"{at}\">"),
        "</svg>",
    );
    let in_page = shown(drawn, None);
    let alone = shown(&diagram_at(&trace, at, "kernel"), Some(&in_page));
    assert!(in_page.arrows.len() > 20, "{} arrows", in_page.arrows.len());
    assert_eq!(in_page, alone, "kernel at #{at} in Chromium");
    // A copy (its policy dropped) that steps to each pick by its fragment,
    // in both views, and keeps a copy of each drawing.
    let csp_start = page
        .find("<meta http-equiv=\"Content-Security-Policy\"")
        .unwrap();
    let csp_end = csp_start + page[csp_start..].find('\n').unwrap() + 1;
    let hashes: Vec<String> = picks
        .iter()
        .flat_map(|s| {
            [
                format!("#seq={s}&view=compact"),
                format!("#seq={s}&view=kernel"),
            ]
        })
        .collect();
    let probe = format!(
        r#"<script>
(function () {{
  var hashes = {}, k = 0;
  function next() {{
    if (k > 0) {{
      var d = document.getElementById('fs-diagram');
      var keep = document.createElement('div');
      keep.className = 'fs-probe';
      keep.setAttribute('data-hash', hashes[k - 1]);
      keep.setAttribute('data-seq', d.getAttribute('data-seq'));
      keep.innerHTML = d.innerHTML;
      document.body.appendChild(keep);
    }}
    if (k === hashes.length) {{ document.body.setAttribute('data-done', 'yes'); return; }}
    location.hash = hashes[k++];
    setTimeout(next, 50);
  }}
  next();
}})();
</script>
</body>"#,
        serde_json::to_string(&hashes).unwrap()
    );
    let probed = format!("{}{}", &page[..csp_start], &page[csp_end..]).replace("</body>", &probe);
    let probe_path = dir.path().join("make-probe.html");
    std::fs::write(&probe_path, probed).unwrap();
    let dom = run_chromium(
        &bin,
        &format!("file://{}", probe_path.display()),
        &["--dump-dom".into()],
    );
    assert!(dom.contains("data-done=\"yes\""), "the probe finished");
    for h in &hashes {
        let seq: u64 = h[5..].split('&').next().unwrap().parse().unwrap();
        let view = if h.contains("kernel") {
            "kernel"
        } else {
            "compact"
        };
        let drawn = between(
            &dom,
            &format!(
                "class=\"fs-probe\" data-hash=\"{}\" data-seq=\"{seq}\">",
                h.replace('&', "&amp;")
            ),
            "</svg>",
        );
        let in_page = shown(drawn, None);
        let alone = shown(&diagram_at(&trace, seq, view), Some(&in_page));
        assert_eq!(in_page, alone, "{view} at #{seq} in Chromium");
    }
}

/// `forkscope diagram TRACE --at SEQ --format svg` in a view.
fn diagram_at(trace: &Path, seq: u64, view: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_forkscope"))
        .env("LANG", "C.UTF-8")
        .env_remove("LC_ALL")
        .args(["diagram", "--format", "svg", "--view", view, "--at"])
        .arg(seq.to_string())
        .arg(trace)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
