//! "Where the outage goes": the outage a ping client and each PV's clients see, taken
//! apart into what the model (for a scenario) or the recording (for a bundle) says it
//! is made of. Deterministic text (no clock, no paths) so it can be snapshotted.

mod bundle;
mod scenario;

pub use bundle::{bundle, bundle_headline};
pub use scenario::{scenario, scenario_headline};

use crate::units::{Nanos, ns_to_ms};
use serde::Serialize;

/// One line of an explanation: a part of the outage (or a fact about it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// Stable machine name, e.g. `pause.stop`.
    pub key: String,
    /// Nesting: 0 for a total, 1 for its parts, 2 for theirs.
    pub depth: u8,
    /// What it is.
    pub label: String,
    /// Its value as printed (duration, span, count).
    pub value: String,
    /// Its duration, ms, when it is one (the lower bound of an interval).
    pub ms: Option<f64>,
    /// Upper bound, ms, when the value is an interval.
    pub ms_hi: Option<f64>,
    /// Why, in words.
    pub note: String,
}

/// A titled group of rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Section {
    /// Heading.
    pub heading: String,
    /// Rows in order.
    pub rows: Vec<Row>,
}

/// The whole explanation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// `scenario` or `bundle`.
    pub subject: &'static str,
    /// Scenario or bundle name.
    pub name: String,
    /// One line on top.
    pub title: String,
    /// What was run or recorded.
    pub description: String,
    /// The sections.
    pub sections: Vec<Section>,
}

/// A duration in ms, printed in ms below a second and in s above.
pub fn dur(ms: f64) -> String {
    if ms.abs() < 1000.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{:.3} s", ms / 1e3)
    }
}

/// An interval of durations, ms (open-ended when `hi` is None).
pub fn dur_range(lo: f64, hi: Option<f64>) -> String {
    match hi {
        Some(h) if (h - lo).abs() < 0.05 => dur(lo),
        Some(h) if h < 1000.0 => format!("{lo:.1}..{h:.1} ms"),
        Some(h) => format!("{:.3}..{:.3} s", lo / 1e3, h / 1e3),
        None => format!("> {}", dur(lo)),
    }
}

/// An instant, seconds from t = 0.
fn at(s: f64) -> String {
    format!("{s:.3} s")
}

/// A row with any value.
fn row(key: &str, depth: u8, label: &str, value: String, ms: Option<f64>, note: String) -> Row {
    Row {
        key: key.to_string(),
        depth,
        label: label.to_string(),
        value,
        ms,
        ms_hi: None,
        note,
    }
}

/// A row whose value is a duration, ms.
fn d(key: &str, depth: u8, label: &str, ms: f64, note: impl Into<String>) -> Row {
    row(key, depth, label, dur(ms), Some(ms), note.into())
}

/// Model nanoseconds as ms.
fn ms_of(ns: Nanos) -> f64 {
    ns_to_ms(ns)
}

/// Model nanoseconds as s.
fn s_of(ns: Nanos) -> f64 {
    ns as f64 / 1e9
}

/// Renders an explanation as text, at most 110 columns wide.
pub fn render(e: &Explanation) -> String {
    const LABEL: usize = 30;
    const VALUE: usize = 22;
    const WIDTH: usize = 110;
    let mut out = format!("{}\n", e.title);
    if !e.description.is_empty() {
        out.push_str(&format!("{}\n", e.description));
    }
    for s in &e.sections {
        out.push('\n');
        for l in wrap(&s.heading, WIDTH) {
            out.push_str(&l);
            out.push('\n');
        }
        for r in &s.rows {
            let indent = 2 + 2 * r.depth as usize;
            let label = format!("{:indent$}{}", "", r.label);
            let head = format!("{label:<LABEL$} {:>VALUE$}  ", r.value);
            let col = head.chars().count().max(LABEL + VALUE + 3);
            let lines = wrap(&r.note, WIDTH.saturating_sub(col).max(30));
            let mut first = true;
            for l in lines {
                if first {
                    out.push_str(&head);
                    first = false;
                } else {
                    out.push_str(&" ".repeat(col));
                }
                out.push_str(&l);
                out.push('\n');
            }
            if first {
                out.push_str(head.trim_end());
                out.push('\n');
            }
        }
    }
    out
}

/// Greedy word wrap.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for w in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + w.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(w);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_switch_units_at_a_second() {
        assert_eq!(dur(31.66), "31.7 ms");
        assert_eq!(dur(17162.2), "17.162 s");
        assert_eq!(dur_range(800.0, Some(1035.0)), "0.800..1.035 s");
        assert_eq!(dur_range(0.0, Some(101.0)), "0.0..101.0 ms");
        assert_eq!(dur_range(5.0, None), "> 5.0 ms");
    }

    #[test]
    fn notes_wrap_under_their_column() {
        let e = Explanation {
            subject: "scenario",
            name: "t".into(),
            title: "t".into(),
            description: String::new(),
            sections: vec![Section {
                heading: "h".into(),
                rows: vec![d("k", 1, "part", 1.0, "word ".repeat(40))],
            }],
        };
        let text = render(&e);
        assert!(text.lines().count() > 4, "{text}");
        assert!(text.lines().all(|l| l.chars().count() <= 110), "{text}");
    }
}
