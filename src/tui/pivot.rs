//! Pivots into the timeline (from an alert's account, or from any value
//! of an event) and what keys do there.

use super::app::{App, Pane, first_entity};
use super::keys::Action;
use super::timeline::{Subject, Timeline};
use crate::engine::Sym;

/// "Every event of that entity within five minutes either side."
const WINDOW_MS: i64 = 5 * 60_000;

impl App {
    /// The timeline of the selected alert's account, or of its address
    /// when it names no account.
    pub(super) fn alert_timeline(&mut self) {
        let Some(a) = self.selected_alert() else {
            return;
        };
        let first = a.first.map(|t| t.timestamp_millis());
        let (subject, value) = match first_entity(a, "account") {
            "" => (Subject::Ip, first_entity(a, "ip").to_string()),
            upn => (Subject::Upn, upn.to_string()),
        };
        match self.sym_of(&value) {
            Some(sym) => self.open_timeline(subject, sym, first, None),
            None => {
                self.message = Some("this alert names no account or address with events".into())
            }
        }
    }

    /// The timeline of the value under the drill-down's cursor; with
    /// `window`, only five minutes either side of the event shown.
    pub(super) fn value_timeline(&mut self, window: bool) {
        let Some(drill) = &self.drill else { return };
        let Some(raw) = drill.current().and_then(|l| l.raw.clone()) else {
            self.message = Some("move to a value to follow it".into());
            return;
        };
        let at = drill
            .items
            .get(drill.at)
            .and_then(|it| self.event_at(it.source, it.index))
            .map(|i| self.events[i].time_ms)
            .filter(|&t| t != i64::MIN);
        let range = at
            .filter(|_| window)
            .map(|t| (t - WINDOW_MS, t + WINDOW_MS));
        if !self.entity_timeline(&raw, at, range) {
            self.message = Some(format!(
                "no event has {} as its account, address or resource",
                crate::text::clip(&raw, 40)
            ));
        }
    }

    /// Opens the timeline of `value` as whichever entity the events have
    /// it as; false when none has.
    pub(super) fn entity_timeline(
        &mut self,
        value: &str,
        focus: Option<i64>,
        range: Option<(i64, i64)>,
    ) -> bool {
        let Some(sym) = self.sym_of(value) else {
            return false;
        };
        // The entity's own lists say which column holds it, without a
        // pass over the events.
        let Some(subject) = [Subject::Upn, Subject::Ip, Subject::Resource]
            .into_iter()
            .find(|&s| !self.events.of(s, sym).is_empty())
        else {
            return false;
        };
        self.open_timeline(subject, sym, focus, range);
        true
    }

    /// The number of a string among the events' columns. Accounts and
    /// resource ids are kept in lower case, addresses without a port.
    pub(super) fn sym_of(&self, value: &str) -> Option<Sym> {
        if value.is_empty() {
            return None;
        }
        let lower = value.to_lowercase();
        let bare = crate::ingest::mapping::clean_ip(value);
        self.names
            .iter()
            .position(|n| {
                **n == *value || **n == *lower || bare.as_deref().is_some_and(|b| **n == *b)
            })
            .filter(|&i| i > 0)
            .map(|i| Sym(i as u32))
    }

    fn open_timeline(
        &mut self,
        subject: Subject,
        sym: Sym,
        focus: Option<i64>,
        range: Option<(i64, i64)>,
    ) {
        let mut t = Timeline::new(subject, sym);
        t.range = range;
        t.refresh(&self.events, &self.alerts);
        if let Some(at) = focus {
            t.select_time(&self.events, at);
        }
        self.timeline = Some(t);
        self.pane = Pane::Timeline;
    }

    pub(super) fn act_timeline(&mut self, action: Action) {
        let Some(t) = &mut self.timeline else { return };
        let events = &self.events;
        match action {
            Action::Down => t.move_by(1),
            Action::Up => t.move_by(-1),
            Action::PageDown => t.move_by(20),
            Action::PageUp => t.move_by(-20),
            Action::Top => t.selected = 0,
            Action::Bottom => t.selected = t.lines.len().saturating_sub(1),
            Action::NextAlert => t.next_alert(true),
            Action::PrevAlert => t.next_alert(false),
            Action::ZoomIn => t.zoom(events, true),
            Action::ZoomOut => t.zoom(events, false),
            Action::Unzoom => {
                t.range = None;
                t.rebuild(events);
            }
            Action::Back => self.pane = Pane::Alerts,
            Action::CycleSource => t.cycle_source(events),
            Action::FilterOperation => t.toggle_operation(events),
            Action::Open => {
                if let Some(line) = t.lines.get(t.selected).copied() {
                    self.open_event(line.event, line.alert);
                }
            }
            _ => {}
        }
    }
}
