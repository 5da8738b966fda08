//! Transitional re-export: pipe naming is model-level identity and now
//! lives in [`crate::model::labels`].

pub use crate::model::labels::*;
