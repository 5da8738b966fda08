//! The replay model (being written).
