//! The mouse, for an analyst who turns it on (`--mouse`, or `mouse = true`
//! in config.toml). It is off by default: capturing it takes text
//! selection away from the terminal, which over SSH is often the only
//! clipboard there is. The wheel moves as the arrow keys do, a click on a
//! tab opens that pane, and a click on an alert selects it (a second
//! click opens it).

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};

use super::app::{App, Pane};
use super::keys::Action;

/// Lines the wheel moves per notch.
const WHEEL: usize = 3;

/// Where the last frame put what a click can hit; the view fills it in as
/// it draws.
#[derive(Debug, Default, Clone)]
pub struct Regions {
    /// Each tab's first and last column on the top line.
    pub tabs: Vec<(u16, u16, Pane)>,
    /// The alert rows on screen.
    pub alerts: Option<Rows>,
}

#[derive(Debug, Clone, Copy)]
pub struct Rows {
    /// The screen line of the first row shown.
    pub top: u16,
    pub height: u16,
    /// The position in the list of the first row shown.
    pub first: usize,
}

impl App {
    pub fn mouse(&mut self, m: MouseEvent) {
        // A question being answered takes keys only.
        if self.prompt.is_some() {
            return;
        }
        match m.kind {
            MouseEventKind::ScrollDown => (0..WHEEL).for_each(|_| self.act(Action::Down)),
            MouseEventKind::ScrollUp => (0..WHEEL).for_each(|_| self.act(Action::Up)),
            MouseEventKind::Down(MouseButton::Left) => self.click(m.column, m.row),
            _ => {}
        }
    }

    fn click(&mut self, x: u16, y: u16) {
        if self.help {
            self.help = false;
            return;
        }
        if y == 0 {
            let hit = self
                .regions
                .tabs
                .iter()
                .find(|(a, b, _)| (*a..=*b).contains(&x));
            if let Some(&(_, _, pane)) = hit {
                self.act(Action::Go(pane));
            }
            return;
        }
        if self.pane != Pane::Alerts {
            return;
        }
        let Some(rows) = self.regions.alerts else {
            return;
        };
        if y < rows.top || y >= rows.top + rows.height {
            return;
        }
        let at = rows.first + usize::from(y - rows.top);
        if at >= self.rows.len() {
            return;
        }
        if at == self.selected {
            self.act(Action::Open);
        } else {
            self.selected = at;
            self.settle();
        }
    }
}
