//! The step-through HTML page (being written).

use super::scene::Scene;

/// One step of the page: the timeline line of an event and the scene after it.
#[derive(Clone, Debug)]
pub struct HtmlStep {
    /// The event's seq.
    pub seq: u64,
    /// Its timeline line (plain text, not yet escaped).
    pub line: String,
    /// The state after it.
    pub scene: Scene,
}

/// A self-contained page stepping through `steps`.
pub fn page(_title: &str, _steps: &[HtmlStep]) -> String {
    String::new()
}
