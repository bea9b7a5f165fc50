//! Themes: the styles the panes draw with, read from TOML files. Four are
//! built in (the files in `themes/`, compiled into the binary so it works
//! from anywhere); more can be put in the user's config directory or named
//! by path. `NO_COLOR` keeps a theme's bold, underline and reverse and
//! drops its colours.

use std::path::Path;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

use crate::rules::rule::Severity;

/// The built-in themes, by name.
pub const BUILT_IN: [(&str, &str); 4] = [
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("mono", include_str!("../../themes/mono.toml")),
];

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    selected: Style,
    header: Style,
    dim: Style,
    matched: Style,
    critical: Style,
    high: Style,
    medium: Style,
    low: Style,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawStyle {
    fg: Option<String>,
    bg: Option<String>,
    #[serde(default)]
    modifiers: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStyles {
    selected: RawStyle,
    header: RawStyle,
    dim: RawStyle,
    matched: RawStyle,
    critical: RawStyle,
    high: RawStyle,
    medium: RawStyle,
    low: RawStyle,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTheme {
    name: String,
    styles: RawStyles,
}

fn modifier(name: &str) -> Option<Modifier> {
    Some(match name {
        "bold" => Modifier::BOLD,
        "dim" => Modifier::DIM,
        "italic" => Modifier::ITALIC,
        "underlined" => Modifier::UNDERLINED,
        "reversed" => Modifier::REVERSED,
        "crossed_out" => Modifier::CROSSED_OUT,
        _ => return None,
    })
}

fn style(raw: RawStyle, which: &str) -> Result<Style, String> {
    let color = |c: &Option<String>| -> Result<Option<Color>, String> {
        c.as_deref()
            .map(|c| {
                Color::from_str(c).map_err(|_| {
                    format!(
                        "styles.{which}: `{c}` is no colour (a name such as `red`, or `#rrggbb`)"
                    )
                })
            })
            .transpose()
    };
    let mut s = Style::default();
    if let Some(fg) = color(&raw.fg)? {
        s = s.fg(fg);
    }
    if let Some(bg) = color(&raw.bg)? {
        s = s.bg(bg);
    }
    for m in &raw.modifiers {
        let m = modifier(m).ok_or_else(|| {
            format!(
                "styles.{which}: `{m}` is no modifier (bold, dim, italic, underlined, reversed, crossed_out)"
            )
        })?;
        s = s.add_modifier(m);
    }
    Ok(s)
}

impl Theme {
    /// Reads a theme file's text; errors name the file and the line.
    pub fn from_toml(file: &str, text: &str) -> Result<Theme, String> {
        let raw: RawTheme = toml::from_str(text).map_err(|e| {
            let at = e.span().map(|s| {
                let before = &text[..s.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
                format!("{line}:{column}: ")
            });
            format!("{file}:{}{}", at.unwrap_or_default(), e.message())
        })?;
        let s = raw.styles;
        let named = |r: RawStyle, w: &str| style(r, w).map_err(|e| format!("{file}: {e}"));
        Ok(Theme {
            name: raw.name,
            selected: named(s.selected, "selected")?,
            header: named(s.header, "header")?,
            dim: named(s.dim, "dim")?,
            matched: named(s.matched, "matched")?,
            critical: named(s.critical, "critical")?,
            high: named(s.high, "high")?,
            medium: named(s.medium, "medium")?,
            low: named(s.low, "low")?,
        })
    }

    pub fn built_in(name: &str) -> Option<Theme> {
        let (_, text) = BUILT_IN.iter().find(|(n, _)| *n == name)?;
        Theme::from_toml(&format!("themes/{name}.toml"), text).ok()
    }

    pub fn dark() -> Theme {
        Theme::built_in("dark").expect("the dark theme is built in")
    }

    /// A theme by name (built in, or a file in `dir`) or by path.
    pub fn find(choice: &str, dir: Option<&Path>) -> Result<Theme, String> {
        if let Some(t) = Theme::built_in(choice) {
            return Ok(t);
        }
        let path = if choice.ends_with(".toml") || choice.contains('/') {
            Path::new(choice).to_path_buf()
        } else {
            match dir {
                Some(d) => d.join(format!("{choice}.toml")),
                None => return Err(format!("no theme named `{choice}`")),
            }
        };
        let text = std::fs::read_to_string(&path).map_err(|e| {
            let names: Vec<&str> = BUILT_IN.iter().map(|(n, _)| *n).collect();
            format!(
                "no theme `{choice}` ({}: {e}); built in: {}",
                path.display(),
                names.join(", ")
            )
        })?;
        Theme::from_toml(&path.display().to_string(), &text)
    }

    /// The same theme without colours, as `NO_COLOR` asks.
    pub fn without_color(mut self) -> Theme {
        for s in [
            &mut self.selected,
            &mut self.header,
            &mut self.dim,
            &mut self.matched,
            &mut self.critical,
            &mut self.high,
            &mut self.medium,
            &mut self.low,
        ] {
            s.fg = None;
            s.bg = None;
            s.underline_color = None;
        }
        self
    }

    pub fn selected(&self) -> Style {
        self.selected
    }

    pub fn header(&self) -> Style {
        self.header
    }

    pub fn dim(&self) -> Style {
        self.dim
    }

    /// A field or value that made the rule match, or what a search found.
    pub fn matched(&self) -> Style {
        self.matched
    }

    pub fn severity(&self, s: Severity) -> Style {
        match s {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
        }
    }
}

/// Whether `NO_COLOR` is set to something.
pub fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_theme_loads_and_styles_differ_from_plain() {
        for (name, _) in BUILT_IN {
            let t = Theme::built_in(name).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(t.name, name);
            assert_ne!(t.selected(), Style::default(), "{name}");
            assert_ne!(t.matched(), t.dim(), "{name}");
        }
    }

    #[test]
    fn no_color_keeps_emphasis_and_drops_colours() {
        let t = Theme::dark().without_color();
        assert_eq!(t.header().fg, None);
        assert!(t.header().add_modifier.contains(Modifier::BOLD));
        assert!(t.selected().add_modifier.contains(Modifier::REVERSED));
    }

    #[test]
    fn a_bad_theme_file_says_where_and_why() {
        let text = "name = \"x\"\n[styles]\nselected = { fg = 12 }\n";
        let e = Theme::from_toml("mine.toml", text).unwrap_err();
        assert!(e.starts_with("mine.toml:3:"), "{e}");
        let text = BUILT_IN[0].1.replace("\"cyan\"", "\"cyann\"");
        let e = Theme::from_toml("mine.toml", &text).unwrap_err();
        assert!(e.contains("styles.header: `cyann` is no colour"), "{e}");
    }
}
