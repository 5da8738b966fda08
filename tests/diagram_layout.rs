//! The drawings' geometry on real traces, not only their text: the SVG
//! layout (computed, not parsed back) has no overlapping boxes or tubes and
//! no arrow or link through a box or tube it does not connect, at every step
//! of the committed traces, of each `forkscope demo` scenario, of every
//! course program (fixtures/course/*.c) and of a `make -j8` build of
//! fixtures/cproject (more than 15 processes at once); and the real Mermaid
//! renderer (the `mermaid` npm package, in the headless Chromium the HTML
//! tests use) parses and lays out the Mermaid drawing of the key and busiest
//! moments of each, with no pipe arrow through a box.

mod common;

use common::*;
use forkscope::render::kernel;
use forkscope::render::layout::problems;
use forkscope::render::scene::{Scene, SceneOptions};
use forkscope::render::steps::{busiest, html_steps, key_moment, scene_after};
use forkscope::render::{dot, mermaid};
use forkscope::words::Lang;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// One trace of the corpus: a name for messages and the file.
struct Traced {
    name: String,
    trace: PathBuf,
}

/// The recorded corpus, made once per test binary; the directory holding
/// the traces lives as long as the binary.
fn corpus() -> &'static [Traced] {
    static CORPUS: OnceLock<(tempfile::TempDir, Vec<Traced>)> = OnceLock::new();
    &CORPUS.get_or_init(record_corpus).1
}

/// `forkscope record` of `cmd` from `cwd` into `dir/NAME.jsonl`, stdio on
/// /dev/null; the recording must succeed whatever the program's status.
fn record_into(dir: &Path, name: &str, cmd: &[&std::ffi::OsStr], cwd: &Path) -> Traced {
    let trace = dir.join(format!("{name}.jsonl"));
    let out = forkscope()
        .args(["record", "-q", "-o"])
        .arg(&trace)
        .arg("--")
        .args(cmd)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let (header, events, warnings) = forkscope::trace::read_all(&trace).unwrap_or_else(|e| {
        panic!(
            "{name}: reading the trace: {e}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(warnings.is_empty(), "{name}: reader warnings: {warnings:?}");
    check_invariants(&header, &events);
    Traced {
        name: name.to_string(),
        trace,
    }
}

fn record_corpus() -> (tempfile::TempDir, Vec<Traced>) {
    let dir = tempfile::tempdir().unwrap();
    let mut out = Vec::new();
    for s in forkscope::demo::SCENARIOS {
        let cwd = tempfile::tempdir().unwrap();
        let cmd = ["/bin/sh".as_ref(), "-c".as_ref(), s.script.as_ref()];
        out.push(record_into(
            dir.path(),
            &format!("demo-{}", s.name),
            &cmd,
            cwd.path(),
        ));
    }
    let mut course: Vec<String> = std::fs::read_dir(repo().join("fixtures/course"))
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".c").map(str::to_string)
        })
        .collect();
    course.sort();
    for name in course {
        let bin = fixture_from("course", &name);
        let cwd = tempfile::tempdir().unwrap();
        out.push(record_into(
            dir.path(),
            &format!("course-{name}"),
            &[bin.as_os_str()],
            cwd.path(),
        ));
    }
    // make -j8 of the 17-file project: make, and per file cc with cc1 and as.
    let build = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(repo().join("fixtures/cproject")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), build.path().join(e.file_name())).unwrap();
    }
    let make = ["make".as_ref(), "-s".as_ref(), "-j8".as_ref()];
    out.push(record_into(dir.path(), "make-j8", &make, build.path()));
    (dir, out)
}

/// The committed traces (no recording needed).
fn committed() -> Vec<Traced> {
    let mut v: Vec<Traced> = std::fs::read_dir(repo().join("fixtures/traces"))
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            (p.extension()? == "jsonl").then(|| Traced {
                name: p.file_stem().unwrap().to_string_lossy().into_owned(),
                trace: p,
            })
        })
        .collect();
    v.sort_by(|a, b| a.name.cmp(&b.name));
    v
}

/// Every problem of the SVG layout at every step of `t` (as the HTML page
/// draws them, with and without regular files), as `name #seq: problem`.
fn layout_problems(t: &Traced) -> (usize, Vec<String>) {
    let mut found = Vec::new();
    let mut steps = 0;
    for collapse_files in [false, true] {
        let opts = SceneOptions {
            collapse_files,
            ..Default::default()
        };
        for s in html_steps(&t.trace, &opts, None).unwrap().steps {
            steps += 1;
            for p in problems(&s.scene) {
                found.push(format!("{} #{}: {p}", t.name, s.seq));
            }
        }
    }
    (steps, found)
}

fn assert_layouts_are_clean(traces: &[Traced]) {
    let mut all = Vec::new();
    let mut steps = 0;
    for t in traces {
        let (n, found) = layout_problems(t);
        steps += n;
        all.extend(found);
    }
    eprintln!("{} traces, {steps} steps laid out", traces.len());
    assert!(
        all.is_empty(),
        "{} problems, the first ones:\n{}",
        all.len(),
        all.iter().take(30).cloned().collect::<Vec<_>>().join("\n")
    );
}

/// Every problem of the kernel view's layout (`diagram --view kernel`) at
/// every step of `t`, with and without regular files, in English and
/// Chinese (whose words have other widths).
fn kernel_problems(t: &Traced) -> (usize, Vec<String>) {
    let mut found = Vec::new();
    let mut steps = 0;
    for lang in [Lang::En, Lang::Zh] {
        for collapse_files in [false, true] {
            let opts = SceneOptions {
                collapse_files,
                lang,
                ..Default::default()
            };
            for s in html_steps(&t.trace, &opts, None).unwrap().steps {
                steps += 1;
                for p in kernel::problems(&kernel::layout(&s.scene, 0.0)) {
                    found.push(format!("{} #{} ({lang:?}): {p}", t.name, s.seq));
                }
            }
        }
    }
    (steps, found)
}

fn assert_kernel_layouts_are_clean(traces: &[Traced]) {
    let mut all = Vec::new();
    let mut steps = 0;
    for t in traces {
        let (n, found) = kernel_problems(t);
        steps += n;
        all.extend(found);
    }
    eprintln!("{} traces, {steps} kernel views laid out", traces.len());
    assert!(
        all.is_empty(),
        "{} problems, the first ones:\n{}",
        all.len(),
        all.iter().take(30).cloned().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn the_kernel_view_of_the_committed_traces_has_no_overlaps_or_crossings_at_any_step() {
    assert_kernel_layouts_are_clean(&committed());
}

#[test]
fn the_kernel_view_of_demos_course_programs_and_a_make_build_has_no_overlaps_or_crossings() {
    assert_kernel_layouts_are_clean(corpus());
}

#[test]
fn the_committed_traces_lay_out_without_overlaps_or_crossings_at_every_step() {
    assert_layouts_are_clean(&committed());
}

#[test]
fn demos_course_programs_and_a_make_build_lay_out_without_overlaps_or_crossings() {
    let corpus = corpus();
    // The make build really is the large case the check is about.
    let make = corpus.iter().find(|t| t.name == "make-j8").unwrap();
    let b = busiest(&make.trace).unwrap();
    let most = scene_after(&make.trace, b.seq(), &SceneOptions::default())
        .unwrap()
        .processes
        .len();
    assert!(most >= 15, "make -j8 had only {most} processes at once");
    assert_layouts_are_clean(corpus);
}

// ---------------------------------------------------------------- Mermaid

/// The Mermaid bundle: $FORKSCOPE_MERMAID_JS, else the global npm install
/// (`npm install -g mermaid@11`, as .ci/run does).
fn mermaid_js() -> Option<PathBuf> {
    let mut candidates = std::env::var_os("FORKSCOPE_MERMAID_JS")
        .map(PathBuf::from)
        .into_iter()
        .chain(
            Command::new("npm")
                .args(["root", "-g"])
                .output()
                .ok()
                .map(|o| {
                    PathBuf::from(String::from_utf8_lossy(&o.stdout).trim())
                        .join("mermaid/dist/mermaid.min.js")
                }),
        )
        .chain([PathBuf::from(
            "/usr/lib/node_modules/mermaid/dist/mermaid.min.js",
        )]);
    candidates.find(|c| c.is_file())
}

/// Chromium and the Mermaid bundle, or `None` (with a note) where one is
/// missing; CI must have both.
fn browser() -> Option<(PathBuf, PathBuf)> {
    let chromium = PathBuf::from("/usr/bin/chromium");
    match (chromium.exists(), mermaid_js()) {
        (true, Some(js)) => Some((chromium, js)),
        (c, js) => {
            let what = format!(
                "chromium {}, mermaid.min.js {}",
                if c { "found" } else { "missing" },
                if js.is_some() { "found" } else { "missing" }
            );
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("{what}; .ci/run installs chromium (apt) and mermaid (npm)");
            }
            eprintln!("note: {what}; skipping the Mermaid rendering test");
            None
        }
    }
}

/// The script run in the page: renders each source, then writes a JSON
/// report into `<pre id=report>`: per drawing a parse or render error, or
/// its size and the edges that pass through a node they do not connect
/// (sampled every 3 px along the drawn path, in screen coordinates).
const CHECK_JS: &str = r#"
mermaid.initialize({startOnLoad: false, securityLevel: 'strict'});
(async () => {
  const report = [];
  let k = 0;
  for (const [name, src] of window.SOURCES) {
    const id = 'fsm' + (k++);
    try {
      const r = await mermaid.render(id, src);
      const holder = document.createElement('div');
      holder.innerHTML = r.svg;
      document.body.appendChild(holder);
      const svg = holder.querySelector('svg');
      const nodes = {};
      for (const g of svg.querySelectorAll('g.node')) {
        const m = /flowchart-(.+)-\d+$/.exec(g.id);
        if (m) nodes[m[1]] = g.getBoundingClientRect();
      }
      const through = [];
      const links = svg.querySelectorAll('path.flowchart-link');
      for (const p of links) {
        const ends = (p.getAttribute('data-id') || '').replace(/^L_/, '').replace(/_\d+$/, '').split('_');
        const len = p.getTotalLength();
        const ctm = p.getScreenCTM();
        for (const [nid, b] of Object.entries(nodes)) {
          if (ends.includes(nid)) continue;
          for (let d = 0; d <= len; d += 3) {
            const q = new DOMPoint(p.getPointAtLength(d).x, p.getPointAtLength(d).y).matrixTransform(ctm);
            if (q.x > b.left + 3 && q.x < b.right - 3 && q.y > b.top + 3 && q.y < b.bottom - 3) {
              through.push(ends.join(' -> ') + ' through ' + nid);
              break;
            }
          }
        }
      }
      const vb = svg.viewBox.baseVal;
      report.push({name, ok: true, nodes: Object.keys(nodes).length, edges: links.length,
                   width: Math.round(vb.width), height: Math.round(vb.height), through});
      holder.remove();
    } catch (e) {
      report.push({name, ok: false, error: String(e && e.message || e)});
    }
  }
  const pre = document.createElement('pre');
  pre.id = 'report';
  pre.textContent = JSON.stringify(report);
  document.body.appendChild(pre);
})();
"#;

/// Renders `sources` (name, Mermaid text) in one Chromium run; the report.
fn render_in_chromium(
    chromium: &Path,
    js: &Path,
    sources: &[(String, String)],
) -> Vec<serde_json::Value> {
    // A directory per run: the tests of this file render at the same time.
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("mermaid");
    std::fs::create_dir_all(&root).unwrap();
    let dir = tempfile::tempdir_in(&root).unwrap();
    let page = dir.path().join("render.html");
    let data = serde_json::to_string(sources)
        .unwrap()
        .replace("</", "<\\/");
    std::fs::write(
        &page,
        format!(
            "<!doctype html><meta charset=\"utf-8\"><body><script>window.SOURCES={data};</script>\
             <script src=\"file://{}\"></script><script>{CHECK_JS}</script></body>",
            js.display()
        ),
    )
    .unwrap();
    let profile = tempfile::tempdir().unwrap();
    let out_file = profile.path().join("dom");
    let mut cmd = Command::new(chromium);
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
        "--window-size=1600,1200",
        "--virtual-time-budget=600000",
        "--dump-dom",
    ])
    .arg(format!(
        "--user-data-dir={}",
        profile.path().join("profile").display()
    ))
    .arg(format!("file://{}", page.display()))
    .stdin(Stdio::null())
    .stdout(std::fs::File::create(&out_file).unwrap())
    .stderr(Stdio::null());
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let t = Instant::now();
    let mut child = cmd.spawn().unwrap();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if t.elapsed() > Duration::from_secs(300) {
            // SAFETY: kill(2) on the process group this test created.
            unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
            let _ = child.wait();
            panic!("chromium did not finish within 300 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "chromium: {status}");
    let dom = std::fs::read_to_string(&out_file).unwrap();
    let start = dom
        .find("<pre id=\"report\">")
        .unwrap_or_else(|| panic!("no report: the page did not finish ({page:?})"))
        + "<pre id=\"report\">".len();
    let end = start + dom[start..].find("</pre>").unwrap();
    let json = dom[start..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    serde_json::from_str(&json).unwrap()
}

/// The key moment's and the busiest moment's scenes of `t`.
fn moments_of(t: &Traced) -> Vec<(String, Scene)> {
    let key = key_moment(&t.trace).unwrap().seq();
    let most = busiest(&t.trace).unwrap().seq();
    let mut seqs = vec![key, most];
    seqs.dedup();
    seqs.into_iter()
        .map(|seq| {
            let sc = scene_after(&t.trace, seq, &SceneOptions::default()).unwrap();
            (format!("{} #{seq}", t.name), sc)
        })
        .collect()
}

#[test]
fn mermaid_renders_every_drawing_in_chromium_with_no_pipe_arrow_through_a_box() {
    let Some((chromium, js)) = browser() else {
        return;
    };
    // The committed traces are the same every run: no pipe arrow of theirs
    // may pass through a box. The recorded ones (demos, course programs, a
    // make build) differ from run to run, and Mermaid's layout engine
    // (dagre) routes their edges as it likes: they must parse and render,
    // and a crossing is said, not failed.
    let mut sources = Vec::new();
    let mut fixed = std::collections::HashSet::new();
    for t in committed() {
        for (name, sc) in moments_of(&t) {
            fixed.insert(name.clone());
            sources.push((name, mermaid::render(&sc)));
        }
    }
    for t in corpus() {
        for (name, sc) in moments_of(t) {
            let src = mermaid::render(&sc);
            // Teachers' programs are small: their drawings do not fold
            // (the only invisible link ranks the shared-files note).
            if name.starts_with("demo-") || name.starts_with("course-") {
                let folds = src
                    .lines()
                    .filter(|l| l.contains(" ~~~ ") && !l.trim_start().starts_with("shared ~~~"))
                    .count();
                assert_eq!(folds, 0, "{name} folds:\n{src}");
            }
            sources.push((name, src));
        }
    }
    let report = render_in_chromium(&chromium, &js, &sources);
    assert_eq!(report.len(), sources.len(), "one result per drawing");
    let mut bad = Vec::new();
    for r in &report {
        let name = r["name"].as_str().unwrap();
        if r["ok"] != true {
            bad.push(format!("{name}: {}", r["error"]));
            continue;
        }
        eprintln!(
            "{name}: {} nodes, {} edges, {}x{} px",
            r["nodes"], r["edges"], r["width"], r["height"]
        );
        for t in r["through"].as_array().unwrap() {
            let t = t.as_str().unwrap();
            // Pipe arrows are the ones that must not cross a box: "pA ->
            // pipe0 through pB". A fork link that dagre routes past a pipe's
            // node ("p1 -> p2 through pipe0") is said, not failed.
            let edge = t.split(" through ").next().unwrap_or(t);
            if !edge.contains("pipe") {
                eprintln!("{name}: {t} (a fork link)");
            } else if fixed.contains(name) {
                bad.push(format!("{name}: {t}"));
            } else {
                eprintln!("{name}: {t} (a pipe arrow in a recorded trace)");
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// How a drawing of a large tree must fit a page: at most twice as wide as
/// it is tall. A page scrolls down, not across, and Mermaid scales a
/// drawing to the page's width, so a drawing much wider than tall (the
/// unfolded `make -j8`: one rank of eight compilers, 3,770x1,562 and
/// 4,147x1,539 px) shows its text at a fraction of its size, while a tall
/// one keeps it and scrolls. (Folded, `make -j8` is about 1,900-2,300 px
/// wide and the 40-process tree about 3,500: wider than a 1,600 px page
/// still, as dagre lays it out.)
fn fits_a_page(w: u64, h: u64) -> bool {
    w <= 2 * h
}

#[test]
fn mermaid_and_dot_fold_a_make_build_and_a_forty_process_tree_to_fit_a_page() {
    let Some((chromium, js)) = browser() else {
        return;
    };
    // Forty at once: sh with 17 background sleeps (identical, so drawn as
    // one node) and a 22-stage pipeline (each stage its own box, wired to
    // its pipes), all children of one sh. The first stage waits long
    // enough for every stage to start even on a loaded machine (with 2 s,
    // CI once had only 38 at once).
    let dir = tempfile::tempdir().unwrap();
    let script = format!(
        "for i in $(seq 17); do sleep 9 & done; (sleep 5; echo a){} | tr a b; wait",
        " | cat".repeat(20)
    );
    let cmd = ["/bin/sh".as_ref(), "-c".as_ref(), script.as_ref()];
    let forty = record_into(dir.path(), "forty", &cmd, dir.path());
    let make = corpus().iter().find(|t| t.name == "make-j8").unwrap();
    let mut sources = Vec::new();
    let mut dots = Vec::new();
    for (t, least) in [(make, 15), (&forty, 40)] {
        let b = busiest(&t.trace).unwrap();
        let most = scene_after(&t.trace, b.seq(), &SceneOptions::default())
            .unwrap()
            .processes
            .len();
        assert!(most >= least, "{}: only {most} processes at once", t.name);
        for (name, sc) in moments_of(t) {
            dots.push((name.clone(), dot::render(&sc)));
            sources.push((name, mermaid::render(&sc)));
        }
    }
    // Graphviz: the same page width (its SVG is in points, 3/4 px).
    let mut bad = Vec::new();
    for (name, src) in &dots {
        let (w, h) = graphviz_size(src);
        eprintln!("{name}: DOT {w}x{h} px");
        if !fits_a_page(w, h) {
            bad.push(format!("{name}: the DOT drawing is {w}x{h} px"));
        }
    }
    // The sleeps are one node, `N × sleep` (one may still be starting,
    // its fd table not yet like the others').
    let busiest_forty = &sources.last().unwrap().1;
    let grouped = busiest_forty
        .split("<b>")
        .filter_map(|s| s.split_once(" × sleep</b>"))
        .filter_map(|(n, _)| n.parse::<usize>().ok())
        .max()
        .unwrap_or(0);
    assert!(
        grouped >= 10,
        "the identical sleeps are one node:\n{busiest_forty}"
    );
    let report = render_in_chromium(&chromium, &js, &sources);
    assert_eq!(report.len(), sources.len(), "one result per drawing");
    for r in &report {
        let name = r["name"].as_str().unwrap();
        if r["ok"] != true {
            bad.push(format!("{name}: {}", r["error"]));
            continue;
        }
        let (w, h) = (r["width"].as_u64().unwrap(), r["height"].as_u64().unwrap());
        eprintln!("{name}: {} nodes, {w}x{h} px", r["nodes"]);
        for t in r["through"].as_array().unwrap() {
            eprintln!("{name}: {}", t.as_str().unwrap());
        }
        if !fits_a_page(w, h) {
            bad.push(format!(
                "{name}: {w}x{h} px, more than twice as wide as tall"
            ));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// The size in px of `dot -Tsvg` of `src` (which Graphviz must accept).
fn graphviz_size(src: &str) -> (u64, u64) {
    use std::io::Write as _;
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("Graphviz dot (.ci/run installs graphviz)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(src.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "dot: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let svg = String::from_utf8(out.stdout).unwrap();
    let attr = |name: &str| -> u64 {
        let at = svg.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        let pt: f64 = svg[at..]
            .split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .next()
            .unwrap()
            .parse()
            .unwrap();
        (pt * 4.0 / 3.0).round() as u64
    };
    (attr("width"), attr("height"))
}
