//! Drawing the model: stable labels, words for events, the format-free
//! [`scene::Scene`] of a moment, and one file per output format. Pure: takes
//! the model and events, returns text.

pub mod ascii;
pub mod describe;
pub mod doctor;
pub mod dot;
pub mod hang;
pub mod html;
pub mod json;
pub mod json_stream;
pub mod kernel;
pub mod layout;
pub mod mermaid;
pub mod narrate;
pub mod perfetto;
pub mod scene;
pub mod snapshot;
pub mod state;
pub mod steps;
pub mod style;
pub mod svg;
pub mod tree;
