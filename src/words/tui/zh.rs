//! `forkscope view` in Chinese.

use super::holders;
use crate::tui::facts::{Filter, HelpRow, Label, Message, PipeLine, PipeVerdict, Refusal};
use crate::words::Lang;

pub(super) const MOUSE_WHEEL: &str = "鼠标滚轮";

pub(super) fn message(m: &Message) -> String {
    match m {
        Message::NoSuchEvent { seq, last } => format!("没有事件 #{seq}，最后一个事件是 #{last}"),
        Message::NothingKeptAfter => "在这之后没有符合筛选条件的事件".into(),
        Message::LeftOutByFilters { seq } => format!("#{seq} 被筛选条件去掉了：显示它后面的事件"),
        Message::SearchStopped => "已停止搜索".into(),
        Message::StoppedFollowing { pid } => format!("不再跟踪 {pid}"),
        Message::DoctorStillReading => "诊断还在读 trace".into(),
        Message::DoctorFoundNothing => "诊断没有发现问题".into(),
        Message::NotASeq { text } => format!("{text:?} 不是事件编号（应该像 120 这样）"),
        Message::NotAPid { text } => format!("{text:?} 不是进程号"),
        Message::NoEventsOf { pid } => format!("这个 trace 里没有进程 {pid} 的事件"),
        Message::NoSearchYet => "还没有搜索过：按 /".into(),
        Message::Searching { at: Some(seq) } => format!("正在搜索… 到了 #{seq}"),
        Message::Searching { at: None } => String::new(),
        Message::NoMoreMatches { needle } => format!("再没有和 {needle:?} 匹配的事件了"),
        Message::Failed(e) => e.clone(),
    }
}

pub(super) fn label(l: Label) -> String {
    match l {
        Label::DiagramAfter { seq } => format!("#{seq} 之后的图"),
        Label::Diagram => "图".into(),
        Label::Timeline { at, of } => format!("时间线 {at}/{of}"),
        Label::TimelineEmpty => "时间线".into(),
        Label::NothingKept => "没有符合筛选条件的事件（用 f、p、c 修改）".into(),
        Label::ProcessTree => "进程树".into(),
        Label::Pipes => "管道".into(),
        Label::NoPipeOpen => "（没有打开的管道）".into(),
        Label::Doctor => "诊断（Tab，回车）".into(),
        Label::ReadingFindings => "正在读 trace 查找问题…".into(),
        Label::NothingFound => "没有发现问题".into(),
        Label::DoctorStopped => "诊断中途停止了".into(),
        Label::AskSeq => "跳到编号：".into(),
        Label::AskSearch => "搜索：/".into(),
        Label::AskFollow => "跟踪进程号（回车）：".into(),
        Label::HelpHint => "? 帮助  q 退出".into(),
        Label::Keys => "按键".into(),
        Label::EventKinds => "事件种类（空格，回车）".into(),
        Label::Program => "程序（Ctrl-O：按键给它）".into(),
        Label::ProgramHasKeys => "程序：按键给它（Ctrl-O：视图）".into(),
        Label::ProgramEnded { status } => {
            format!("程序（{}）", crate::words::text::status(Lang::Zh, &status))
        }
        Label::LiveHint => "Ctrl-O 按键交给程序  ? 帮助  q 退出".into(),
        Label::KeysGoToProgram => "按键交给程序；Ctrl-O：回到视图".into(),
        Label::Recording { events } => format!("正在记录… {events} 个事件"),
        Label::Indexing { events } => format!("正在读取 trace… {events} 个事件"),
        Label::DoctorAfterRecording => "程序结束后 doctor 再读取 trace".into(),
        Label::Hang => "卡住".into(),
        Label::CloseHang => "Esc：关闭".into(),
    }
}

pub(super) fn help(row: HelpRow) -> &'static str {
    match row {
        HelpRow::Step => "下一个 / 上一个事件",
        HelpRow::Page => "向下 / 向上翻一页",
        HelpRow::FirstLast => "第一个 / 最后一个事件",
        HelpRow::GoTo => "按编号跳到事件",
        HelpRow::Search => "搜索文字；下一个 / 上一个匹配",
        HelpRow::Kinds => "选择事件种类（空格勾选，a 全选，回车）",
        HelpRow::Follow => "只看一个进程（再按 p：全部）",
        HelpRow::Collapse => "隐藏库文件和 locale 文件的事件",
        HelpRow::Tree => "显示 / 隐藏进程树",
        HelpRow::Findings => "选择诊断发现；跳到它的事件",
        HelpRow::KernelView => "切换到图的内核视图（fd 表 → 打开文件 → 对象），再按一次切回",
        HelpRow::Mouse => "逐步移动，或滚动图",
        HelpRow::Help => "本帮助（任意键关闭）",
        HelpRow::Quit => "退出",
        HelpRow::Focus => "record --tui：按键交给程序的窗格，再按一次回来",
    }
}

pub(super) fn filter(f: &Filter) -> String {
    match f {
        Filter::Kinds(k) => format!("种类={}", k.join(",")),
        Filter::Following(p) => format!("跟踪 {p}"),
        Filter::FilesCollapsed => "隐藏文件事件".into(),
    }
}

pub(super) fn pipe_line(p: &PipeLine) -> String {
    let list = |v: &[_]| holders(v, "无", "、");
    let mut line = format!(
        "{}：写端 {}；读端 {}",
        p.name,
        list(&p.writers),
        list(&p.readers)
    );
    if !p.unknown.is_empty() {
        line.push_str(&format!("；不知哪一端 {}", list(&p.unknown)));
    }
    match p.verdict {
        Some(PipeVerdict::Eof) => line.push_str("（读到 EOF）"),
        Some(PipeVerdict::Sigpipe) => line.push_str("（写会收到 SIGPIPE）"),
        None => {}
    }
    line
}

pub(super) fn refusal(r: &Refusal) -> String {
    match r {
        Refusal::NeedsTerminal { path } => format!(
            "forkscope view 需要在终端里运行（标准输入和标准输出）；要文字输出，用 `forkscope replay {}`",
            path.display()
        ),
        Refusal::NoEvents { path } => format!("{}：这个 trace 里没有事件", path.display()),
        Refusal::RecordNeedsTerminal => {
            "forkscope record --tui 需要在终端里运行（标准输入和标准输出）；没有终端时，用 `forkscope record`（或 --live）".into()
        }
        Refusal::RecordNeedsAFile => {
            "forkscope record --tui 要跟随 trace 文件，标准输出（-o -）无法跟随：请给一个文件名".into()
        }
    }
}
