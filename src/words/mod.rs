//! Words: the one layer that turns facts into text for a reader.
//!
//! Analyses, the recorder and the model produce *facts*: typed values that
//! carry the pids, fds, pipes, programs and statuses a sentence needs, and
//! no prose. This module (and only this module) holds reader-facing words:
//!
//! - [`lang`]: the [`Lang`] a run writes in, chosen once at the CLI edge and
//!   passed down as a parameter.
//! - [`text`]: helpers every language shares: one display-width table, one
//!   word wrap (Chinese breaks between characters, never before closing
//!   punctuation), lists, durations, exit statuses, escaping of text that
//!   comes from a trace.
//! - one module per family of facts (findings, hangs, narration, diagrams,
//!   command-line messages, the terminal view), each wording its facts in
//!   every language through an exhaustive `match`, so that a missing
//!   translation is a compile error and a third language is one more table
//!   per family.
//!
//! `.ci/run` checks that no Chinese text appears in `src/` outside this
//! module. See docs/architecture.md for how to add a fact and its words.

pub mod diagram;
#[cfg(feature = "ebpf")]
pub mod ebpf;
pub mod finding;
pub mod hang;
pub mod lang;
pub mod narrate;
pub(crate) mod put;
pub mod text;
pub mod tui;

pub use lang::Lang;
pub mod cli;
pub mod record;
