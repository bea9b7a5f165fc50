//! The analyst's settings, from the config directory (`directories`
//! finds it: `~/.config/vigil` on Linux): `config.toml` names a theme and
//! may turn the mouse on,
//! `keys.toml` adds keys, `themes/NAME.toml` holds themes of their own.
//! A setting that cannot be used is reported and the console opens with
//! the default in its place.

use std::path::PathBuf;

use serde::Deserialize;

use super::keymap::Keymap;
use super::theme::{self, Theme};

pub struct Settings {
    pub theme: Theme,
    pub keymap: Keymap,
    /// Mouse reports wanted (see [`super::mouse`]).
    pub mouse: bool,
    /// What could not be used, each with its file and line.
    pub problems: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    theme: Option<String>,
    mouse: Option<bool>,
}

pub fn config_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "vigil").map(|d| d.config_dir().to_path_buf())
}

/// Settings from the config directory, with the flags (`theme`, `mouse`)
/// over the file's choices.
pub fn load(theme: Option<&str>, mouse: bool) -> Settings {
    let dir = config_dir();
    let mut problems = Vec::new();
    let mut config = ConfigFile::default();
    if let Some(path) = dir.as_ref().map(|d| d.join("config.toml")) {
        if let Ok(text) = std::fs::read_to_string(&path) {
            match toml::from_str::<ConfigFile>(&text) {
                Ok(c) => config = c,
                Err(e) => problems.push(format!("{}: {}", path.display(), e.message())),
            }
        }
    }
    let keymap = match dir.as_ref().map(|d| d.join("keys.toml")) {
        Some(path) => match std::fs::read_to_string(&path) {
            Ok(text) => Keymap::from_toml(&path.display().to_string(), &text),
            Err(_) => Keymap::default(),
        },
        None => Keymap::default(),
    };
    problems.extend(keymap.problems.iter().cloned());
    let choice = theme.map(str::to_string).or(config.theme);
    let themes = dir.as_ref().map(|d| d.join("themes"));
    let mut chosen = match choice {
        Some(c) => Theme::find(&c, themes.as_deref()).unwrap_or_else(|e| {
            problems.push(e);
            Theme::dark()
        }),
        None => Theme::dark(),
    };
    if theme::no_color() {
        chosen = chosen.without_color();
    }
    Settings {
        theme: chosen,
        keymap,
        mouse: mouse || config.mouse.unwrap_or(false),
        problems,
    }
}
