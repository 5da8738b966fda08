//! Transitional re-export: the language type now lives in
//! [`crate::words::lang`]. Removed once every caller passes a [`Lang`].

pub use crate::words::lang::*;
