//! `forkscope ebpf load|unload|status`: the eBPF backend's resident probe
//! (src/record/ebpf/resident.rs). Needs a build with the `ebpf` feature;
//! without it every action says so in one line.

use super::Exit;
use crate::words::Lang;

/// Arguments of `forkscope ebpf`.
#[derive(Debug, clap::Args)]
pub struct EbpfArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: EbpfAction,
}

/// The actions of `forkscope ebpf`.
#[derive(Debug, Clone, Copy, clap::Subcommand)]
pub enum EbpfAction {
    /// Load and attach this build's BPF programs once and pin them in bpffs
    /// (/sys/fs/bpf/forkscope-HASH, bpffs mounted if needed); nothing is
    /// traced until a recording claims them.
    Load,
    /// Remove this build's resident programs (waiting for a recording
    /// that uses them), and return once the kernel has detached them.
    Unload {
        /// Remove every forkscope build's resident programs.
        #[arg(long)]
        all: bool,
    },
    /// Say whether resident programs are loaded, by which build, since
    /// when, whether a recording uses them, and what they cost while idle.
    Status,
}

/// Runs `args`; says the outcome on stdout (errors on stderr).
pub fn run(args: EbpfArgs, lang: Lang) -> anyhow::Result<Exit> {
    #[cfg(feature = "ebpf")]
    {
        use crate::record::ebpf::resident;
        use crate::words::ebpf as w;
        let failed = |e: resident::ResidentError| {
            crate::errln!("{}", w::failed(lang, &e.0));
            Ok(Exit::Refused)
        };
        match args.action {
            EbpfAction::Load => match resident::load_resident() {
                Ok(o) => say(&w::loaded(lang, &o))?,
                Err(e) => return failed(e),
            },
            EbpfAction::Unload { all } => match resident::unload(all) {
                Ok(u) => say(&w::unloaded(lang, &u))?,
                Err(e) => return failed(e),
            },
            EbpfAction::Status => {
                let list = resident::list();
                let cost = list
                    .iter()
                    .any(|r| r.ours)
                    .then(resident::idle_cost_ns)
                    .flatten();
                say(&w::status(lang, &list, cost))?;
            }
        }
        Ok(Exit::Success)
    }
    #[cfg(not(feature = "ebpf"))]
    {
        let _ = args;
        crate::errln!(
            "{}",
            crate::words::cli::message(lang, &super::message::Message::EbpfNotBuilt)
        );
        Ok(Exit::Usage)
    }
}

/// Writes `text` and a newline to stdout.
#[cfg(feature = "ebpf")]
fn say(text: &str) -> anyhow::Result<()> {
    super::write_stdout(format!("{text}\n").as_bytes())
}
