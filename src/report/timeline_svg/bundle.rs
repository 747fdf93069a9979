//! A recorded run: remaining and processed memory with the passes marked; bandwidth
//! and dirty rate; the throttle when there was one; ping round trips with lost probes
//! as red ticks; every PV's values at client and at server time.

use super::{
    Area, Chart2, HEADER_LINE, Res, WIDTH, band, box_key, colour, err, header, key, label, legend,
    line_key, max_of, panel, split, steps, thin, tick_key, vline, y_range,
};
use crate::report::timeline::{BundleTimeline, JobPoint, PvTrack, Span};
use plotters::prelude::*;

/// Renders a recorded run; `lines` go into the header (title first).
pub fn bundle_svg(tl: &BundleTimeline, lines: &[String]) -> Res<String> {
    let x = Span {
        from_s: tl.range.from_s,
        to_s: tl.range.to_s + (tl.range.to_s - tl.range.from_s) * 0.02,
    };
    let throttled = tl.job.iter().any(|j| j.throttle_pct.unwrap_or(0.0) > 0.0);
    let mut heights = vec![220, 170];
    if throttled {
        heights.push(130);
    }
    heights.push(180);
    heights.extend(tl.pvs.iter().map(|_| 170));
    if let Some(h) = heights.last_mut() {
        *h += 16;
    }
    let head = 16 + HEADER_LINE * lines.len() as u32;
    let height = head + heights.iter().sum::<u32>();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let (h, panels) = split(&root, head, &heights);
        header(&h, lines)?;
        let n = panels.len();
        let xd = format!("seconds from the {}", tl.origin);
        let x_desc = |i: usize| (i + 1 == n).then_some(xd.as_str());
        let mut it = panels.iter().enumerate();
        if let Some((i, a)) = it.next() {
            memory(a, tl, x, x_desc(i))?;
        }
        if let Some((i, a)) = it.next() {
            transfer(a, tl, x, x_desc(i))?;
        }
        if throttled && let Some((i, a)) = it.next() {
            throttle(a, tl, x, x_desc(i))?;
        }
        if let Some((i, a)) = it.next() {
            ping(a, tl, x, x_desc(i))?;
        }
        for (pv, (i, a)) in tl.pvs.iter().zip(it) {
            pv_values(a, tl, pv, x, x_desc(i))?;
        }
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// The migration window, the pause and (optionally) the ping outage on a panel.
fn context(c: &mut Chart2, tl: &BundleTimeline, y: (f64, f64), outage: bool) -> Res<()> {
    if let Some(w) = tl.window {
        band(c, w, y, colour::WINDOW.mix(0.45))?;
    }
    if outage && let Some(o) = tl.ping_outage {
        band(c, o, y, colour::OUTAGE.mix(0.5))?;
    }
    if let Some(p) = tl.pause {
        band(c, p, y, colour::PAUSE.mix(0.5))?;
        vline(c, p.to_s, y, colour::PAUSE.stroke_width(2))?;
    }
    Ok(())
}

fn series(tl: &BundleTimeline, f: fn(&JobPoint) -> Option<f64>) -> Vec<(f64, f64)> {
    tl.job.iter().filter_map(|j| Some((j.t_s, f(j)?))).collect()
}

fn memory(a: &Area, tl: &BundleTimeline, x: Span, xd: Option<&str>) -> Res<()> {
    let hi = max_of(
        tl.job
            .iter()
            .flat_map(|j| [j.remaining_mib, j.processed_mib])
            .flatten()
            .chain(tl.model_passes.iter().map(|p| p.1)),
    );
    let y = y_range(0.0, hi.max(1.0), 0.3);
    let mut c = panel(a, x, y, "memory, MiB", None, xd)?;
    context(&mut c, tl, y, false)?;
    let gap = (x.to_s - x.from_s) * 0.03;
    for m in &tl.passes {
        vline(&mut c, m.t_s, y, BLACK.mix(0.25).stroke_width(1))?;
    }
    for (t, text) in thin(tl.passes.iter().map(|m| (m.t_s, m.label.as_str())), gap) {
        label(&mut c, text, (t, y.1), &BLACK)?;
    }
    c.draw_series(LineSeries::new(
        series(tl, |j| j.remaining_mib),
        colour::REMAINING.stroke_width(2),
    ))
    .map_err(err)?
    .label("remaining in this pass")
    .legend(line_key(colour::REMAINING));
    c.draw_series(LineSeries::new(
        series(tl, |j| j.processed_mib),
        colour::PROCESSED.stroke_width(2),
    ))
    .map_err(err)?
    .label("processed (sent so far)")
    .legend(line_key(colour::PROCESSED));
    if !tl.model_passes.is_empty() {
        c.draw_series(
            tl.model_passes
                .iter()
                .map(|&(t, m)| Cross::new((t, m), 5, colour::MODEL.stroke_width(2))),
        )
        .map_err(err)?
        .label("model: remaining after each pass")
        .legend(|(x, y)| Cross::new((x + 9, y), 5, colour::MODEL.stroke_width(2)));
    }
    key(&mut c, "migration job", box_key(colour::WINDOW.mix(0.9)))?;
    key(
        &mut c,
        "guest paused (downtime)",
        box_key(colour::PAUSE.mix(0.8)),
    )?;
    legend(&mut c, SeriesLabelPosition::UpperRight)
}

fn transfer(a: &Area, tl: &BundleTimeline, x: Span, xd: Option<&str>) -> Res<()> {
    let bw = series(tl, |j| j.bandwidth_mib_s);
    let dirty = series(tl, |j| j.dirty_pages_s);
    let y = y_range(0.0, max_of(bw.iter().map(|p| p.1)).max(1.0), 0.35);
    let y2 = y_range(0.0, max_of(dirty.iter().map(|p| p.1)).max(1.0), 0.35);
    let mut c = panel(
        a,
        x,
        y,
        "bandwidth, MiB/s",
        Some((y2, "dirty rate, pages/s")),
        xd,
    )?;
    context(&mut c, tl, y, false)?;
    c.draw_series(LineSeries::new(bw, colour::BANDWIDTH.stroke_width(2)))
        .map_err(err)?
        .label("bandwidth (left)")
        .legend(line_key(colour::BANDWIDTH));
    c.draw_secondary_series(LineSeries::new(dirty, colour::DIRTY.stroke_width(2)))
        .map_err(err)?
        .label("dirty rate (right)")
        .legend(line_key(colour::DIRTY));
    legend(&mut c, SeriesLabelPosition::UpperRight)
}

fn throttle(a: &Area, tl: &BundleTimeline, x: Span, xd: Option<&str>) -> Res<()> {
    let y = (0.0, 130.0);
    let mut c = panel(a, x, y, "CPU throttle, %", None, xd)?;
    context(&mut c, tl, y, false)?;
    c.draw_series(LineSeries::new(
        steps(&series(tl, |j| j.throttle_pct)),
        colour::THROTTLE.stroke_width(2),
    ))
    .map_err(err)?
    .label("auto-converge throttle")
    .legend(line_key(colour::THROTTLE));
    legend(&mut c, SeriesLabelPosition::UpperRight)
}

/// Answered probes as line segments, broken where probes went unanswered.
fn rtt_segments(rtt: &[(f64, f64)]) -> Vec<Vec<(f64, f64)>> {
    let mut d: Vec<f64> = rtt.windows(2).map(|w| w[1].0 - w[0].0).collect();
    d.sort_by(f64::total_cmp);
    let typical = d.get(d.len() / 2).copied().unwrap_or(1.0);
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut last: Option<f64> = None;
    for &p in rtt {
        match (last, out.last_mut()) {
            (Some(l), Some(seg)) if p.0 - l <= 2.5 * typical => seg.push(p),
            _ => out.push(vec![p]),
        }
        last = Some(p.0);
    }
    out
}

fn ping(a: &Area, tl: &BundleTimeline, x: Span, xd: Option<&str>) -> Res<()> {
    let hi = max_of(tl.rtt.iter().map(|p| p.1)).max(0.5);
    let y = y_range(0.0, hi, 0.4);
    let mut c = panel(a, x, y, "ping round trip, ms", None, xd)?;
    context(&mut c, tl, y, true)?;
    for seg in rtt_segments(&tl.rtt) {
        c.draw_series(LineSeries::new(seg, colour::RTT.stroke_width(1)))
            .map_err(err)?;
    }
    c.draw_series(
        tl.rtt
            .iter()
            .map(|&p| Circle::new(p, 2, colour::RTT.filled())),
    )
    .map_err(err)?
    .label("round trip of an answered probe")
    .legend(|(x, y)| Circle::new((x + 9, y), 2, colour::RTT.filled()));
    // Lost probes: red ticks along the bottom of the panel.
    let tick = (y.1 - y.0) * 0.2;
    c.draw_series(tl.lost.iter().map(|&t| {
        PathElement::new(
            vec![(t, y.0), (t, y.0 + tick)],
            colour::LOST.stroke_width(1),
        )
    }))
    .map_err(err)?
    .label(format!("lost probe ({})", tl.lost.len()))
    .legend(tick_key(colour::LOST, 2));
    key(
        &mut c,
        "ping outage at the switch",
        box_key(colour::OUTAGE.mix(0.9)),
    )?;
    legend(&mut c, SeriesLabelPosition::UpperRight)
}

fn pv_values(a: &Area, tl: &BundleTimeline, pv: &PvTrack, x: Span, xd: Option<&str>) -> Res<()> {
    let vals = pv.client.iter().chain(&pv.server).map(|p| p.1);
    let (lo, hi) = vals.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
        (l.min(v), h.max(v))
    });
    let (lo, hi) = if lo <= hi { (lo, hi) } else { (0.0, 1.0) };
    let pad = ((hi - lo) * 0.05).max(0.25);
    let y = y_range(lo - pad, hi + pad, 0.4);
    let mut c = panel(a, x, y, &pv.name, None, xd)?;
    context(&mut c, tl, y, true)?;
    if let Some(s) = pv.stall {
        band(
            &mut c,
            s,
            (y.0, y.0 + (y.1 - y.0) * 0.06),
            colour::STALL.mix(0.9),
        )?;
    }
    c.draw_series(LineSeries::new(
        steps(&pv.server),
        colour::SERVER.mix(0.7).stroke_width(1),
    ))
    .map_err(err)?;
    c.draw_series(
        pv.server
            .iter()
            .map(|&p| Circle::new(p, 3, colour::SERVER.stroke_width(1))),
    )
    .map_err(err)?
    .label("value at server (IOC) time")
    .legend(|(x, y)| Circle::new((x + 9, y), 3, colour::SERVER.stroke_width(1)));
    c.draw_series(LineSeries::new(
        steps(&pv.client),
        colour::CLIENT.stroke_width(1),
    ))
    .map_err(err)?;
    c.draw_series(
        pv.client
            .iter()
            .map(|&p| Circle::new(p, 3, colour::CLIENT.filled())),
    )
    .map_err(err)?
    .label("value at client (receive) time")
    .legend(|(x, y)| Circle::new((x + 9, y), 3, colour::CLIENT.filled()));
    for &t in &pv.disconnects {
        vline(&mut c, t, y, BLACK.stroke_width(2))?;
    }
    if !pv.disconnects.is_empty() {
        key(&mut c, "client disconnected", tick_key(BLACK, 2))?;
    }
    if pv.stall.is_some() {
        key(
            &mut c,
            "longest client stall",
            box_key(colour::STALL.mix(0.9)),
        )?;
    }
    legend(&mut c, SeriesLabelPosition::UpperRight)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtt_line_breaks_at_lost_probes() {
        let mut rtt: Vec<(f64, f64)> = (0..10).map(|i| (i as f64 * 0.1, 1.0)).collect();
        rtt.extend((30..40).map(|i| (i as f64 * 0.1, 1.0)));
        let segs = rtt_segments(&rtt);
        assert_eq!(segs.len(), 2);
        assert_eq!(segs[0].len(), 10);
    }
}
