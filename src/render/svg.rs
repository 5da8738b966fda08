//! SVG (being written).

use super::scene::Scene;

/// Draws a scene as a standalone SVG document.
pub fn render(_scene: &Scene) -> String {
    String::new()
}
