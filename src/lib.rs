//! forkscope: a record-and-replay tracer for process and fd topology.
//!
//! Data flows one way: `record` (ptrace, /proc: the only unsafe code) writes
//! a `trace`; the trace replays into a `model`; `analysis` reads the model for
//! findings; `render` draws it. `cli` sits on top.

#![warn(unreachable_pub)]

pub mod analysis;
pub mod cli;
pub mod demo;
pub mod model;
pub mod record;
pub mod render;
pub mod replay;
pub mod trace;
pub mod tui;
pub mod words;
