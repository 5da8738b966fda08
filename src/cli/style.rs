//! Whether to colour: decided once from `--color`, NO_COLOR and whether
//! stdout is a terminal. The styles themselves are [`crate::render::style`].

use super::ColorChoice;
pub use crate::render::style::Style;
use std::io::IsTerminal;

impl Style {
    /// Applies `--color auto|always|never`; `auto` honours NO_COLOR and
    /// colours only a terminal.
    pub fn resolve(choice: ColorChoice) -> Style {
        let color = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stdout().is_terminal()
            }
        };
        Style { color }
    }
}
