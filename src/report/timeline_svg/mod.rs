//! The `report` timeline as SVG (plotters): stacked panels on one time axis, in the
//! spirit of QEMU's guestperf and the Phoebus Data Browser. [`bundle_svg`] draws a
//! recorded run, [`scenario_svg`] a simulated one; this module holds what both use.

mod bundle;
mod scenario;

pub use bundle::bundle_svg;
pub use scenario::scenario_svg;

use super::timeline::Span;
use plotters::chart::DualCoordChartContext;
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type Res<T> = Result<T, String>;
type Cart = Cartesian2d<RangedCoordf64, RangedCoordf64>;
type Chart2<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cart>;
type Dual<'a, 'b> = DualCoordChartContext<'a, SVGBackend<'b>, Cart, Cart>;

fn err<E: std::fmt::Display>(e: E) -> String {
    format!("plot: {e}")
}

const WIDTH: u32 = 1200;
const HEADER_LINE: u32 = 20;
const FONT: &str = "sans-serif";
/// Label areas, the same on every panel so that the time axes line up.
const Y_LABELS_PX: u32 = 72;

/// The colours, named by what they show.
mod colour {
    use plotters::style::RGBColor;
    pub const WINDOW: RGBColor = RGBColor(214, 230, 250);
    pub const PAUSE: RGBColor = RGBColor(211, 47, 47);
    pub const OUTAGE: RGBColor = RGBColor(255, 205, 210);
    pub const REMAINING: RGBColor = RGBColor(25, 118, 210);
    pub const PROCESSED: RGBColor = RGBColor(56, 142, 60);
    pub const MODEL: RGBColor = RGBColor(97, 97, 97);
    pub const BANDWIDTH: RGBColor = RGBColor(25, 118, 210);
    pub const DIRTY: RGBColor = RGBColor(239, 108, 0);
    pub const THROTTLE: RGBColor = RGBColor(198, 40, 40);
    pub const RTT: RGBColor = RGBColor(69, 90, 100);
    pub const LOST: RGBColor = RGBColor(229, 57, 53);
    pub const CLIENT: RGBColor = RGBColor(25, 118, 210);
    pub const SERVER: RGBColor = RGBColor(255, 143, 0);
    pub const STALL: RGBColor = RGBColor(255, 204, 128);
    pub const LISTEN: RGBColor = RGBColor(189, 189, 189);
    pub const LEARN: RGBColor = RGBColor(144, 164, 174);
    pub const PRECOPY: RGBColor = RGBColor(187, 222, 251);
    pub const RESUMED: RGBColor = RGBColor(46, 125, 50);
    pub const GRID_LIGHT: RGBColor = RGBColor(240, 240, 240);
    pub const GRID_BOLD: RGBColor = RGBColor(220, 220, 220);
    pub const LEGEND_BORDER: RGBColor = RGBColor(180, 180, 180);
    pub const PARTS: [RGBColor; 6] = [
        RGBColor(121, 85, 72),
        RGBColor(25, 118, 210),
        RGBColor(0, 151, 167),
        RGBColor(123, 31, 162),
        RGBColor(194, 24, 91),
        RGBColor(245, 124, 0),
    ];
}

/// A y range plotters can draw: finite and non-empty. `room` is the share of the
/// height left free on top, where the legend goes.
fn y_range(lo: f64, hi: f64, room: f64) -> (f64, f64) {
    let (lo, hi) = if lo.is_finite() && hi.is_finite() && hi >= lo {
        (lo, hi)
    } else {
        (0.0, 1.0)
    };
    let (lo, hi) = if hi - lo < 1e-9 {
        (lo - 0.5, hi + 0.5)
    } else {
        (lo, hi)
    };
    (lo, hi + (hi - lo) * room / (1.0 - room).max(0.1))
}

fn max_of(it: impl Iterator<Item = f64>) -> f64 {
    it.filter(|x| x.is_finite()).fold(0.0, f64::max)
}

/// Splits `area` into a header of `header` px and panels of the given heights.
fn split<'a>(area: &Area<'a>, header: u32, heights: &[u32]) -> (Area<'a>, Vec<Area<'a>>) {
    let (head, mut rest) = area.split_vertically(header);
    let mut panels = Vec::new();
    for (i, h) in heights.iter().enumerate() {
        if i + 1 == heights.len() {
            panels.push(rest.clone());
        } else {
            let (a, b) = rest.split_vertically(*h);
            panels.push(a);
            rest = b;
        }
    }
    (head, panels)
}

/// The header: a title, then a line per fact.
fn header(area: &Area, lines: &[String]) -> Res<()> {
    for (i, l) in lines.iter().enumerate() {
        let (size, c) = if i == 0 {
            (18, BLACK)
        } else {
            (13, RGBColor(33, 33, 33))
        };
        area.draw_text(
            l,
            &TextStyle::from((FONT, size).into_font()).color(&c),
            (14, 8 + i as i32 * HEADER_LINE as i32),
        )
        .map_err(err)?;
    }
    Ok(())
}

/// A panel on the shared time axis with a secondary y axis; the secondary axis is
/// only drawn when `y2` names it (without, the right label area stays empty).
fn panel<'a, 'b>(
    area: &'a Area<'b>,
    x: Span,
    y: (f64, f64),
    y_desc: &str,
    y2: Option<((f64, f64), &str)>,
    x_desc: Option<&str>,
) -> Res<Dual<'a, 'b>> {
    let chart = ChartBuilder::on(area)
        .margin_left(8)
        .margin_right(8)
        .margin_top(6)
        .x_label_area_size(if x_desc.is_some() { 38 } else { 22 })
        .y_label_area_size(Y_LABELS_PX)
        .right_y_label_area_size(Y_LABELS_PX)
        .build_cartesian_2d(x.from_s..x.to_s, y.0..y.1)
        .map_err(err)?;
    // The secondary coordinates take the right label area away from the primary
    // axis before its mesh is drawn.
    let r2 = y2.map_or((0.0, 1.0), |(r, _)| r);
    let mut c = chart.set_secondary_coord(x.from_s..x.to_s, r2.0..r2.1);
    let mut mesh = c.configure_mesh();
    mesh.y_desc(y_desc)
        .light_line_style(colour::GRID_LIGHT)
        .bold_line_style(colour::GRID_BOLD)
        .label_style((FONT, 11))
        .axis_desc_style((FONT, 12));
    if let Some(d) = x_desc {
        mesh.x_desc(d);
    }
    mesh.draw().map_err(err)?;
    if let Some((_, desc)) = y2 {
        c.configure_secondary_axes()
            .y_desc(desc)
            .label_style((FONT, 11))
            .axis_desc_style((FONT, 12))
            .draw()
            .map_err(err)?;
    }
    Ok(c)
}

/// Shades a span over the height `y` of a chart.
fn band(chart: &mut Chart2, s: Span, y: (f64, f64), c: RGBAColor) -> Res<()> {
    chart
        .draw_series(std::iter::once(Rectangle::new(
            [(s.from_s, y.0), (s.to_s, y.1)],
            c.filled(),
        )))
        .map_err(err)?;
    Ok(())
}

fn vline(chart: &mut Chart2, t: f64, y: (f64, f64), style: ShapeStyle) -> Res<()> {
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(t, y.0), (t, y.1)],
            style,
        )))
        .map_err(err)?;
    Ok(())
}

/// Text with its top-left corner at `at` (chart coordinates).
fn label(chart: &mut Chart2, text: &str, at: (f64, f64), c: &RGBColor) -> Res<()> {
    chart
        .draw_series(std::iter::once(Text::new(
            text.to_string(),
            at,
            TextStyle::from((FONT, 11).into_font())
                .color(c)
                .pos(Pos::new(HPos::Left, VPos::Top)),
        )))
        .map_err(err)?;
    Ok(())
}

fn legend<'a, 'b: 'a>(chart: &mut Chart2<'a, 'b>, at: SeriesLabelPosition) -> Res<()> {
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(colour::LEGEND_BORDER)
        .label_font((FONT, 11))
        .position(at)
        .draw()
        .map_err(err)
}

/// A legend entry for something drawn without a series of its own.
fn key<'a, 'b, E, F>(chart: &mut Chart2<'a, 'b>, text: &str, make: F) -> Res<()>
where
    E: IntoDynElement<'a, SVGBackend<'b>, (i32, i32)>,
    F: Fn((i32, i32)) -> E + 'a,
{
    chart
        .draw_series(std::iter::empty::<Rectangle<(f64, f64)>>())
        .map_err(err)?
        .label(text)
        .legend(make);
    Ok(())
}

fn line_key(c: RGBColor) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2))
}

fn box_key(c: RGBAColor) -> impl Fn((i32, i32)) -> Rectangle<(i32, i32)> {
    move |(x, y)| Rectangle::new([(x, y - 5), (x + 18, y + 5)], c.filled())
}

fn tick_key(c: RGBColor, w: u32) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x + 9, y - 6), (x + 9, y + 6)], c.stroke_width(w))
}

/// Points as a step line (a value holds until the next one), the Data Browser's way.
fn steps(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(points.len() * 2);
    for (i, &(t, v)) in points.iter().enumerate() {
        if i > 0
            && let Some(&(_, prev)) = out.last()
        {
            out.push((t, prev));
        }
        out.push((t, v));
    }
    out
}

/// Marks (label times) far enough apart to be read: at least `gap` after the last shown.
fn thin<T>(marks: impl Iterator<Item = (f64, T)>, gap: f64) -> Vec<(f64, T)> {
    let mut out: Vec<(f64, T)> = Vec::new();
    for (t, x) in marks {
        if out.last().is_none_or(|(l, _)| t - l >= gap) {
            out.push((t, x));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_leave_room_for_the_legend() {
        let (lo, hi) = y_range(0.0, 10.0, 0.5);
        assert_eq!((lo, hi), (0.0, 20.0));
        let (lo, hi) = y_range(f64::NAN, 1.0, 0.0);
        assert_eq!((lo, hi), (0.0, 1.0));
        let (lo, hi) = y_range(3.0, 3.0, 0.0);
        assert!(hi > lo);
    }

    #[test]
    fn steps_hold_values_and_labels_thin_out() {
        assert_eq!(
            steps(&[(0.0, 1.0), (2.0, 3.0)]),
            vec![(0.0, 1.0), (2.0, 1.0), (2.0, 3.0)]
        );
        let t: Vec<f64> = thin([0.0, 0.5, 1.2, 1.3, 3.0].into_iter().map(|t| (t, ())), 1.0)
            .into_iter()
            .map(|x| x.0)
            .collect();
        assert_eq!(t, [0.0, 1.2, 3.0]);
    }
}
