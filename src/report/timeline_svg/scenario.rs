//! A simulated run: the passes (bytes sent, what is left, QEMU's expected downtime),
//! bandwidth and throttle per pass, what happens after the stop (pause, STP, announce,
//! pings, each PV's CA circuit and its TCP retransmissions) and the pause in parts.

use super::{
    Area, Chart2, FONT, HEADER_LINE, Res, WIDTH, Y_LABELS_PX, band, box_key, colour, err, header,
    key, label, legend, line_key, max_of, panel, split, steps, thin, vline, y_range,
};
use crate::model::Outcome;
use crate::report::timeline::{PassBar, ScenarioTimeline, Span};
use crate::units::ns_to_ms;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Height of the legend row under the after-the-stop chart.
const LEGEND_ROW_PX: u32 = 24;

/// Renders a simulated run; `lines` go into the header (title first).
pub fn scenario_svg(tl: &ScenarioTimeline, o: &Outcome, lines: &[String]) -> Res<String> {
    let x = tl.range;
    let rows = gantt_rows(tl);
    let mut heights = vec![
        230,
        150,
        LEGEND_ROW_PX + (44 + 26 * rows.len() as u32).max(150),
    ];
    if o.completed {
        heights.push(120);
    }
    let head = 16 + HEADER_LINE * lines.len() as u32;
    let height = head + heights.iter().sum::<u32>();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let (h, panels) = split(&root, head, &heights);
        header(&h, lines)?;
        if let Some(a) = panels.first() {
            passes(a, tl, x)?;
        }
        if let Some(a) = panels.get(1) {
            rates(a, tl, x)?;
        }
        if let Some(a) = panels.get(2) {
            after_stop(a, tl, &rows, x)?;
        }
        if let Some(a) = panels.get(3) {
            pause_parts(a, o)?;
        }
        root.present().map_err(err)?;
    }
    Ok(svg)
}

fn passes(a: &Area, tl: &ScenarioTimeline, x: Span) -> Res<()> {
    let hi = max_of(
        tl.passes
            .iter()
            .flat_map(|p| [p.sent_mib, p.remaining_mib])
            .chain([tl.memory_mib]),
    );
    let y = y_range(0.0, hi.max(1.0), 0.3);
    let ed_hi = max_of(tl.passes.iter().map(|p| p.expected_downtime_ms)).max(1.0) * 30.0;
    let chart = ChartBuilder::on(a)
        .margin_left(8)
        .margin_right(8)
        .margin_top(6)
        .x_label_area_size(22)
        .y_label_area_size(Y_LABELS_PX)
        .right_y_label_area_size(Y_LABELS_PX)
        .build_cartesian_2d(x.from_s..x.to_s, y.0..y.1)
        .map_err(err)?;
    // A log axis: the first pass expects seconds of downtime, the last a few ms.
    let mut c = chart.set_secondary_coord(x.from_s..x.to_s, (0.1f64..ed_hi).log_scale());
    c.configure_mesh()
        .y_desc("MiB")
        .light_line_style(colour::GRID_LIGHT)
        .bold_line_style(colour::GRID_BOLD)
        .label_style((FONT, 11))
        .axis_desc_style((FONT, 12))
        .draw()
        .map_err(err)?;
    c.configure_secondary_axes()
        .y_desc("expected downtime, ms (log)")
        .label_style((FONT, 11))
        .axis_desc_style((FONT, 12))
        .draw()
        .map_err(err)?;
    if let Some(from) = tl.extrapolated_from_s {
        let s = Span {
            from_s: from,
            to_s: tl.total_s,
        };
        band(&mut c, s, y, colour::LISTEN.mix(0.35))?;
        label(
            &mut c,
            " not simulated: the same steady state until the timeout",
            (from, y.0 + (y.1 - y.0) * 0.45),
            &BLACK,
        )?;
    }
    c.draw_series(tl.passes.iter().map(|p| {
        Rectangle::new(
            [(p.from_s, 0.0), (p.to_s, p.sent_mib)],
            colour::PRECOPY.filled(),
        )
    }))
    .map_err(err)?
    .label("sent in the pass")
    .legend(box_key(colour::PRECOPY.mix(1.0)));
    c.draw_series(tl.passes.iter().map(|p| {
        Rectangle::new(
            [(p.from_s, 0.0), (p.to_s, p.sent_mib)],
            colour::REMAINING.stroke_width(1),
        )
    }))
    .map_err(err)?;
    // Before the first pass the whole of RAM is queued.
    let left: Vec<(f64, f64)> = tl
        .passes
        .first()
        .map(|p| (p.from_s, tl.memory_mib))
        .into_iter()
        .chain(tl.passes.iter().map(|p| (p.to_s, p.remaining_mib)))
        .collect();
    c.draw_series(LineSeries::new(
        left.iter().copied(),
        colour::REMAINING.stroke_width(2),
    ))
    .map_err(err)?
    .label("queued to send (after each sync)")
    .legend(line_key(colour::REMAINING));
    c.draw_series(
        left.iter()
            .map(|&p| Circle::new(p, 4, colour::REMAINING.filled())),
    )
    .map_err(err)?;
    c.draw_secondary_series(tl.passes.iter().map(|p| {
        TriangleMarker::new(
            (p.to_s, p.expected_downtime_ms.max(0.1)),
            6,
            colour::DIRTY.filled(),
        )
    }))
    .map_err(err)?
    .label("QEMU's expected downtime (right)")
    .legend(|(x, y)| TriangleMarker::new((x + 9, y), 5, colour::DIRTY.filled()));
    let gap = (x.to_s - x.from_s) * 0.04;
    let names = tl.passes.iter().map(|p| {
        (
            p.from_s,
            if p.stop_and_copy {
                format!("{}: stop", p.index)
            } else {
                format!("pass {}", p.index)
            },
        )
    });
    for (t, text) in thin(names, gap) {
        label(&mut c, &text, (t, y.1), &BLACK)?;
    }
    if let Some(p) = tl.pause {
        vline(&mut c, p.from_s, y, colour::PAUSE.stroke_width(2))?;
        key(&mut c, "guest stops", line_key(colour::PAUSE))?;
    }
    legend(&mut c, SeriesLabelPosition::UpperRight)
}

fn rates(a: &Area, tl: &ScenarioTimeline, x: Span) -> Res<()> {
    let y = y_range(
        0.0,
        max_of(tl.passes.iter().map(|p| p.bandwidth_mib_s)).max(1.0),
        0.35,
    );
    let mut c = panel(
        a,
        x,
        y,
        "bandwidth, MiB/s",
        Some(((0.0, 130.0), "CPU throttle, %")),
        None,
    )?;
    let per_pass = |f: fn(&PassBar) -> f64| -> Vec<(f64, f64)> {
        steps(
            &tl.passes
                .iter()
                .flat_map(|p| [(p.from_s, f(p)), (p.to_s, f(p))])
                .collect::<Vec<_>>(),
        )
    };
    c.draw_series(LineSeries::new(
        per_pass(|p| p.bandwidth_mib_s),
        colour::BANDWIDTH.stroke_width(2),
    ))
    .map_err(err)?
    .label("bandwidth QEMU measured (left)")
    .legend(line_key(colour::BANDWIDTH));
    c.draw_secondary_series(LineSeries::new(
        per_pass(|p| p.throttle_pct),
        colour::THROTTLE.stroke_width(2),
    ))
    .map_err(err)?
    .label("CPU throttle (right)")
    .legend(line_key(colour::THROTTLE));
    if let Some(p) = tl.pause {
        vline(&mut c, p.from_s, y, colour::PAUSE.stroke_width(2))?;
    }
    legend(&mut c, SeriesLabelPosition::UpperRight)
}

/// One row of the after-the-stop chart.
enum Row {
    Bar(Span, RGBColor),
    Bars(Vec<(Span, RGBColor)>),
    Ticks(Vec<f64>),
    Circuit(usize),
}

fn gantt_rows(tl: &ScenarioTimeline) -> Vec<(String, Row)> {
    let mut rows = Vec::new();
    if let Some(p) = tl.passes.iter().rev().find(|p| !p.stop_and_copy) {
        let from_s = tl.passes.first().map_or(0.0, |f| f.from_s);
        if tl.completed {
            let s = Span {
                from_s,
                to_s: p.to_s,
            };
            rows.push(("pre-copy passes".to_string(), Row::Bar(s, colour::PRECOPY)));
        } else {
            let ran = Span {
                from_s,
                to_s: p.to_s,
            };
            let rest = Span {
                from_s: p.to_s,
                to_s: tl.total_s,
            };
            rows.push((
                "pre-copy passes: no switchover before the timeout (grey: extrapolated)"
                    .to_string(),
                Row::Bars(vec![(ran, colour::PRECOPY), (rest, colour::LISTEN)]),
            ));
        }
    }
    if let Some(p) = tl.pause {
        rows.push(("guest paused".into(), Row::Bar(p, colour::PAUSE)));
    }
    if let Some((l, r)) = tl.stp {
        rows.push((
            "destination port: STP listening, then learning".into(),
            Row::Bars(vec![(l, colour::LISTEN), (r, colour::LEARN)]),
        ));
    }
    if !tl.announces.is_empty() {
        rows.push((
            "self-announce rounds".into(),
            Row::Ticks(tl.announces.clone()),
        ));
    }
    if let (Some(p), Some(r)) = (tl.pause, tl.reachable_s) {
        let s = Span {
            from_s: p.from_s,
            to_s: r,
        };
        rows.push((
            format!("ping: no replies, until the guest is reachable at {r:.3} s (green line)"),
            Row::Bar(s, colour::OUTAGE),
        ));
    }
    for (i, c) in tl.pvs.iter().enumerate() {
        rows.push((
            format!("{}: no update (scan phase mid-period)", c.name),
            Row::Circuit(i),
        ));
    }
    rows
}

fn bar(c: &mut Chart2, s: Span, lo: f64, hi: f64, col: RGBColor) -> Res<()> {
    c.draw_series(std::iter::once(Rectangle::new(
        [(s.from_s, lo), (s.to_s, hi)],
        col.filled(),
    )))
    .map_err(err)?;
    Ok(())
}

fn after_stop(area: &Area, tl: &ScenarioTimeline, rows: &[(String, Row)], x: Span) -> Res<()> {
    let n = rows.len().max(1) as f64;
    let y = (0.0, n);
    let (a, keys) = area.split_vertically(area.dim_in_pixel().1.saturating_sub(LEGEND_ROW_PX));
    let chart = ChartBuilder::on(&a)
        .margin_left(8)
        .margin_right(8)
        .margin_top(6)
        .x_label_area_size(38)
        .y_label_area_size(Y_LABELS_PX)
        .right_y_label_area_size(Y_LABELS_PX)
        .build_cartesian_2d(x.from_s..x.to_s, y.0..y.1)
        .map_err(err)?;
    let mut c = chart.set_secondary_coord(x.from_s..x.to_s, 0.0..1.0);
    c.configure_mesh()
        .disable_y_mesh()
        .disable_y_axis()
        .x_desc("seconds from the migrate call (when the destination port joins its bridge)")
        .light_line_style(colour::GRID_LIGHT)
        .bold_line_style(colour::GRID_BOLD)
        .label_style((FONT, 11))
        .axis_desc_style((FONT, 12))
        .draw()
        .map_err(err)?;
    // Anything shorter than this would vanish at the chart's scale.
    let min_w = (x.to_s - x.from_s) * 0.002;
    let widen = |s: Span| Span {
        from_s: s.from_s,
        to_s: s.to_s.max(s.from_s + min_w),
    };
    for (i, (name, row)) in rows.iter().enumerate() {
        let top = n - i as f64;
        let (lo, hi) = (top - 0.85, top - 0.5);
        match row {
            Row::Bar(s, col) => bar(&mut c, widen(*s), lo, hi, *col)?,
            Row::Bars(v) => {
                for (s, col) in v {
                    bar(&mut c, *s, lo, hi, *col)?;
                }
            }
            Row::Ticks(v) => {
                c.draw_series(
                    v.iter()
                        .map(|&t| PathElement::new(vec![(t, lo), (t, hi)], BLACK.stroke_width(2))),
                )
                .map_err(err)?;
            }
            Row::Circuit(k) => {
                let Some(cc) = tl.pvs.get(*k) else { continue };
                let stall = Span {
                    from_s: cc.last_update_s,
                    to_s: cc.resumed_s,
                };
                bar(&mut c, widen(stall), lo, hi, colour::STALL)?;
                c.draw_series(std::iter::once(Circle::new(
                    (cc.first_send_s, (lo + hi) / 2.0),
                    4,
                    colour::CLIENT.filled(),
                )))
                .map_err(err)?;
                c.draw_series(
                    cc.retransmissions_s
                        .iter()
                        .map(|&t| PathElement::new(vec![(t, lo), (t, hi)], BLACK.stroke_width(2))),
                )
                .map_err(err)?;
                c.draw_series(std::iter::once(PathElement::new(
                    vec![(cc.resumed_s, lo - 0.1), (cc.resumed_s, hi + 0.1)],
                    colour::RESUMED.stroke_width(4),
                )))
                .map_err(err)?;
            }
        }
        c.draw_series(std::iter::once(Text::new(
            name.clone(),
            (x.from_s, top - 0.08),
            TextStyle::from((FONT, 11).into_font()).pos(Pos::new(HPos::Left, VPos::Top)),
        )))
        .map_err(err)?;
    }
    if let Some(r) = tl.reachable_s {
        vline(&mut c, r, y, colour::RESUMED.stroke_width(1))?;
    }
    let mut items = Vec::new();
    if tl.stp.is_some() {
        items.push(("STP listening", Key::Box(colour::LISTEN)));
        items.push(("STP learning", Key::Box(colour::LEARN)));
    }
    if !tl.announces.is_empty() {
        items.push(("self-announce", Key::Tick(BLACK, 2)));
    }
    if !tl.pvs.is_empty() {
        items.push(("first update after resume", Key::Dot(colour::CLIENT)));
        items.push(("TCP retransmission", Key::Tick(BLACK, 2)));
        items.push((
            "circuit resumes, updates arrive",
            Key::Tick(colour::RESUMED, 4),
        ));
    }
    legend_row(&keys, &items)
}

/// How a legend entry is drawn.
enum Key {
    Box(RGBColor),
    Tick(RGBColor, u32),
    Dot(RGBColor),
}

/// A legend as one row of keys under a chart, where it hides nothing.
fn legend_row(area: &Area, items: &[(&str, Key)]) -> Res<()> {
    let mut x = Y_LABELS_PX as i32 + 8;
    let y = 10;
    let style = TextStyle::from((FONT, 11).into_font());
    for (text, k) in items {
        match k {
            Key::Box(c) => area
                .draw(&Rectangle::new([(x, y - 5), (x + 16, y + 5)], c.filled()))
                .map_err(err)?,
            Key::Tick(c, w) => area
                .draw(&PathElement::new(
                    vec![(x + 8, y - 7), (x + 8, y + 7)],
                    c.stroke_width(*w),
                ))
                .map_err(err)?,
            Key::Dot(c) => area
                .draw(&Circle::new((x + 8, y), 4, c.filled()))
                .map_err(err)?,
        }
        area.draw_text(text, &style, (x + 22, y - 6)).map_err(err)?;
        let w = area
            .estimate_text_size(text, &style)
            .map_or(120, |(w, _)| w as i32);
        x += 22 + w + 24;
    }
    Ok(())
}

/// The pause as one stacked bar, its parts named beside it.
fn pause_parts(a: &Area, o: &Outcome) -> Res<()> {
    let d = &o.downtime;
    let parts: Vec<(&str, f64)> = [
        ("stop vCPUs", d.stop_ns),
        ("last RAM", d.final_ram_ns),
        ("device state", d.device_state_ns),
        ("storage flush", d.storage_flush_ns),
        ("storage open", d.storage_open_ns),
        ("resume", d.resume_ns),
    ]
    .into_iter()
    .map(|(n, ns)| (n, ns_to_ms(ns)))
    .collect();
    let total: f64 = parts.iter().map(|p| p.1).sum::<f64>().max(1e-3);
    let (left, right) = a.split_horizontally(WIDTH - 300);
    let mut c = ChartBuilder::on(&left)
        .margin_left(8)
        .margin_right(8)
        .margin_top(8)
        .x_label_area_size(38)
        .y_label_area_size(Y_LABELS_PX)
        .caption(
            format!("guest paused {:.1} ms, in parts", ns_to_ms(d.guest_ns)),
            (FONT, 13),
        )
        .build_cartesian_2d(0.0..total * 1.02, 0.0..1.0)
        .map_err(err)?;
    c.configure_mesh()
        .disable_y_mesh()
        .disable_y_axis()
        .x_desc("ms from the stop")
        .light_line_style(colour::GRID_LIGHT)
        .bold_line_style(colour::GRID_BOLD)
        .label_style((FONT, 11))
        .axis_desc_style((FONT, 12))
        .draw()
        .map_err(err)?;
    let mut t = 0.0;
    let mut row = 0;
    for (i, (name, w)) in parts.iter().enumerate() {
        if *w <= 0.0 {
            continue;
        }
        let col = colour::PARTS[i % colour::PARTS.len()];
        c.draw_series(std::iter::once(Rectangle::new(
            [(t, 0.15), (t + w, 0.85)],
            col.filled(),
        )))
        .map_err(err)?;
        right
            .draw(&Rectangle::new(
                [(10, 14 + row * 16), (24, 24 + row * 16)],
                col.filled(),
            ))
            .map_err(err)?;
        right
            .draw_text(
                &format!("{name} {w:.1} ms"),
                &TextStyle::from((FONT, 12).into_font()),
                (32, 13 + row * 16),
            )
            .map_err(err)?;
        row += 1;
        t += w;
    }
    Ok(())
}
