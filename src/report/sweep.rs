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
        let mut row: Vec<String> = p.values.iter().map(|&v| value(v)).collect();
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
        let name = &s.names[0];
        match s.boundary.first().copied().flatten() {
            Some(b) => {
                // The sweep only brackets the boundary: between the last point that
                // converged and the first that did not.
                let before = s
                    .points
                    .iter()
                    .take_while(|p| p.values[0] != b)
                    .last()
                    .map(|p| p.values[0]);
                out.push_str(&match before {
                    Some(a) => format!(
                        "convergence boundary: pre-copy stops converging unthrottled between {name} = {} and {}\n",
                        value(a),
                        value(b)
                    ),
                    None => format!(
                        "convergence boundary: pre-copy does not converge unthrottled even at {name} = {} (the start of the range)\n",
                        value(b)
                    ),
                })
            }
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
    // Columns as wide as their value labels, so each mark sits under its value.
    let heads: Vec<String> = cols.iter().map(|&c| value(c)).collect();
    let head: Vec<String> = heads
        .iter()
        .map(|h| format!("{h:>w$}", w = h.len()))
        .collect();
    out.push_str(&format!("{:>12}  {}\n", "", head.join(" ")));
    for chunk in s.points.chunks(cols.len().max(1)) {
        let label = chunk.first().map_or(String::new(), |p| value(p.values[0]));
        let marks: Vec<String> = chunk
            .iter()
            .zip(&heads)
            .map(|(p, h)| format!("{:>w$}", mark(p.verdict), w = h.len()))
            .collect();
        out.push_str(&format!("{label:>12}  {}\n", marks.join(" ")));
    }
    out
}

/// A varied value as people write it: whole numbers plain, others to six
/// significant digits (`5333.33`, `0.125`, `22.6274`).
pub fn value(x: f64) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    if (x - x.round()).abs() < 1e-9 * x.abs().max(1.0) {
        return format!("{}", x.round());
    }
    let digits = x.abs().log10().floor() as i32 + 1;
    let decimals = (6 - digits).clamp(0, 15) as usize;
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::value;

    #[test]
    fn values_read_as_written() {
        assert_eq!(value(9000.0), "9000");
        assert_eq!(value(16000.0 / 3.0), "5333.33");
        assert_eq!(value(0.125), "0.125");
        assert_eq!(value(22.627416997969522), "22.6274");
        assert_eq!(value(0.0001234567), "0.000123457");
        assert_eq!(value(-2.5), "-2.5");
    }
}
