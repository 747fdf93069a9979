//! A recorded run taken apart: the ping outage split into the pause the job reports
//! and the network, what STP on the destination bridge accounts for, each PV's stall
//! and its kind; then the model's own split for the recorded parameters beside it.

use super::scenario::network_rows;
use super::{Explanation, Row, Section, at, d, dur, dur_range, row};
use crate::bundle::Bundle;
use crate::model::{ModelParams, Outcome};
use crate::replay::Replay;
use crate::replay::observe::OutageParts;
use crate::replay::observed::{PvObserved, StallKind};
use crate::report::timeline::BundleTimeline;
use crate::units::MIB;

/// Explains a replayed bundle: what the recording shows, and the model's prediction
/// (`model`: the recorded parameters and their simulated run) beside it.
pub fn bundle(
    b: &Bundle,
    r: &Replay,
    tl: &BundleTimeline,
    model: Option<(&ModelParams, &Outcome)>,
) -> Explanation {
    let sections = vec![observed(b, r, tl), predicted(r, model)];
    Explanation {
        subject: "bundle",
        name: r.name.clone(),
        title: format!("where the outage goes: {} (recorded run)", r.name),
        description: b.manifest.bundle.description.clone(),
        sections,
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn kind(k: StallKind) -> &'static str {
    match k {
        StallKind::None => "within 1.5 scan periods",
        k => k.label(),
    }
}

fn observed(b: &Bundle, r: &Replay, tl: &BundleTimeline) -> Section {
    let o = &r.observed;
    let mut rows = Vec::new();
    match &o.job {
        Some(j) => rows.push(row(
            "job",
            0,
            "migration job",
            tl.window.map_or("-".into(), |w| {
                format!("{} .. {}", at(w.from_s), at(w.to_s))
            }),
            j.total_time_ms,
            format!(
                "{}{}, {} passes, {} sent; downtime {}{} (job statistics){}",
                j.outcome,
                if j.postcopy { " (post-copy)" } else { "" },
                j.iterations.map_or("?".into(), |i| i.to_string()),
                j.memory_processed_bytes
                    .map_or("?".into(), |b| format!("{:.1} MiB", b as f64 / MIB as f64)),
                j.downtime_ms.map_or("?".into(), dur),
                if j.downtime_expected {
                    ", expected, not real"
                } else {
                    ""
                },
                j.max_throttle_pct
                    .filter(|&t| t > 0)
                    .map_or(String::new(), |t| format!("; throttled up to {t} %")),
            ),
        )),
        None => rows.push(row(
            "job",
            0,
            "migration job",
            "-".into(),
            None,
            "no job statistics recorded: t = 0 is the first stamp".into(),
        )),
    }
    if let Some(p) = &o.ping {
        let mut pr = if p.lost == 0 {
            row(
                "outage",
                0,
                "ping outage",
                format!("< {}", dur(p.interval_ms)),
                Some(0.0),
                format!(
                    "no probe lost at the switch (one every {}): any outage was shorter than that",
                    dur(p.interval_ms)
                ),
            )
        } else {
            let span = tl.ping_outage.map_or(String::new(), |s| {
                format!(
                    ": last reply before at {}, first after at {}",
                    at(s.from_s),
                    at(s.to_s)
                )
            });
            row(
                "outage",
                0,
                "ping outage",
                dur_range(p.outage_ms_lo, p.outage_ms_hi),
                Some(p.outage_ms_lo),
                format!(
                    "{} lost at the switch (one every {}){span}",
                    plural(p.lost, "probe", "probes"),
                    dur(p.interval_ms)
                ),
            )
        };
        pr.ms_hi = p.outage_ms_hi;
        rows.push(pr);
        match &o.outage_parts {
            Some(op) => {
                rows.push(d(
                    "outage.pause",
                    1,
                    "guest paused",
                    op.downtime_ms,
                    "downtime as the job statistics report it (the source's view)",
                ));
                let mut n = row(
                    "outage.network",
                    1,
                    "network",
                    dur_range(op.network_ms_lo, op.network_ms_hi),
                    Some(op.network_ms_lo),
                    "the rest: the guest ran on the destination but could not be reached".into(),
                );
                n.ms_hi = op.network_ms_hi;
                rows.push(n);
                rows.extend(stp_rows(b, tl, op));
            }
            None if p.lost > 0 => rows.push(row(
                "outage.split",
                1,
                "split",
                "-".into(),
                None,
                "not split into pause and network: the job did not complete by pre-copy or reported no downtime"
                    .into(),
            )),
            None => {}
        }
    }
    for pv in &o.pv {
        rows.extend(pv_rows(pv, r, tl));
    }
    Section {
        heading: format!("observed (t = 0 at the {})", tl.origin),
        rows,
    }
}

/// What STP on the destination bridge accounts for in the observed network part.
fn stp_rows(b: &Bundle, tl: &BundleTimeline, op: &OutageParts) -> Vec<Row> {
    let n = &b.manifest.network;
    let (Some(true), Some(w)) = (n.bridge_stp, tl.window) else {
        if n.bridge_stp == Some(false) {
            return vec![row(
                "outage.network.stp",
                2,
                "no STP",
                "-".into(),
                None,
                "STP off on the destination bridge: only self-announce and switch learning".into(),
            )];
        }
        return Vec::new();
    };
    // The destination's port joins its bridge when the incoming QEMU starts: at the
    // migration start at the earliest, so STP forwards 2 x forward delay after it.
    let fd = n.forward_delay_s.unwrap_or(15.0);
    let forwarding = 2.0 * fd;
    let wait_ms = ((forwarding - w.to_s) * 1e3).max(0.0);
    let rest_lo = (op.network_ms_lo - wait_ms).max(0.0);
    let rest_hi = op.network_ms_hi.map(|h| (h - wait_ms).max(0.0));
    let mut v = vec![
        row(
            "outage.network.stp_forwarding",
            2,
            "STP forwarding at",
            at(forwarding),
            Some(forwarding * 1e3),
            format!(
                "forward delay {fd} s x 2 (listening, learning) from the migration start, \
                 when the destination port joins its bridge at the earliest"
            ),
        ),
        d(
            "outage.network.stp_wait",
            2,
            "STP wait after resume",
            wait_ms,
            if wait_ms > 0.0 {
                format!(
                    "the guest resumed when the job ended ({}), while the port was still listening or learning",
                    at(w.to_s)
                )
            } else {
                format!(
                    "the port forwarded before the guest resumed ({}): STP cost nothing",
                    at(w.to_s)
                )
            },
        ),
    ];
    let mut rest = row(
        "outage.network.rest",
        2,
        "the rest",
        dur_range(rest_lo, rest_hi),
        Some(rest_lo),
        "not STP counted from the migration start: switches relearning the guest's port, \
         ARP, or a port that joined later"
            .into(),
    );
    rest.ms_hi = rest_hi;
    v.push(rest);
    v
}

fn pv_rows(pv: &PvObserved, r: &Replay, tl: &BundleTimeline) -> Vec<Row> {
    let k = format!("pv.{}", pv.name);
    let track = tl
        .pvs
        .iter()
        .find(|t| t.name == pv.name)
        .and_then(|t| t.stall);
    let mut note = match pv.stall_kind {
        StallKind::None => pv.stall_reason.clone(),
        k => format!("{}: {}", kind(k), pv.stall_reason),
    };
    if let (Some(back), Some(s)) = (tl.ping_outage.map(|o| o.to_s), track)
        && s.to_s > back + 0.2
    {
        note.push_str(&format!(
            "; the circuit came back {} after the first ping reply: the guest's TCP was \
             waiting out its retransmission backoff (200 ms, doubling)",
            dur((s.to_s - back) * 1e3)
        ));
    }
    let mut rows = vec![row(
        &k,
        0,
        &pv.name,
        pv.longest_stall_ms.map_or("-".into(), dur),
        pv.longest_stall_ms,
        note,
    )];
    if let Some(s) = track {
        rows.push(row(
            &format!("{k}.stall"),
            1,
            "no update at the client",
            format!("{} .. {}", at(s.from_s), at(s.to_s)),
            None,
            "the longest stall, in client (receive) time".into(),
        ));
    }
    rows.push(row(
        &format!("{k}.values"),
        1,
        "values",
        format!(
            "{} late, {} missed",
            pv.late_values,
            pv.missed_values.map_or("?".into(), |m| m.to_string())
        ),
        None,
        format!(
            "of {} updates{}{}",
            pv.updates,
            if pv.late_values > 0 {
                "; the late ones were held back and arrived in a burst"
            } else {
                ""
            },
            match pv.missed_values {
                Some(m) if m > 0 => "; the missed ones were never produced (the count skipped)",
                _ => "",
            }
        ),
    ));
    if let Some(g) = pv.server_gap_ms {
        rows.push(d(
            &format!("{k}.server_gap"),
            1,
            "server-stamp gap",
            g,
            "the longest gap between the IOC's own stamps",
        ));
    }
    if let (Some(bf), Some(af)) = (pv.offset_before_ms, pv.offset_after_ms) {
        let pause = r
            .observed
            .job
            .as_ref()
            .and_then(|j| j.downtime_ms)
            .map_or(String::new(), |p| {
                format!("; the job reports a pause of {}", dur(p))
            });
        rows.push(d(
            &format!("{k}.offset_step"),
            1,
            "clock offset step",
            af - bf,
            format!(
                "client minus server stamp {} before the switch, {} after: the guest clock stood still while paused{pause}",
                dur(bf),
                dur(af)
            ),
        ));
    }
    if !pv.disconnects.is_empty() {
        rows.push(row(
            &format!("{k}.disconnects"),
            1,
            "disconnects",
            pv.disconnects.len().to_string(),
            None,
            "the client declared the channel disconnected".into(),
        ));
    }
    rows
}

fn observed_outage(r: &Replay) -> String {
    match &r.observed.ping {
        Some(p) if p.lost > 0 => dur_range(p.outage_ms_lo, p.outage_ms_hi),
        Some(p) => format!("< {}", dur(p.interval_ms)),
        None => "not recorded".into(),
    }
}

fn predicted(r: &Replay, model: Option<(&ModelParams, &Outcome)>) -> Section {
    let (Some(pred), Some((p, o))) = (&r.predicted, model) else {
        return Section {
            heading: "predicted".into(),
            rows: vec![row(
                "predicted",
                0,
                "no prediction",
                "-".into(),
                None,
                r.no_prediction.clone().unwrap_or_default(),
            )],
        };
    };
    let obs = &r.observed;
    let job = obs.job.as_ref();
    let mut rows = vec![row(
        "predicted.job",
        0,
        "migration",
        pred.verdict.clone(),
        Some(pred.total_time_ms),
        format!(
            "{} and {:.1} MiB in {} passes; observed {} and {}",
            dur(pred.total_time_ms),
            pred.memory_processed_bytes as f64 / MIB as f64,
            pred.iterations,
            job.and_then(|j| j.total_time_ms).map_or("?".into(), dur),
            job.and_then(|j| j.memory_processed_bytes)
                .map_or("?".into(), |b| format!("{:.1} MiB", b as f64 / MIB as f64)),
        ),
    )];
    if o.completed {
        let stop = o.total_time_ns.saturating_sub(o.downtime.reported_ns);
        let resume = stop + o.downtime.guest_ns;
        let reach = resume + o.after_resume.reachable_after_resume_ns;
        rows.push(d(
            "predicted.outage",
            0,
            "ping outage",
            pred.outage_ms,
            format!("observed {}", observed_outage(r)),
        ));
        rows.push(d(
            "predicted.outage.pause",
            1,
            "guest paused",
            pred.guest_downtime_ms,
            format!(
                "libvirt would report {}; observed {}",
                dur(pred.downtime_ms),
                job.and_then(|j| j.downtime_ms).map_or("?".into(), dur)
            ),
        ));
        let observed_network = obs.outage_parts.as_ref().map_or("?".into(), |op| {
            dur_range(op.network_ms_lo, op.network_ms_hi)
        });
        rows.push(d(
            "predicted.outage.network",
            1,
            "network after resume",
            pred.network_ms,
            format!("{}; observed {observed_network}", pred.network_cause),
        ));
        rows.extend(network_rows(p, o, resume, reach).into_iter().map(|mut x| {
            x.key = format!("predicted.{}", x.key);
            x
        }));
    }
    for pv in &pred.pv {
        let seen = obs
            .pv
            .iter()
            .find(|x| x.name == pv.name)
            .and_then(|x| x.longest_stall_ms)
            .map_or("?".into(), dur);
        rows.push(d(
            &format!("predicted.pv.{}", pv.name),
            0,
            &pv.name,
            pv.stall_ms,
            format!(
                "stall (mean over scan phases), {:.1} values late; observed {seen}",
                pv.late_values
            ),
        ));
    }
    let failed: Vec<&str> = r
        .checks
        .iter()
        .filter(|c| !c.pass)
        .map(|c| c.quantity.as_str())
        .collect();
    rows.push(row(
        "predicted.checks",
        0,
        "replay checks",
        format!(
            "{} of {} pass",
            r.checks.len() - failed.len(),
            r.checks.len()
        ),
        None,
        if failed.is_empty() {
            "every quantity within its tolerance (migbench replay shows them)".into()
        } else {
            format!(
                "out of tolerance: {} (migbench replay shows them)",
                failed.join(", ")
            )
        },
    ));
    Section {
        heading: format!(
            "predicted for the recorded parameters (seed {}): replay {}",
            o.seed, r.verdict
        ),
        rows,
    }
}

/// The few lines on top of a bundle's plot: observed against predicted.
pub fn bundle_headline(r: &Replay, tl: &BundleTimeline) -> Vec<String> {
    let o = &r.observed;
    let mut v = vec![format!(
        "{}: recorded run, t = 0 at the {}",
        r.name, tl.origin
    )];
    let mut obs = Vec::new();
    if let Some(j) = &o.job {
        obs.push(format!(
            "migration {} {}, downtime {}{}",
            j.outcome,
            j.total_time_ms.map_or("?".into(), dur),
            j.downtime_ms.map_or("?".into(), dur),
            if j.downtime_expected {
                " (expected)"
            } else {
                ""
            }
        ));
    }
    if let Some(p) = &o.ping {
        obs.push(if p.lost == 0 {
            format!(
                "no ping lost at the switch (probe every {})",
                dur(p.interval_ms)
            )
        } else {
            format!(
                "ping outage {} ({} lost)",
                dur_range(p.outage_ms_lo, p.outage_ms_hi),
                plural(p.lost, "probe", "probes")
            )
        });
    }
    if let Some(pv) =
        o.pv.iter()
            .filter(|p| p.longest_stall_ms.is_some())
            .max_by(|a, b| {
                a.longest_stall_ms
                    .unwrap_or(0.0)
                    .total_cmp(&b.longest_stall_ms.unwrap_or(0.0))
            })
    {
        obs.push(format!(
            "longest PV stall {} ({})",
            pv.longest_stall_ms.map_or("?".into(), dur),
            kind(pv.stall_kind)
        ));
    }
    v.push(format!("observed: {}", obs.join("; ")));
    v.push(match &r.predicted {
        Some(p) => format!(
            "predicted: {} {}, downtime {}; ping outage {} ({}){}",
            p.verdict,
            dur(p.total_time_ms),
            dur(p.downtime_ms),
            dur(p.outage_ms),
            p.network_cause,
            p.pv.iter()
                .map(|x| x.stall_ms)
                .reduce(f64::max)
                .map_or(String::new(), |s| format!("; PV stall {}", dur(s)))
        ),
        None => format!(
            "predicted: nothing ({})",
            r.no_prediction.as_deref().unwrap_or("no parameters")
        ),
    });
    v
}
