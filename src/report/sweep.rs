//! The `sweep` report: a table of the points, the convergence boundary, and an SVG
//! plot (see [`super::plot`]).

use super::table::Table;
use crate::model::Verdict;
use crate::units::MIB;
use crate::whatif::sweep::Sweep;

/// One-letter verdict marks for maps.
pub fn mark(v: Verdict) -> &'static str {
    match v {
        Verdict::Converged => ".",
        Verdict::ConvergedWithThrottle => "t",
        Verdict::NeedsPostcopy => "P",
        Verdict::NeedsOffline => "X",
    }
}

/// The human-readable sweep report.
pub fn render(s: &Sweep, scenario: &str) -> String {
    let mut out = format!(
        "sweep of {scenario} over {} (seed {})\n\n",
        s.names.join(" x "),
        s.seed
    );
    let mut header: Vec<String> = s.names.clone();
    header.extend(
        [
            "verdict",
            "total s",
            "downtime ms",
            "outage ms",
            "sent MiB",
            "passes",
            "throttle %",
            "offline s",
        ]
        .iter()
        .map(|x| x.to_string()),
    );
    let mut t = Table::new(&header);
    for p in &s.points {
        let mut row: Vec<String> = p.values.iter().map(|v| format!("{v}")).collect();
        let done = matches!(
            p.verdict,
            Verdict::Converged | Verdict::ConvergedWithThrottle
        );
        row.extend([
            p.verdict.to_string(),
            format!("{:.2}", p.total_time_ms / 1e3),
            if done {
                format!("{:.1}", p.downtime_ms)
            } else {
                "-".into()
            },
            if done {
                format!("{:.0}", p.outage_ms)
            } else {
                "-".into()
            },
            format!("{:.1}", p.bytes_sent as f64 / MIB as f64),
            p.passes.to_string(),
            format!("{:.0}", p.max_throttle_pct),
            format!("{:.2}", p.offline_downtime_ms / 1e3),
        ]);
        t.row(row);
    }
    out.push_str(&t.render());
    out.push('\n');
    if s.names.len() == 1 {
        match s.boundary.first().copied().flatten() {
            Some(b) => out.push_str(&format!(
                "convergence boundary: pre-copy stops converging unthrottled at {} = {b}\n",
                s.names[0]
            )),
            None => out.push_str("convergence boundary: none in range (converges everywhere)\n"),
        }
    } else {
        out.push_str(&map(s));
    }
    out
}

/// A verdict map for two parameters: rows the first, columns the second.
fn map(s: &Sweep) -> String {
    let cols: Vec<f64> = {
        let mut c: Vec<f64> = s.points.iter().map(|p| p.values[1]).collect();
        c.dedup();
        c.sort_by(f64::total_cmp);
        c.dedup();
        c
    };
    let mut out = format!(
        "verdict map ({} down, {} across; . converged, t with throttle, P needs post-copy, X needs offline)\n",
        s.names[0], s.names[1]
    );
    for chunk in s.points.chunks(cols.len().max(1)) {
        let label = chunk.first().map_or(0.0, |p| p.values[0]);
        let marks: String = chunk
            .iter()
            .map(|p| mark(p.verdict))
            .collect::<Vec<_>>()
            .join(" ");
        out.push_str(&format!("{label:>12}  {marks}\n"));
    }
    out
}
