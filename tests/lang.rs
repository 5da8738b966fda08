//! `--lang zh`: the timeline, the state listing, the tree and the ascii
//! diagram in Chinese, snapshotted on the committed traces (no ptrace) and
//! reviewed line by line against the English; the locale picks the
//! language and `--lang` overrides it; English stays byte for byte what the
//! English snapshots hold; and Chinese boxes stay square in display columns.
//! Then the SVG's and the HTML page's own words, doctor, stall reports,
//! snapshot of a live tree, record's summary and diagram's messages in
//! Chinese, with no English words of their own left.

mod common;

use common::*;
use forkscope::render::ascii;
use forkscope::render::scene::{EventInfo, FdRow, PipeNode, ProcBox, Scene, Warning};
use forkscope::words::lang::Lang;
use std::process::Output;

const HANDMADE: &str = "fixtures/traces/handmade-pipeline.jsonl";
const SH: &str = "fixtures/traces/sh-pipeline.jsonl";

/// Runs forkscope with no locale in the environment (so only `--lang` and
/// `env` decide), colour off.
fn run_env(env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut c = forkscope();
    for v in ["LC_ALL", "LC_MESSAGES", "LANG"] {
        c.env_remove(v);
    }
    c.envs(env.iter().copied());
    let o = c.args(["--color", "never"]).args(args).output().unwrap();
    assert!(
        o.status.success(),
        "forkscope {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn out(env: &[(&str, &str)], args: &[&str]) -> String {
    String::from_utf8(run_env(env, args).stdout).unwrap()
}

fn zh(args: &[&str]) -> String {
    out(&[], &[&["--lang", "zh"], args].concat())
}

fn en(args: &[&str]) -> String {
    out(&[], &[&["--lang", "en"], args].concat())
}

fn at_repo(p: &str) -> String {
    repo().join(p).display().to_string()
}

/// The body of a committed snapshot (after insta's header).
fn snapshot(name: &str) -> String {
    let text = std::fs::read_to_string(repo().join("tests/snapshots").join(name)).unwrap();
    let body = text
        .splitn(3, "---\n")
        .nth(2)
        .unwrap_or_else(|| panic!("{name}: no insta header"));
    body.to_string()
}

// ---- the Chinese output, reviewed ----

#[test]
fn chinese_timeline_of_the_hand_built_pipeline() {
    insta::assert_snapshot!(
        "zh_timeline_handmade_pipeline",
        zh(&["replay", &at_repo(HANDMADE)])
    );
}

#[test]
fn chinese_timeline_of_the_sh_pipeline() {
    insta::assert_snapshot!("zh_timeline_sh_pipeline", zh(&["replay", &at_repo(SH)]));
}

#[test]
fn chinese_state_after_the_writers_dup2() {
    insta::assert_snapshot!(
        "zh_state_handmade_after_writer_dup2",
        zh(&["replay", &at_repo(HANDMADE), "--at", "9"])
    );
}

#[test]
fn chinese_state_when_the_writer_has_exited() {
    // #13: the writer child exits, the pipe has no writer left and the
    // child is a zombie.
    insta::assert_snapshot!(
        "zh_state_sh_after_writer_exits",
        zh(&["replay", &at_repo(SH), "--at", "13"])
    );
}

#[test]
fn chinese_tree_of_both_traces() {
    insta::assert_snapshot!(
        "zh_tree_handmade_pipeline",
        zh(&["tree", &at_repo(HANDMADE)])
    );
    insta::assert_snapshot!("zh_tree_sh_pipeline", zh(&["tree", &at_repo(SH)]));
}

#[test]
fn chinese_ascii_diagrams() {
    let d = |t: &str, at: &str| zh(&["diagram", &at_repo(t), "--format", "ascii", "--at", at]);
    insta::assert_snapshot!("zh_ascii_handmade_after_writer_dup2", d(HANDMADE, "9"));
    insta::assert_snapshot!("zh_ascii_handmade_final", d(HANDMADE, "38"));
    insta::assert_snapshot!("zh_ascii_sh_after_writer_exits", d(SH, "13"));
}

// ---- same facts, other words ----

/// The part of a timeline line before its sentence: seq, pid, program and
/// the strace-like call, which no language changes.
fn call_part(line: &str) -> &str {
    line.split("  — ").next().unwrap()
}

#[test]
fn chinese_timeline_keeps_every_call_and_has_a_sentence_where_english_does() {
    for t in [HANDMADE, SH] {
        let e = en(&["replay", &at_repo(t)]);
        let z = zh(&["replay", &at_repo(t)]);
        assert_eq!(e.lines().count(), z.lines().count());
        for (el, zl) in e.lines().zip(z.lines()) {
            assert_eq!(call_part(el), call_part(zl));
            assert_eq!(el.contains("  — "), zl.contains("  — "), "{el}\n{zl}");
            // fd numbers, pids and signal names survive translation.
            for token in el.split(|c: char| !c.is_ascii_alphanumeric() && c != '#') {
                let keep = token.starts_with("SIG")
                    || token.starts_with("pipe#")
                    || token.starts_with('#')
                    || token.starts_with('E')
                        && token.len() > 3
                        && token.chars().all(|c| c.is_ascii_uppercase())
                    || (!token.is_empty() && token.chars().all(|c| c.is_ascii_digit() || c == '-'));
                if keep {
                    assert!(zl.contains(token), "{token:?} lost in\n{el}\n{zl}");
                }
            }
        }
    }
}

#[test]
fn chinese_sentences_leave_no_english_behind() {
    const ENGLISH: &[&str] = &[
        " the ",
        "closed",
        " now ",
        "zombie",
        "reaps",
        "born",
        " ends",
        "starts",
        "runs",
        "reader",
        "writer",
        "read end",
        "write end",
        "arrives",
        "running",
        "parent",
    ];
    let mut all = String::new();
    for t in [HANDMADE, SH] {
        for l in zh(&["replay", &at_repo(t)]).lines() {
            // Only the sentence: the call text stays as strace writes it.
            all.push_str(l.split("  — ").nth(1).unwrap_or(""));
            all.push('\n');
        }
        all.push_str(&zh(&["replay", &at_repo(t), "--at", "9"]));
        all.push_str(&zh(&["tree", &at_repo(t)]));
    }
    for l in all.lines() {
        // The --at listing repeats the timeline line: judge its sentence only.
        let l = l.split("  — ").last().unwrap();
        for w in ENGLISH {
            assert!(!l.contains(w), "English {w:?} left in: {l}");
        }
    }
}

#[test]
fn chinese_tree_has_the_same_shape_as_the_english() {
    for t in [HANDMADE, SH] {
        let e = en(&["tree", &at_repo(t)]);
        let z = zh(&["tree", &at_repo(t)]);
        assert_eq!(e.lines().count(), z.lines().count());
        for (el, zl) in e.lines().zip(z.lines()) {
            // Tree branches, pid and exec chain are the same.
            let head = |l: &str| l.split("  ").next().unwrap().to_string();
            assert_eq!(head(el), head(zl));
        }
    }
}

// ---- choosing the language ----

#[test]
fn a_chinese_locale_chooses_chinese_and_lang_en_overrides_it() {
    let t = at_repo(SH);
    let zh_env = [("LANG", "zh_CN.UTF-8")];
    let by_locale = out(&zh_env, &["replay", &t]);
    assert!(by_locale.contains("回收了"), "{by_locale}");
    assert_eq!(by_locale, zh(&["replay", &t]));
    // LC_ALL wins over LANG, as in gettext.
    let lc_all = out(
        &[("LANG", "en_US.UTF-8"), ("LC_ALL", "zh_CN.UTF-8")],
        &["replay", &t],
    );
    assert_eq!(lc_all, by_locale);
    // --lang en beats the locale.
    let overridden = out(&zh_env, &["--lang", "en", "replay", &t]);
    assert!(!overridden.contains("回收"), "{overridden}");
    assert_eq!(overridden, out(&[], &["replay", &t]));
    // And --lang zh beats an English locale.
    assert_eq!(
        out(&[("LANG", "en_US.UTF-8")], &["--lang", "zh", "replay", &t]),
        by_locale
    );
}

// ---- English unchanged ----

#[test]
fn english_output_is_what_the_english_snapshots_hold() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["replay", HANDMADE],
            "replay__timeline_handmade_pipeline.snap",
        ),
        (
            &["replay", HANDMADE, "--at", "9"],
            "replay__state_after_writer_dup2.snap",
        ),
        (
            &["diagram", HANDMADE, "--at", "9"],
            "diagram__ascii_handmade_after_writer_dup2.snap",
        ),
        (
            &["diagram", HANDMADE, "--at", "18"],
            "diagram__ascii_handmade_after_tr_exec.snap",
        ),
        (
            &["diagram", HANDMADE, "--at", "38"],
            "diagram__ascii_handmade_final.snap",
        ),
        (
            &["diagram", SH, "--at", "7"],
            "diagram__ascii_sh_after_first_fork.snap",
        ),
        (
            &["diagram", SH, "--at", "12"],
            "diagram__ascii_sh_after_writer_closes.snap",
        ),
    ];
    for (args, snap) in cases {
        let args: Vec<String> = args
            .iter()
            .map(|a| {
                if a.ends_with(".jsonl") {
                    at_repo(a)
                } else {
                    a.to_string()
                }
            })
            .collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let want = snapshot(snap);
        // Explicitly English, and English by default without a locale.
        for got in [en(&args), out(&[], &args)] {
            assert_eq!(
                got.trim_end(),
                want.trim_end(),
                "{args:?} differs from {snap}"
            );
        }
    }
}

#[test]
fn english_tree_is_unchanged() {
    assert_eq!(
        en(&["tree", &at_repo(HANDMADE)]),
        "18576 pipe_fork_exec  312µs–8.3ms  exit 0\n\
         ├─ 18577 pipe_fork_exec → echo hello  5.2ms–8.1ms  exit 0  zombie 31µs, reaped by 18576\n\
         └─ 18578 pipe_fork_exec → tr a-z A-Z  5.3ms–8.2ms  exit 0  zombie 16µs, reaped by 18576\n"
    );
}

// ---- Chinese boxes stay square ----

/// Each character of `line` with the display column it starts at.
fn columns(line: &str) -> Vec<(usize, char)> {
    let mut col = 0;
    line.chars()
        .map(|c| {
            let at = col;
            col += ascii::char_cols(c);
            (at, c)
        })
        .collect()
}

/// Checks every box of an ascii drawing: each `┌…┐` top is followed by
/// `│ … │` rows and a `└…┘` bottom whose left and right edges sit in the
/// same display columns, so every line of a box has the same display width.
/// Returns how many boxes it checked.
fn assert_boxes_square(drawing: &str) -> usize {
    let lines: Vec<Vec<(usize, char)>> = drawing.lines().map(columns).collect();
    let mut boxes = 0;
    for (i, top) in lines.iter().enumerate() {
        let Some(&(left, _)) = top.iter().find(|(_, c)| *c == '┌') else {
            continue;
        };
        let &(right, _) = top
            .iter()
            .find(|(_, c)| *c == '┐')
            .unwrap_or_else(|| panic!("box top without ┐: {}", drawing.lines().nth(i).unwrap()));
        let at = |l: &[(usize, char)], col: usize| l.iter().find(|(c, _)| *c == col).map(|x| x.1);
        let mut closed = false;
        for (j, row) in lines.iter().enumerate().skip(i + 1) {
            let text = drawing.lines().nth(j).unwrap();
            let (l, r) = (at(row, left), at(row, right));
            if l == Some('└') {
                assert_eq!(r, Some('┘'), "bottom edge misaligned:\n{text}");
                closed = true;
                break;
            }
            assert_eq!(l, Some('│'), "left edge misaligned:\n{text}");
            assert_eq!(r, Some('│'), "right edge misaligned:\n{text}");
            // Nothing after the right edge of a box row but the edge itself.
            assert_eq!(
                ascii::width(text),
                right + 1,
                "row wider than its box:\n{text}"
            );
        }
        assert!(closed, "box not closed");
        boxes += 1;
    }
    boxes
}

#[test]
fn chinese_boxes_have_the_same_display_width_on_every_line() {
    for (t, at) in [
        (HANDMADE, "9"),
        (HANDMADE, "18"),
        (HANDMADE, "38"),
        (SH, "7"),
        (SH, "13"),
    ] {
        let d = zh(&["diagram", &at_repo(t), "--at", at]);
        assert!(assert_boxes_square(&d) >= 1, "{d}");
        for l in d.lines() {
            assert!(
                ascii::width(l) <= ascii::WIDTH,
                "wider than {}: {l}",
                ascii::WIDTH
            );
        }
    }
}

#[test]
fn display_width_counts_cjk_and_fullwidth_punctuation_as_two_columns() {
    assert_eq!(ascii::width("pipe#1"), 6);
    assert_eq!(ascii::width("管道"), 4);
    assert_eq!(ascii::width("读端（fd 3）："), 4 + 2 + 4 + 2 + 2);
    assert_eq!(ascii::width("▶ …→"), 4);
}

/// A scene full of wide characters: Chinese paths, program names and a
/// long Chinese warning, to be drawn in Chinese.
fn wide_scene() -> Scene {
    let row = |fd: i32, label: &str, refcount: usize| FdRow {
        fd,
        cloexec: fd == 5,
        label: label.into(),
        kind: "file",
        pipe: None,
        open_file: format!("#{fd}"),
        refcount,
        highlight: fd == 1,
        new: false,
    };
    let pb =
        |pid: i32, parent: Option<i32>, depth: usize, program: &str, fds: Vec<FdRow>| ProcBox {
            pid,
            parent,
            depth,
            program: program.into(),
            chain: vec!["sh".into(), program.into()],
            state: if pid == 12 { "zombie" } else { "running" },
            threads: if pid == 10 { 2 } else { 0 },
            fds,
            hidden_files: if pid == 11 { 3 } else { 0 },
            highlight: pid == 11,
            new: false,
            ghosts: Vec::new(),
        };
    Scene {
        title: "sh -c '统计 | 排序'".into(),
        event: Some(EventInfo {
            seq: 7,
            pid: 11,
            call: "dup2(4, 1)".into(),
            sentence: Some(
                "fd 1 现在指向 pipe#1 的写端（和 fd 4 是同一个打开文件）；它原来指向的 /dev/pts/0 被关闭了；\
                 这句话故意写得很长很长很长，用来检查中文在折行时也不会超出一行的宽度限制，也不会把方框挤歪"
                    .into(),
            ),
        }),
        processes: vec![
            pb(10, None, 0, "统计程序", vec![row(0, "/dev/pts/0", 1), row(3, "/home/学生/作业/数据.txt", 2)]),
            pb(
                11,
                Some(10),
                1,
                "排序",
                vec![
                    row(1, "/home/学生/一个非常非常长的中文目录名字/还有更长的子目录名字/再来一层很长很长的目录/结果文件.txt", 1),
                    row(5, "/tmp/日志", 1),
                ],
            ),
            pb(12, Some(10), 1, "僵尸孩子", vec![]),
        ],
        pipes: vec![PipeNode {
            number: 1,
            label: "pipe#1".into(),
            origin: "created",
            readers: vec![(10, 3)],
            writers: vec![(11, 1), (99, 4)],
            unknown: vec![],
        }],
        shared: vec![],
        warnings: vec![Warning {
            pid: 12,
            fd: None,
            text: "12 是僵尸进程：它已经退出了，父进程却还没有 wait 回收它".into(),
        }],
        open_files: Vec::new(),
        lang: Lang::En,
    }
}

#[test]
fn boxes_around_chinese_labels_stay_square_in_both_languages() {
    for l in [Lang::Zh, Lang::En] {
        let mut scene = wide_scene();
        scene.lang = l;
        let d = ascii::render(&scene, false);
        assert_eq!(assert_boxes_square(&d), 3, "{d}");
        for line in d.lines() {
            assert!(ascii::width(line) <= ascii::WIDTH, "too wide: {line}");
        }
        assert!(
            d.contains("/home/学生/一个") && !d.contains("结果文件.txt"),
            "the long path is cut:\n{d}"
        );
    }
}

#[test]
#[should_panic(expected = "right edge misaligned")]
fn the_box_check_catches_a_box_measured_in_characters() {
    // Padded as if 管道 took 2 columns: the right edge lands one column late.
    assert_boxes_square("┌─ a ─┐\n│ 管道 │\n└──────┘\n");
}

// ---- doctor and hang reports in Chinese, on real recordings ----

/// `forkscope --lang LANG doctor [--json] TRACE`: (exit code, stdout).
fn doctor(lang: &str, json: bool, trace: &std::path::Path) -> (i32, String) {
    let mut c = forkscope();
    for v in ["LC_ALL", "LC_MESSAGES", "LANG"] {
        c.env_remove(v);
    }
    c.args(["--color", "never", "--lang", lang, "doctor"]);
    if json {
        c.arg("--json");
    }
    let o = c.arg(trace).output().unwrap();
    (
        o.status.code().expect("doctor exited by signal"),
        String::from_utf8(o.stdout).unwrap(),
    )
}

#[test]
fn doctor_speaks_chinese_and_keeps_codes_pids_and_fds() {
    let bin = fixture_from("doctor", "reader_holds_write_end");
    let rec = record(&[bin.as_os_str()]);
    let (en_code, en_text) = doctor("en", false, &rec.trace);
    let (zh_code, zh_text) = doctor("zh", false, &rec.trace);
    assert_eq!((en_code, zh_code), (1, 1), "{en_text}\n{zh_text}");
    // English: as tests/doctor.rs knows it, no Chinese in it.
    assert!(en_text.contains("error[leaked-write-end]"), "{en_text}");
    assert!(en_text.contains("so it could never see EOF"), "{en_text}");
    assert!(en_text.contains("  fix       In the reader"), "{en_text}");
    assert!(!en_text.chars().any(|c| c >= '\u{4e00}'), "{en_text}");
    // Chinese: the summary, the fix and the labels, by hand. Lines wrap
    // between any two Chinese characters: join them to search.
    let zh_flat: String = zh_text
        .lines()
        .map(str::trim_start)
        .collect::<Vec<_>>()
        .join("");
    assert!(zh_text.contains("error[leaked-write-end]"), "{zh_text}");
    assert!(zh_flat.contains("永远等不到 EOF"), "{zh_text}");
    assert!(zh_flat.contains("自己却还持有它的写端"), "{zh_text}");
    assert!(zh_text.contains("怎么改"), "{zh_text}");
    assert!(
        zh_flat.contains("管道两边各自关掉自己用不到的那一端"),
        "{zh_text}"
    );
    assert!(zh_flat.contains("的写端（泄漏者）"), "{zh_text}");
    assert!(
        zh_text.contains("个事件里发现 1 个问题：1 个错误"),
        "{zh_text}"
    );
    assert!(!zh_text.contains("could never see EOF"), "{zh_text}");
    // The same pids, fds, pipes and seqs in both.
    let tokens = |t: &str| -> Vec<String> {
        let re_like = |w: &str| {
            w.starts_with("pipe#")
                || w.starts_with('#')
                || w == "fd"
                || w.chars().all(|c| c.is_ascii_digit())
        };
        let mut v: Vec<String> = t
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
            .filter(|w| !w.is_empty() && re_like(w))
            .map(str::to_string)
            .collect();
        v.sort();
        v.dedup();
        v
    };
    assert_eq!(tokens(&en_text), tokens(&zh_text), "{en_text}\n{zh_text}");
    // JSON stays English and byte-identical.
    let (_, en_json) = doctor("en", true, &rec.trace);
    let (_, zh_json) = doctor("zh", true, &rec.trace);
    assert_eq!(en_json, zh_json);
    assert!(!zh_json.chars().any(|c| c >= '\u{4e00}'), "{zh_json}");
}

#[test]
fn stall_report_speaks_chinese() {
    let bin = fixture_from("hang", "reader_holds_write_end");
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.jsonl");
    let mut c = forkscope();
    for v in ["LC_ALL", "LC_MESSAGES", "LANG"] {
        c.env_remove(v);
    }
    let o = c
        .args(["--color", "never", "--lang", "zh", "record", "-o"])
        .arg(&trace)
        .args(["--stall-timeout", "1", "--on-deadlock", "kill", "--"])
        .arg(&bin)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(124), "{err}");
    // The stall is noticed after 1 s; a loaded machine may say 1.1 s.
    let said = err
        .split("被跟踪的进程已经 ")
        .nth(1)
        .and_then(|r| r.split_once(" 秒没有任何进展了"))
        .map(|(secs, _)| secs.parse::<f64>());
    assert!(
        matches!(said, Some(Ok(s)) if (1.0..3.0).contains(&s)),
        "{err}"
    );
    assert!(err.contains("死锁："), "the kind is worded too: {err}");
    assert!(
        err.contains("在等它自己") || err.contains("在互相等待"),
        "{err}"
    );
    assert!(err.contains("怎么改："), "{err}");
    assert!(err.contains("阻塞在通过 fd 3 读 pipe:["), "{err}");
    assert!(err.contains("自己（fd 4）"), "{err}");
    assert!(err.contains("：形成了一个环。"), "{err}");
    assert!(!err.contains("is blocked"), "{err}");
    assert!(
        err.contains("只有所有写端都关闭了，读者才会看到 EOF"),
        "{err}"
    );
    assert!(
        err.contains("正在杀死被跟踪的进程（--on-deadlock kill；退出状态 124）"),
        "{err}"
    );
    assert!(!err.contains("Fix:"), "{err}");
    // The trace keeps the English report.
    let text = std::fs::read_to_string(&trace).unwrap();
    assert!(text.contains("close fd 4"), "{text}");
    assert!(!text.chars().any(|c| c >= '\u{4e00}'), "{text}");
}

// ---- the SVG drawing and the HTML page in Chinese ----

/// The text of every `<text>` and `<title>` element of an SVG (no-break
/// spaces as spaces, entities as they are): what a reader sees or hovers.
fn svg_texts(svg: &str) -> Vec<String> {
    let mut out = Vec::new();
    for tag in ["<text", "<title>"] {
        let close = if tag == "<text" {
            "</text>"
        } else {
            "</title>"
        };
        let mut rest = svg;
        while let Some(i) = rest.find(tag) {
            rest = &rest[i..];
            let start = rest.find('>').unwrap() + 1;
            let end = rest.find(close).unwrap();
            let mut plain = String::new();
            let mut in_tag = false;
            for c in rest[start..end].chars() {
                match c {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    c if !in_tag => plain.push(if c == '\u{a0}' { ' ' } else { c }),
                    _ => {}
                }
            }
            out.push(plain);
            rest = &rest[end..];
        }
    }
    out
}

/// Words of the SVG's own (legend, lists, badges, tooltips) that must not
/// be left in the Chinese drawing.
const SVG_ENGLISH: &[&str] = &[
    "closed on exec",
    "shared by",
    "writes into",
    "reads from",
    "dashed",
    "Open files",
    " fds)",
    "more",
    "not shown",
    "no open fds",
    "child of",
    "; ran ",
    "exec: ",
    "open file",
    "held by",
    "writers",
    "readers",
    "running",
    "zombie",
    "thread",
    "pid ",
];

#[test]
fn chinese_svg_has_a_chinese_legend_list_and_tooltips() {
    let svg = |lang: fn(&[&str]) -> String, at: &str| {
        lang(&["diagram", &at_repo(HANDMADE), "--format", "svg", "--at", at])
    };
    // #9: three processes share /dev/pts/0; pipe#1 joins them.
    let (e, z) = (svg(en, "9"), svg(zh, "9"));
    let (et, zt) = (svg_texts(&e), svg_texts(&z));
    assert!(et.iter().any(|t| t == "Open files shared by several fds"));
    assert!(zt.iter().any(|t| t == "共享的打开文件"), "{zt:?}");
    assert!(zt
        .iter()
        .any(|t| t.starts_with("#0 /dev/pts/0（8 个 fd）：18576 fd 0,1,2 · ")));
    let legend = zt.iter().find(|t| t.starts_with("cloexec")).unwrap();
    assert!(
        legend.starts_with("cloexec：下一次 exec 时关闭 · #N×K：打开文件 #N，被 K 个 fd 共享"),
        "{legend}"
    );
    assert!(zt.iter().any(|t| t == "虚线：从父进程连到子进程"), "{zt:?}");
    assert!(zt
        .iter()
        .any(|t| t == "进程 18577 pipe_fork_exec（运行中），是 18576 的子进程"));
    assert!(zt
        .iter()
        .any(|t| t == "18577 的 fd 1：pipe#1 的写端；打开文件 #4，共有 4 个 fd 指向它"));
    assert!(zt
        .iter()
        .any(|t| t.starts_with("pipe#1：写端 18576 fd 4 · ")));
    // The same drawing: as many texts, boxes, rows and tubes.
    assert_eq!(et.len(), zt.len());
    for mark in [
        "<g class=\"fs-proc",
        "<g class=\"fs-row\"",
        "class=\"fs-tube",
    ] {
        assert_eq!(e.matches(mark).count(), z.matches(mark).count(), "{mark}");
    }
    // #38: the last process is a zombie with no fd left.
    let z38 = svg_texts(&svg(zh, "38"));
    assert!(z38.iter().any(|t| t == "僵尸"), "{z38:?}");
    assert!(z38.iter().any(|t| t == "没有打开的 fd"), "{z38:?}");
    // --collapse-files at #2 leaves the ld.so cache out of the box.
    let collapsed = zh(&[
        "diagram",
        &at_repo(HANDMADE),
        "--format",
        "svg",
        "--at",
        "2",
        "--collapse-files",
    ]);
    assert!(svg_texts(&collapsed)
        .iter()
        .any(|t| t == "另有 1 个 fd 没有画出"));
    for t in zt.iter().chain(&z38).chain(&svg_texts(&collapsed)) {
        for w in SVG_ENGLISH {
            assert!(!t.contains(w), "English {w:?} left in: {t}");
        }
    }
}

#[test]
fn a_chinese_svg_caption_breaks_between_characters() {
    // #38's sentence is long Chinese: it wraps inside the sentence, never
    // leaving a line that is only a pid.
    let z = svg_texts(&zh(&[
        "diagram",
        &at_repo(HANDMADE),
        "--format",
        "svg",
        "--at",
        "38",
    ]));
    let lines: Vec<&String> = z.iter().filter(|t| t.contains("僵尸进程")).collect();
    assert!(!lines.is_empty());
    for t in &z {
        assert!(t != "⚠ 18576", "a warning broke after its pid: {z:?}");
    }
}

#[test]
fn chinese_html_page_has_chinese_controls_and_no_english_ones() {
    let page = |l: fn(&[&str]) -> String| l(&["diagram", &at_repo(SH), "--format", "html"]);
    let (e, z) = (page(en), page(zh));
    let steps = e.matches("<li ").count();
    assert_eq!(steps, z.matches("<li ").count());
    assert!(e.contains("<html lang=\"en\">"));
    assert!(e.contains(&format!(">step 1 of {steps} · seq 0<")));
    assert!(z.contains("<html lang=\"zh-Hans\">"));
    assert!(
        z.contains(&format!(">第 1 步，共 {steps} 步 · 事件 #0<")),
        "{z:.2000}"
    );
    assert!(z.contains("title=\"上一步（←）\""));
    assert!(z.contains("title=\"下一步（→）\""));
    assert!(z.contains(&format!(">共 {steps} 步 · ← → 前后翻一步 · ")));
    assert!(z.contains("aria-label=\"时间线\""));
    // The script writes the counter in Chinese too.
    let script = z.rsplit("<script>").next().unwrap();
    assert!(script.contains("' 步，共 '"), "{script}");
    for w in [
        "step 1 of",
        " steps ·",
        "previous step",
        "next step",
        "link: #seq",
        "aria-label=\"timeline\"",
        "aria-label=\"step\"",
        "'step '",
        " of ' + n",
        "Open files shared",
        "dashed: parent",
    ] {
        assert!(!z.contains(w), "English {w:?} left in the Chinese page");
    }
    // The timeline lines are the Chinese replay's, event for event.
    let replay = zh(&["replay", &at_repo(SH)]);
    let first = replay.lines().next().unwrap();
    let sentence = first.split("  — ").nth(1).unwrap();
    assert!(z.contains(sentence), "{sentence}");
}

// ---- snapshot of a live tree in Chinese ----

/// A program started without a tracer in its own process group; the whole
/// group is killed on drop.
struct Group(std::process::Child);

impl Group {
    fn spawn(cmd: &mut std::process::Command) -> Group {
        use std::os::unix::process::CommandExt;
        Group(cmd.process_group(0).spawn().expect("spawn"))
    }

    fn pid(&self) -> String {
        self.0.id().to_string()
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        // SAFETY: killpg on the process group this test created.
        unsafe {
            libc::killpg(self.0.id() as i32, libc::SIGKILL);
        }
        let _ = self.0.wait();
    }
}

/// `forkscope --lang zh snapshot ARGS PID`: (exit code, stdout).
fn zh_snapshot(args: &[&str], pid: &str) -> (Option<i32>, String) {
    let mut c = forkscope();
    let o = c
        .args(["--color", "never", "--lang", "zh", "snapshot"])
        .args(args)
        .arg(pid)
        .output()
        .unwrap();
    (o.status.code(), String::from_utf8(o.stdout).unwrap())
}

#[test]
fn snapshot_says_in_chinese_what_each_task_waits_for() {
    let bin = fixture_from("hang", "reader_holds_write_end");
    let g = Group::spawn(
        std::process::Command::new(&bin)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null()),
    );
    // Wait until the child is blocked in its read.
    let mut text = String::new();
    for _ in 0..100 {
        let (code, t) = zh_snapshot(&[], &g.pid());
        text = t;
        if code == Some(1) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let first = text.lines().next().unwrap_or_default();
    assert!(
        first.starts_with(&format!("{}（", g.pid()))
            && first.ends_with("此刻的快照：2 个进程，2 个任务"),
        "{text}"
    );
    assert!(text.contains("通过 fd 3 读 pipe:["), "{text}");
    assert!(text.contains("（管道是空的："), "{text}");
    assert!(text.contains(" 里等 "), "{text}");
    assert_eq!(text.matches("  卡住了").count(), 2, "{text}");
    assert!(text.contains("死锁："), "the kind is worded too: {text}");
    assert!(text.contains("  怎么改："), "{text}");
    for w in [
        "snapshot of",
        "process",
        "task",
        "STUCK",
        "reading",
        " via fd",
        " for ",
    ] {
        assert!(!text.contains(w), "English {w:?} left in:\n{text}");
    }
    // The drawing of the snapshot: Chinese title, ends and warning.
    let (code, svg) = zh_snapshot(&["--format", "svg"], &g.pid());
    assert_eq!(code, Some(1));
    let texts = svg_texts(&svg);
    assert!(texts.iter().any(|t| t.ends_with("此刻的快照")), "{texts:?}");
    assert!(texts
        .iter()
        .any(|t| t.starts_with("pipe:[") && t.ends_with("] 的读端")));
    assert!(texts.iter().any(|t| t == "阻塞中"), "{texts:?}");
    let warning: String = texts
        .iter()
        .filter(|t| t.starts_with('⚠') || !t.is_ascii())
        .cloned()
        .collect();
    assert!(warning.contains("怎么改："), "{texts:?}");
    assert!(!warning.contains("Fix:"), "{texts:?}");
}

#[test]
fn snapshot_of_a_sleeping_process_says_no_hang_in_chinese() {
    let g = Group::spawn(std::process::Command::new("sleep").arg("30"));
    std::thread::sleep(std::time::Duration::from_millis(100));
    let (code, text) = zh_snapshot(&[], &g.pid());
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("没有卡死：每个阻塞的任务都还有人能把它放出来"),
        "{text}"
    );
    assert!(text.contains("1 个进程，1 个任务"), "{text}");
    assert!(!text.contains("no hang"), "{text}");
}

// ---- record's summary in Chinese ----

/// `forkscope --lang LANG record -o TRACE -- ARGV`: (exit code, stderr).
fn record_in(lang: &str, trace: &std::path::Path, argv: &[&str]) -> (Option<i32>, String) {
    let mut c = forkscope();
    let o = c
        .args(["--color", "never", "--lang", lang, "record", "-o"])
        .arg(trace)
        .arg("--")
        .args(argv)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn record_sums_up_the_run_in_chinese() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.jsonl");
    let argv = ["sh", "-c", "echo hi | cat"];
    let (code, zh) = record_in("zh", &trace, &argv);
    assert_eq!(code, Some(0), "{zh}");
    let (_, events, _) = forkscope::trace::read_all(&trace).unwrap();
    // (Two SIGCHLDs may arrive as one: the signal count is not checked.)
    let zh = zh.trim_end();
    assert!(
        zh.starts_with(
            "forkscope：sh 退出了，退出状态 0。一共跟踪了 3 个进程、2 次 exec、1 个管道、"
        ),
        "{zh}"
    );
    assert!(
        zh.ends_with(&format!(
            " 个信号。trace 文件：{}（{} 个事件）。",
            trace.display(),
            events.len()
        )),
        "{zh}"
    );
    // The English summary says the same.
    let (_, en) = record_in("en", &trace, &argv);
    assert!(
        en.starts_with("forkscope: sh exited with status 0. Traced 3 processes, 2 execs, 1 pipe, "),
        "{en}"
    );
    // A command that is not there.
    let (code, zh) = record_in("zh", &trace, &["/nonexistent/forkscope-test"]);
    assert_eq!(code, Some(127));
    assert_eq!(
        zh.trim_end(),
        "forkscope：/nonexistent/forkscope-test：找不到这个命令"
    );
}

// ---- diagram's own messages in Chinese ----

#[test]
fn diagram_messages_and_errors_speak_chinese() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("d.svg");
    let run = |lang: &str, args: &[&str]| {
        let o = forkscope()
            .args(["--color", "never", "--lang", lang, "diagram", &at_repo(SH)])
            .args(args)
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let svg_arg = svg.display().to_string();
    let (code, err) = run("zh", &["--format", "svg", "--at", "13", "-o", &svg_arg]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(err, format!("forkscope：已写入 {}\n", svg.display()));
    let (_, err) = run("en", &["--format", "svg", "--at", "13", "-o", &svg_arg]);
    assert_eq!(err, format!("forkscope: wrote {}\n", svg.display()));
    let (code, err) = run("zh", &["--at", "99"]);
    assert_eq!(code, Some(125));
    assert_eq!(
        err,
        format!(
            "forkscope：错误：--at 99 超出了 {} 的末尾：最后一个事件是 #32\n",
            at_repo(SH)
        )
    );
    let (_, err) = run("en", &["--at", "99"]);
    assert_eq!(
        err,
        format!(
            "forkscope: error: --at 99 is beyond the end of {}: its last event is #32\n",
            at_repo(SH)
        )
    );
    let (code, err) = run("zh", &["--format", "html", "--at", "3", "-o", &svg_arg]);
    assert_eq!(code, Some(0));
    assert!(
        err.starts_with("forkscope：--format html 不看 --at："),
        "{err}"
    );
}

/// Output that cannot be written (a full disk behind stdout, a directory
/// that cannot be made) is said in the language asked for, naming what.
#[test]
fn output_failures_speak_chinese() {
    let full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap()
    };
    let run = |lang: &str, args: &[&str]| {
        let o = forkscope()
            .args(["--color", "never", "--lang", lang])
            .args(args)
            .stdout(full())
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(125), "{args:?}");
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let sh = at_repo(SH);
    for args in [
        vec!["diagram", &sh, "--at", "13"],
        vec!["replay", &sh, "--verify"],
        vec!["replay", &sh],
        vec!["doctor", &sh],
        vec!["tree", &sh],
        vec!["export", &sh, "-f", "perfetto"],
        vec!["snapshot", "1"],
        vec!["demo"],
        vec!["completions", "bash"],
    ] {
        let (zh, en) = (run("zh", &args), run("en", &args));
        assert!(
            zh.starts_with("forkscope：错误：写不了标准输出"),
            "{args:?}: {zh}"
        );
        assert!(
            en.starts_with("forkscope: error: cannot write to stdout"),
            "{args:?}: {en}"
        );
    }
    let not_a_dir = repo().join("README.md").join("man");
    let not_a_dir = not_a_dir.display().to_string();
    let zh = run("zh", &["man", "--out-dir", &not_a_dir]);
    assert!(
        zh.starts_with(&format!("forkscope：错误：建不了目录 {not_a_dir}")),
        "{zh}"
    );
}

#[test]
fn dot_and_mermaid_labels_speak_chinese_and_keep_their_identifiers() {
    let draw = |l: fn(&[&str]) -> String, format: &str| {
        l(&["diagram", &at_repo(SH), "--format", format, "--at", "13"])
    };
    let (dot_en, dot_zh) = (draw(en, "dot"), draw(zh, "dot"));
    assert!(dot_en.contains("after #13 18584 +++ exit 0 +++"));
    assert!(dot_zh.contains("#13 18584 +++ exit 0 +++ 之后"), "{dot_zh}");
    assert!(dot_zh.contains("<i>没有打开的 fd</i>"), "{dot_zh}");
    assert!(dot_zh.contains("[僵尸]") && dot_zh.contains("[运行中]"));
    assert!(dot_zh.contains("写端全关了 → 读端读到 EOF"), "{dot_zh}");
    assert!(dot_zh.contains(">6 个 fd<"), "{dot_zh}");
    let (mm_en, mm_zh) = (draw(en, "mermaid"), draw(zh, "mermaid"));
    assert!(mm_en.contains("-->|\"fd 3 read\"| p18583"));
    assert!(mm_zh.contains("pipe0 -->|\"fd 3 读\"| p18583"), "{mm_zh}");
    assert!(mm_zh.contains("<br>没有打开的 fd\"]:::hot"), "{mm_zh}");
    assert!(mm_zh.contains(" · 6 个 fd (18583: fd 0,1,2"), "{mm_zh}");
    for (e, z) in [(&dot_en, &dot_zh), (&mm_en, &mm_zh)] {
        for w in [
            "after #",
            "no open fds",
            "zombie]",
            "running]",
            "no writer left",
            " fds",
            "read\"|",
        ] {
            // DOT comments are for whoever reads the source, not drawn.
            let drawn = z.lines().filter(|l| !l.trim_start().starts_with("//"));
            for l in drawn {
                assert!(!l.contains(w), "English {w:?} left in: {l}");
            }
        }
        // The same graph: the same nodes and edges, in the same order.
        let ids = |t: &str| -> Vec<String> {
            t.lines()
                .map(|l| l.trim().split(['[', ' ', '"']).next().unwrap().to_string())
                .collect()
        };
        assert_eq!(ids(e), ids(z));
    }
}
