//! Built-in teaching scenarios for `forkscope demo`: each is a short shell
//! command (needing only /bin/sh, coreutils and procps) that shows one idea
//! from a systems course, and the moment worth drawing.

/// One scenario.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    /// Its name on the command line.
    pub name: &'static str,
    /// What it shows, in one line (English).
    pub about: &'static str,
    /// What it shows, in one line (Chinese).
    pub about_zh: &'static str,
    /// The command, run with `sh -c`.
    pub script: &'static str,
    /// Which moment to draw.
    pub moment: Moment,
}

/// The moment of the trace a demo draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    /// A pipeline in flow: the most processes holding exactly one end of a
    /// pipe (each side has closed the end it does not use); the latest such
    /// moment, so the programs the children exec'd are named.
    PipelineInFlow,
    /// When the most zombies exist.
    MostZombies,
    /// When the most processes are alive.
    MostProcesses,
    /// After the last dup/close before the programs exec: a pipeline's
    /// stages or a command's redirections in place.
    Wired,
    /// Right after the exec that follows an fd change (`exec 3<file; exec ls`).
    AfterExec,
}

/// Every scenario; the first is the default.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "pipeline",
        about: "`ps aux | grep sh`: the shell makes a pipe, forks twice, and each child dup2s one end onto stdin or stdout before exec",
        about_zh: "`ps aux | grep sh`：shell 先建管道，再 fork 两次，每个子进程在 exec 之前用 dup2 把管道的一端接到标准输入或标准输出上",
        script: "ps aux | grep -c sh",
        moment: Moment::Wired,
    },
    Scenario {
        name: "zombie",
        about: "a child that exits while its parent never waits stays a zombie until the parent is gone",
        about_zh: "子进程退出了，父进程却一直不 wait，子进程就成了僵尸，直到父进程结束",
        script: "sleep 0.1 & exec sleep 0.4",
        moment: Moment::MostZombies,
    },
    Scenario {
        name: "orphan",
        about: "the parent exits first; its child is orphaned and adopted outside the trace (by init or a subreaper)",
        about_zh: "父进程先退出，子进程成了孤儿，被 init（或 subreaper）收养",
        script: "(sleep 0.2; echo orphan done) & exit 0",
        moment: Moment::MostProcesses,
    },
    Scenario {
        name: "sigpipe",
        about: "`yes | head -n 1`: head exits after one line, the pipe loses its last reader, and yes dies of SIGPIPE",
        about_zh: "`yes | head -n 1`：head 读完一行就退出，管道没有读端了，yes 再写就被 SIGPIPE 杀死",
        script: "yes | head -n 1",
        moment: Moment::PipelineInFlow,
    },
    Scenario {
        name: "leak",
        about: "a background job inherits the pipeline's write end, so the reader waits for EOF until the job ends",
        about_zh: "后台任务继承了管道的写端，读端要一直等到它结束才读到 EOF",
        script: "{ sleep 0.3 & echo hi; } | cat",
        moment: Moment::PipelineInFlow,
    },
    Scenario {
        name: "exec",
        about: "exec replaces the program but keeps the process and its fds",
        about_zh: "exec 换掉程序，但进程还是那个进程，文件描述符也都还在",
        script: "exec 3</etc/hostname; exec ls -l /proc/self/fd/",
        moment: Moment::AfterExec,
    },
    Scenario {
        name: "wait",
        about: "a parent starts three children and reaps each with wait",
        about_zh: "父进程启动三个子进程，再用 wait 一个个回收",
        script: "sleep 0.05 & sleep 0.1 & sleep 0.15 & wait",
        moment: Moment::MostProcesses,
    },
    Scenario {
        name: "redirect",
        about: "`2>&1 1>&3`: dup2 makes two fds share one open file; order matters",
        about_zh: "`2>&1 1>&3`：dup2 让两个文件描述符指向同一个打开文件，先后顺序很要紧",
        script: "exec 3>&1; ls /nonexistent-forkscope-demo 2>&1 1>&3 | tr a-z A-Z",
        moment: Moment::Wired,
    },
];

/// The scenario called `name`.
pub fn find(name: &str) -> Option<&'static Scenario> {
    SCENARIOS.iter().find(|s| s.name == name)
}
