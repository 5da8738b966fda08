//! Colour for terminal output, applied through owo-colors. Whether to
//! colour is decided once by the CLI (`--color`, NO_COLOR, a terminal).

use owo_colors::OwoColorize;

/// Whether to colour, and the few styles forkscope uses.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    /// Colour on.
    pub color: bool,
}

impl Style {
    /// No colour.
    pub fn plain() -> Style {
        Style { color: false }
    }

    fn paint(&self, s: &str, f: impl Fn(&str) -> String) -> String {
        if self.color {
            f(s)
        } else {
            s.to_string()
        }
    }

    /// Seq numbers and other quiet text.
    pub fn dim(&self, s: &str) -> String {
        self.paint(s, |s| s.dimmed().to_string())
    }

    /// Pids.
    pub fn pid(&self, s: &str) -> String {
        self.paint(s, |s| s.cyan().to_string())
    }

    /// Program names.
    pub fn prog(&self, s: &str) -> String {
        self.paint(s, |s| s.bold().to_string())
    }

    /// The call.
    pub fn call(&self, s: &str) -> String {
        self.paint(s, |s| s.yellow().to_string())
    }

    /// Trouble: failures, zombies, warnings.
    pub fn bad(&self, s: &str) -> String {
        self.paint(s, |s| s.red().to_string())
    }

    /// Good news: EOF reached, reaped.
    pub fn good(&self, s: &str) -> String {
        self.paint(s, |s| s.green().to_string())
    }
}
