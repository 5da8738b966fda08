//! The language of what forkscope writes for a reader (timeline sentences,
//! diagram words in every format, the HTML page's controls, doctor findings,
//! snapshot and record messages): English or Chinese, chosen once per run
//! by `--lang` or from LC_ALL / LC_MESSAGES / LANG at the CLI edge and
//! passed down as a parameter.

/// A language forkscope writes annotations in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Chinese (简体中文).
    Zh,
}

impl Lang {
    /// From the locale variables, as gettext reads them: the first of
    /// LC_ALL, LC_MESSAGES, LANG that is set and not empty.
    pub fn from_env() -> Lang {
        for var in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            if let Some(v) = std::env::var_os(var).filter(|v| !v.is_empty()) {
                return Lang::from_locale(&v.to_string_lossy());
            }
        }
        Lang::En
    }

    /// `zh_CN.UTF-8` and friends are Chinese; everything else English.
    pub fn from_locale(locale: &str) -> Lang {
        if locale.starts_with("zh") {
            Lang::Zh
        } else {
            Lang::En
        }
    }

    /// Picks the English or the Chinese text.
    pub fn pick<T>(self, en: T, zh: T) -> T {
        match self {
            Lang::En => en,
            Lang::Zh => zh,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_locales_choose_chinese() {
        assert_eq!(Lang::from_locale("zh_CN.UTF-8"), Lang::Zh);
        assert_eq!(Lang::from_locale("zh_TW"), Lang::Zh);
        assert_eq!(Lang::from_locale("C.UTF-8"), Lang::En);
        assert_eq!(Lang::from_locale("en_US.UTF-8"), Lang::En);
    }
}
