//! Taking the terminal over and giving it back. Whatever happens (a normal
//! exit, an error, a panic), the terminal is restored before anything is
//! printed, so a crash never leaves an SSH session in raw mode.

use std::io::{self, Stdout};

use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

pub type Term = Terminal<CrosstermBackend<Stdout>>;

/// Restores the terminal when dropped.
pub struct Guard {
    pub term: Term,
}

fn restore() {
    let _ = disable_raw_mode();
    // Turning mouse reports off when they were never on is harmless, and
    // a panic hook cannot know which it was.
    let _ = execute!(
        io::stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

impl Guard {
    pub fn enter(mouse: bool) -> io::Result<Guard> {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
        enable_raw_mode()?;
        let mut out = io::stdout();
        let entered = if mouse {
            execute!(out, EnterAlternateScreen, EnableMouseCapture)
        } else {
            execute!(out, EnterAlternateScreen)
        };
        if let Err(e) = entered {
            restore();
            return Err(e);
        }
        let term = Terminal::new(CrosstermBackend::new(out)).inspect_err(|_| restore())?;
        Ok(Guard { term })
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}
