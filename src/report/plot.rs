//! SVG plots (plotters' SVG backend): a sweep's total time and downtime against the
//! varied parameter with the verdict regions shaded, and a two-parameter verdict map.

use crate::model::Verdict;
use crate::whatif::sweep::Sweep;
use plotters::prelude::*;

/// Fill colour of a verdict region.
pub fn verdict_color(v: Verdict) -> RGBColor {
    match v {
        Verdict::Converged => RGBColor(232, 245, 233),
        Verdict::ConvergedWithThrottle => RGBColor(255, 243, 205),
        Verdict::NeedsPostcopy => RGBColor(255, 224, 178),
        Verdict::NeedsOffline => RGBColor(255, 205, 210),
    }
}

type PlotResult = Result<String, String>;

fn err<E: std::fmt::Display>(e: E) -> String {
    format!("plot: {e}")
}

/// Renders a sweep to SVG text.
pub fn sweep_svg(s: &Sweep, title: &str) -> PlotResult {
    if s.names.len() >= 2 {
        return map_svg(s, title);
    }
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 520)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let xs: Vec<f64> = s.points.iter().map(|p| p.values[0]).collect();
        let (x0, x1) = (
            xs.first().copied().unwrap_or(0.0),
            xs.last().copied().unwrap_or(1.0),
        );
        let x1 = if x1 > x0 { x1 } else { x0 + 1.0 };
        let t_max = s
            .points
            .iter()
            .map(|p| p.total_time_ms / 1e3)
            .fold(0.0, f64::max)
            .max(1e-3)
            * 1.1;
        let d_max = s
            .points
            .iter()
            .map(|p| p.outage_ms.max(p.downtime_ms))
            .fold(0.0, f64::max)
            .max(1.0)
            * 1.1;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .right_y_label_area_size(70)
            .build_cartesian_2d(x0..x1, 0.0..t_max)
            .map_err(err)?
            .set_secondary_coord(x0..x1, 0.0..d_max);
        chart
            .configure_mesh()
            .x_desc(s.names[0].as_str())
            .y_desc("total time, s")
            .draw()
            .map_err(err)?;
        chart
            .configure_secondary_axes()
            .y_desc("downtime / ping outage, ms")
            .draw()
            .map_err(err)?;
        // Verdict regions: each point owns the span halfway to its neighbours.
        for (i, p) in s.points.iter().enumerate() {
            let left = if i == 0 {
                x0
            } else {
                (xs[i - 1] + xs[i]) / 2.0
            };
            let right = if i + 1 == xs.len() {
                x1
            } else {
                (xs[i] + xs[i + 1]) / 2.0
            };
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(left, 0.0), (right, t_max)],
                    verdict_color(p.verdict).filled(),
                )))
                .map_err(err)?;
        }
        chart
            .draw_series(LineSeries::new(
                s.points
                    .iter()
                    .map(|p| (p.values[0], p.total_time_ms / 1e3)),
                BLUE.stroke_width(2),
            ))
            .map_err(err)?
            .label("total time (s)")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(2)));
        let done: Vec<(f64, f64, f64)> = s
            .points
            .iter()
            .filter(|p| {
                matches!(
                    p.verdict,
                    Verdict::Converged | Verdict::ConvergedWithThrottle
                )
            })
            .map(|p| (p.values[0], p.downtime_ms, p.outage_ms))
            .collect();
        chart
            .draw_secondary_series(LineSeries::new(
                done.iter().map(|&(x, d, _)| (x, d)),
                RED.stroke_width(2),
            ))
            .map_err(err)?
            .label("downtime (ms)")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED.stroke_width(2)));
        chart
            .draw_secondary_series(LineSeries::new(
                done.iter().map(|&(x, _, o)| (x, o)),
                MAGENTA.stroke_width(1),
            ))
            .map_err(err)?
            .label("ping outage (ms)")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], MAGENTA));
        if let Some(b) = s.boundary.first().copied().flatten() {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(b, 0.0), (b, t_max)],
                    BLACK.stroke_width(2),
                )))
                .map_err(err)?
                .label(format!(
                    "convergence boundary (no longer converges from {})",
                    super::sweep::value(b)
                ))
                .legend(|(x, y)| {
                    PathElement::new(vec![(x, y - 6), (x, y + 6)], BLACK.stroke_width(2))
                });
        }
        verdict_legend(
            &mut chart,
            s,
            &[
                Verdict::ConvergedWithThrottle,
                Verdict::NeedsPostcopy,
                Verdict::NeedsOffline,
            ],
            SeriesLabelPosition::UpperLeft,
        )?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// The legend box at `at`: the series drawn so far, then entries for the verdict
/// regions among `verdicts` that the sweep shows.
fn verdict_legend<'a, X, Y>(
    chart: &mut ChartContext<'a, SVGBackend<'a>, Cartesian2d<X, Y>>,
    s: &Sweep,
    verdicts: &[Verdict],
    at: SeriesLabelPosition,
) -> Result<(), String>
where
    X: Ranged,
    Y: Ranged,
    X::ValueType: 'static,
    Y::ValueType: 'static,
{
    for &v in verdicts {
        if s.points.iter().any(|p| p.verdict == v) {
            chart
                .draw_series(std::iter::empty::<Rectangle<(X::ValueType, Y::ValueType)>>())
                .map_err(err)?
                .label(format!("region: {v}"))
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 20, y + 5)], verdict_color(v).filled())
                });
        }
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(at)
        .draw()
        .map_err(err)?;
    Ok(())
}

fn map_svg(s: &Sweep, title: &str) -> PlotResult {
    let mut rows: Vec<f64> = s.points.iter().map(|p| p.values[0]).collect();
    rows.dedup();
    let cols = s.points.len() / rows.len().max(1);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 600)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(0..cols, 0..rows.len())
            .map_err(err)?;
        let col_vals: Vec<f64> = s.points.iter().take(cols).map(|p| p.values[1]).collect();
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(s.names[1].as_str())
            .y_desc(s.names[0].as_str())
            .x_label_formatter(&|i| {
                col_vals
                    .get(*i)
                    .map_or(String::new(), |&v| super::sweep::value(v))
            })
            .y_label_formatter(&|i| {
                rows.get(*i)
                    .map_or(String::new(), |&v| super::sweep::value(v))
            })
            .draw()
            .map_err(err)?;
        chart
            .draw_series(s.points.iter().enumerate().map(|(k, p)| {
                let (r, c) = (k / cols.max(1), k % cols.max(1));
                Rectangle::new([(c, r), (c + 1, r + 1)], verdict_color(p.verdict).filled())
            }))
            .map_err(err)?;
        // Which colour is which verdict: every verdict the map shows.
        verdict_legend(
            &mut chart,
            s,
            &[
                Verdict::Converged,
                Verdict::ConvergedWithThrottle,
                Verdict::NeedsPostcopy,
                Verdict::NeedsOffline,
            ],
            SeriesLabelPosition::UpperRight,
        )?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}
