//! Built-in teaching scenarios for `forkscope demo`: each is a short shell
//! command (needing only /bin/sh, coreutils and procps) that shows one idea
//! from a systems course, and the moment worth drawing.

use crate::words::narrate::Lesson;

/// One scenario.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    /// Its name on the command line.
    pub name: &'static str,
    /// What it shows (worded by [`crate::words::narrate::demo`]).
    pub lesson: Lesson,
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
        lesson: Lesson::Pipeline,
        script: "ps aux | grep -c sh",
        moment: Moment::Wired,
    },
    Scenario {
        name: "zombie",
        lesson: Lesson::Zombie,
        script: "sleep 0.1 & exec sleep 0.4",
        moment: Moment::MostZombies,
    },
    Scenario {
        name: "orphan",
        lesson: Lesson::Orphan,
        script: "(sleep 0.2; echo orphan done) & exit 0",
        moment: Moment::MostProcesses,
    },
    Scenario {
        name: "sigpipe",
        lesson: Lesson::Sigpipe,
        script: "yes | head -n 1",
        moment: Moment::PipelineInFlow,
    },
    Scenario {
        name: "leak",
        lesson: Lesson::Leak,
        script: "{ sleep 0.3 & echo hi; } | cat",
        moment: Moment::PipelineInFlow,
    },
    Scenario {
        name: "exec",
        lesson: Lesson::Exec,
        script: "exec 3</etc/hostname; exec ls -l /proc/self/fd/",
        moment: Moment::AfterExec,
    },
    Scenario {
        name: "wait",
        lesson: Lesson::Wait,
        script: "sleep 0.05 & sleep 0.1 & sleep 0.15 & wait",
        moment: Moment::MostProcesses,
    },
    Scenario {
        name: "redirect",
        lesson: Lesson::Redirect,
        script: "exec 3>&1; ls /nonexistent-forkscope-demo 2>&1 1>&3 | tr a-z A-Z",
        moment: Moment::Wired,
    },
];

/// The scenario called `name`.
pub fn find(name: &str) -> Option<&'static Scenario> {
    SCENARIOS.iter().find(|s| s.name == name)
}
