//! "Where the outage goes": the outage a ping client and each PV's clients see, taken
//! apart into what the model (for a scenario) or the recording (for a bundle) says it
//! is made of. Deterministic text (no clock, no paths) so it can be snapshotted.

use super::timeline::{BundleTimeline, ca_retransmissions};
use crate::bundle::Bundle;
use crate::model::{ModelParams, Outcome};
use crate::replay::Replay;
use crate::replay::observed::StallKind;
use crate::units::{KIB, MIB, Nanos, ns_to_ms};
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

fn at(s: f64) -> String {
    format!("{s:.3} s")
}

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

fn d(key: &str, depth: u8, label: &str, ms: f64, note: impl Into<String>) -> Row {
    row(key, depth, label, dur(ms), Some(ms), note.into())
}

fn ms_of(ns: Nanos) -> f64 {
    ns_to_ms(ns)
}

fn s_of(ns: Nanos) -> f64 {
    ns as f64 / 1e9
}

/// Explains a simulated run of scenario `name` with parameters `p`.
pub fn scenario(name: &str, description: &str, p: &ModelParams, o: &Outcome) -> Explanation {
    let mut sections = Vec::new();
    let passes = o.passes.len();
    let mut run = vec![row(
        "verdict",
        0,
        "verdict",
        o.verdict.to_string(),
        None,
        format!(
            "after {}, {:.1} MiB sent in {passes} pass{}{}",
            dur(ms_of(o.total_time_ns)),
            o.bytes_sent as f64 / MIB as f64,
            if passes == 1 { "" } else { "es" },
            if o.completed {
                " (the last with the guest paused)"
            } else {
                ""
            }
        ),
    )];
    if o.max_throttle_pct > 0.0 {
        run.push(d(
            "throttled",
            1,
            "guest throttled",
            ms_of(o.guest.throttled_ns),
            format!(
                "auto-converge up to {:.0} %: the vCPU sleeps up to {} between 10 ms slices, \
                 so pings and scans run late before the switch ({:.0} late pings expected)",
                o.max_throttle_pct,
                dur(ms_of(o.guest.max_stall_ns)),
                o.guest.late_probes
            ),
        ));
    }
    sections.push(Section {
        heading: "the run".into(),
        rows: run,
    });
    if !o.completed {
        sections.push(Section {
            heading: "no outage: the guest never switched over".into(),
            rows: vec![
                d(
                    "offline",
                    0,
                    "offline instead",
                    ms_of(o.alternatives.offline_downtime_ns),
                    "stop and copy: all non-zero RAM and the device state over the link, plus the switchover costs",
                ),
                d(
                    "postcopy",
                    0,
                    "post-copy instead",
                    ms_of(o.alternatives.postcopy_downtime_ns),
                    format!(
                        "device state and switchover, then {} degraded while the rest of RAM is pulled",
                        dur(ms_of(o.alternatives.postcopy_degraded_ns))
                    ),
                ),
            ],
        });
        return Explanation {
            subject: "scenario",
            name: name.to_string(),
            title: format!("where the outage goes: {name} (simulated, seed {})", o.seed),
            description: description.to_string(),
            sections,
        };
    }
    let dt = &o.downtime;
    let ar = &o.after_resume;
    let stop = o.total_time_ns.saturating_sub(dt.reported_ns);
    let resume = stop + dt.guest_ns;
    let reach = resume + ar.reachable_after_resume_ns;
    let mut rows = vec![
        d(
            "pause",
            1,
            "guest paused",
            ms_of(dt.guest_ns),
            format!(
                "stopped on the source at {}, running on the destination at {}",
                at(s_of(stop)),
                at(s_of(resume))
            ),
        ),
        d(
            "pause.stop",
            2,
            "stop vCPUs",
            ms_of(dt.stop_ns),
            "drain I/O",
        ),
        d(
            "pause.last_ram",
            2,
            "last RAM",
            ms_of(dt.final_ram_ns),
            format!("{} dirty pages left after the last pass", dt.final_pages),
        ),
        d(
            "pause.device_state",
            2,
            "device state",
            ms_of(dt.device_state_ns),
            format!(
                "{:.0} KiB of CPU and device state over the link",
                p.guest.device_state_bytes as f64 / KIB as f64
            ),
        ),
    ];
    if dt.storage_flush_ns > 0 || dt.storage_open_ns > 0 {
        let s = &p.storage;
        rows.push(d(
            "pause.storage_flush",
            2,
            "storage flush",
            ms_of(dt.storage_flush_ns),
            format!(
                "source: {} NFS round trips of {} and {:.0} KiB written back",
                s.flush_round_trips,
                dur(ms_of(s.nfs_rtt_ns)),
                s.dirty_block_bytes as f64 / KIB as f64
            ),
        ));
        rows.push(d(
            "pause.storage_open",
            2,
            "storage open",
            ms_of(dt.storage_open_ns),
            format!(
                "destination: {} NFS round trips to re-open and lock the image",
                s.open_round_trips
            ),
        ));
    }
    rows.push(d(
        "pause.resume",
        2,
        "resume",
        ms_of(dt.resume_ns),
        format!(
            "load the state, finish and start the vCPUs; libvirt reports {} (it stops counting when the source completes)",
            dur(ms_of(dt.reported_ns))
        ),
    ));
    rows.push(d(
        "network",
        1,
        "network after resume",
        ms_of(ar.reachable_after_resume_ns),
        ar.cause.clone(),
    ));
    rows.extend(network_rows(p, o, resume, reach));
    let mut total = d(
        "outage",
        0,
        "ping outage",
        ms_of(ar.outage_ns),
        format!(
            "from the stop ({}) until clients reach the guest again ({}); a probe every {} sees it to within one interval",
            at(s_of(stop)),
            at(s_of(reach)),
            dur(ms_of(p.network.ping_interval_ns))
        ),
    );
    total.key = "outage".into();
    rows.insert(0, total);
    sections.push(Section {
        heading: "where the ping outage goes".into(),
        rows,
    });
    if !o.pvs.is_empty() {
        sections.push(Section {
            heading: format!(
                "PV clients: Channel Access over TCP (retransmission after {}, doubling)",
                dur(ms_of(p.clients.tcp_rto_min_ns))
            ),
            rows: pv_rows(p, o, stop, resume, reach),
        });
    }
    Explanation {
        subject: "scenario",
        name: name.to_string(),
        title: format!("where the outage goes: {name} (simulated, seed {})", o.seed),
        description: description.to_string(),
        sections,
    }
}

/// The network part of a simulated outage, taken apart.
fn network_rows(p: &ModelParams, o: &Outcome, resume: Nanos, reach: Nanos) -> Vec<Row> {
    let n = &p.network;
    let ar = &o.after_resume;
    let first_announce = ar.announce_ns.first().copied().unwrap_or(0);
    let by_announce = first_announce + n.reconverge_ns;
    let announces = ar
        .announce_ns
        .iter()
        .map(|a| format!("{:.0}", ms_of(*a)))
        .collect::<Vec<_>>()
        .join(", ");
    let forwarding = 2 * n.forward_delay_ns;
    let wait = forwarding.saturating_sub(resume);
    if n.bridge_stp && wait > by_announce {
        let rest = ar.reachable_after_resume_ns.saturating_sub(wait);
        vec![
            row(
                "network.port_joined",
                2,
                "port joined bridge",
                at(0.0),
                None,
                "the incoming QEMU's tap port joins the destination bridge when the migration starts".into(),
            ),
            row(
                "network.stp",
                2,
                "STP listening+learning",
                format!(
                    "{} .. {}",
                    at(0.0),
                    at(s_of(forwarding))
                ),
                Some(ms_of(forwarding)),
                format!(
                    "forward delay {} x 2: the port forwards nothing before {}",
                    dur(ms_of(n.forward_delay_ns)),
                    at(s_of(forwarding))
                ),
            ),
            d(
                "network.stp_wait",
                2,
                "wait for forwarding",
                ms_of(wait),
                format!(
                    "the guest resumed at {}, already {} into the port's {} of listening and learning; \
                     its self-announce rounds (+{announces} ms) went out before and were dropped",
                    at(s_of(resume)),
                    dur(ms_of(resume)),
                    dur(ms_of(forwarding))
                ),
            ),
            d(
                "network.relearn",
                2,
                "relearn",
                ms_of(rest),
                format!(
                    "switches learn the guest's new port from its first frame once the port forwards (reachable at {})",
                    at(s_of(reach))
                ),
            ),
        ]
    } else if ar.announce_ns.is_empty() {
        vec![d(
            "network.relearn",
            2,
            "relearn",
            ms_of(ar.reachable_after_resume_ns),
            "no self-announce: switches learn the new port from the guest's own traffic",
        )]
    } else {
        let mut v = vec![
            d(
                "network.first_announce",
                2,
                "first self-announce",
                ms_of(first_announce),
                format!("QEMU announces the guest's MAC at +{announces} ms after resume"),
            ),
            d(
                "network.reconverge",
                2,
                "switches update",
                ms_of(ar.reachable_after_resume_ns.saturating_sub(first_announce)),
                "the switches move the guest's MAC to its new port",
            ),
        ];
        if n.bridge_stp {
            v.push(row(
                "network.stp",
                2,
                "STP forwarding at",
                at(s_of(forwarding)),
                Some(ms_of(forwarding)),
                format!(
                    "forward delay {} x 2 from the migration start: over before the guest resumed, so STP costs nothing",
                    dur(ms_of(n.forward_delay_ns))
                ),
            ));
        }
        v
    }
}

/// Each PV's stall, taken apart for a scan phase in the middle of the period.
fn pv_rows(p: &ModelParams, o: &Outcome, stop: Nanos, resume: Nanos, reach: Nanos) -> Vec<Row> {
    let c = &p.clients;
    let mut rows = Vec::new();
    for pv in &o.pvs {
        let period = pv.scan_period_ns.max(1);
        let s = pv.stall_ns;
        let stall = if (s.max - s.min).abs() < 1e6 {
            dur(s.mean / 1e6)
        } else {
            format!(
                "{} (mean {})",
                dur_range(s.min / 1e6, Some(s.max / 1e6)),
                dur(s.mean / 1e6)
            )
        };
        let disconnect = c.ca_conn_tmo_ns + c.ca_echo_timeout_ns;
        let verdict = if pv.disconnect_share <= 0.0 {
            format!(
                "no disconnect: the client waits {} of silence (EPICS_CA_CONN_TMO {} + echo {}) before it gives up",
                dur(ms_of(disconnect)),
                dur(ms_of(c.ca_conn_tmo_ns)),
                dur(ms_of(c.ca_echo_timeout_ns))
            )
        } else {
            format!(
                "the client declares the channel disconnected in {:.0} % of scan phases (silence beyond {})",
                pv.disconnect_share * 100.0,
                dur(ms_of(disconnect))
            )
        };
        let mut r = row(
            &format!("pv.{}", pv.name),
            0,
            &pv.name,
            stall,
            Some(s.mean / 1e6),
            format!(
                "longest time without an update at the client (scan every {}); {verdict}",
                dur(ms_of(period))
            ),
        );
        r.ms_hi = (s.max > s.min).then_some(s.max / 1e6);
        rows.push(r);
        // Mid-phase: the last update went out half a period before the stop.
        let a = period / 2;
        let first_send = resume + (period - a);
        let (tries, delivered) = ca_retransmissions(first_send, reach, c);
        let k = format!("pv.{}", pv.name);
        rows.push(d(
            &format!("{k}.since_last"),
            1,
            "since last update",
            ms_of(a),
            "for a scan phase in the middle of the period: the last update left this long before the stop",
        ));
        rows.push(d(
            &format!("{k}.pause"),
            1,
            "guest paused",
            ms_of(resume - stop),
            "the IOC's clock stands still with the guest",
        ));
        rows.push(d(
            &format!("{k}.next_scan"),
            1,
            "next scan",
            ms_of(period - a),
            format!(
                "the rest of the period after resume: the first update leaves at {}",
                at(s_of(first_send))
            ),
        ));
        let offsets = tries
            .iter()
            .map(|t| format!("{:.1}", s_of(t - first_send)))
            .collect::<Vec<_>>()
            .join(", ");
        rows.push(if tries.is_empty() {
            d(
                &format!("{k}.tcp"),
                1,
                "TCP",
                0.0,
                "the path is back before the first update: it gets through at once",
            )
        } else {
            d(
                &format!("{k}.tcp"),
                1,
                "TCP backoff",
                ms_of(delivered - first_send),
                format!(
                    "the path is still broken (until {}): retransmitted at +{offsets} s; \
                     retransmission {} gets through at {}, {} after the path is back",
                    at(s_of(reach)),
                    tries.len(),
                    at(s_of(delivered)),
                    dur(ms_of(delivered - reach))
                ),
            )
        });
        rows.push(row(
            &format!("{k}.late"),
            1,
            "late values",
            format!("{:.1}", pv.late_values.mean),
            None,
            format!(
                "updates queued in the circuit arrive in one burst when it resumes; {} lost (TCP delivers them all)",
                pv.missed_values
            ),
        ));
        rows.push(d(
            &format!("{k}.server_gap"),
            1,
            "server-stamp gap",
            ms_of(pv.server_gap_ns),
            "one period plus the pause: the IOC's own stamps show only the pause, the rest is the network",
        ));
        if pv.throttled_gap_ns > 0 {
            rows.push(d(
                &format!("{k}.throttled_gap"),
                1,
                "gap while throttled",
                ms_of(pv.throttled_gap_ns),
                "before the switch, auto-converge starves the vCPU and the scan runs late",
            ));
        }
    }
    rows
}

/// Explains a replayed bundle: what the recording shows, and the model beside it.
pub fn bundle(b: &Bundle, r: &Replay, tl: &BundleTimeline) -> Explanation {
    let o = &r.observed;
    let mut rows = Vec::new();
    if let Some(j) = &o.job {
        rows.push(row(
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
                    " expected, not real"
                } else {
                    ""
                },
                j.max_throttle_pct
                    .filter(|&t| t > 0)
                    .map_or(String::new(), |t| format!("; throttled up to {t} %")),
            ),
        ));
    } else {
        rows.push(row(
            "job",
            0,
            "migration job",
            "-".into(),
            None,
            "no job statistics recorded: t = 0 is the first stamp".into(),
        ));
    }
    if let Some(p) = &o.ping {
        let span = tl.ping_outage.map_or(String::new(), |s| {
            format!(
                ": last reply before at {}, first after at {}",
                at(s.from_s),
                at(s.to_s)
            )
        });
        let mut pr = row(
            "outage",
            0,
            "ping outage",
            if p.lost == 0 {
                format!("< {}", dur(p.interval_ms))
            } else {
                dur_range(p.outage_ms_lo, p.outage_ms_hi)
            },
            Some(p.outage_ms_lo),
            if p.lost == 0 {
                format!(
                    "no probe lost at the switch (one every {}): the outage, if any, was shorter than that",
                    dur(p.interval_ms)
                )
            } else {
                format!(
                    "{} probes lost at the switch (one every {}){span}",
                    p.lost,
                    dur(p.interval_ms)
                )
            },
        );
        pr.ms_hi = p.outage_ms_hi;
        rows.push(pr);
        if let Some(op) = &o.outage_parts {
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
                network_note(b, tl),
            );
            n.ms_hi = op.network_ms_hi;
            rows.push(n);
        } else if p.lost > 0 {
            rows.push(row(
                "outage.split",
                1,
                "split",
                "-".into(),
                None,
                "not split into pause and network: the job did not complete by pre-copy or reported no downtime".into(),
            ));
        }
    }
    let ping_back = tl.ping_outage.map(|s| s.to_s);
    for pv in &o.pv {
        let k = format!("pv.{}", pv.name);
        let mut note = match pv.stall_kind {
            StallKind::None => "no stall beyond 1.5 scan periods".to_string(),
            StallKind::ClientsCutOff => format!("clients cut off: {}", pv.stall_reason),
            StallKind::IocStopped => format!("IOC stopped: {}", pv.stall_reason),
        };
        if let (Some(back), Some(track)) = (
            ping_back,
            tl.pvs
                .iter()
                .find(|t| t.name == pv.name)
                .and_then(|t| t.stall),
        ) && track.to_s > back + 0.2
        {
            note.push_str(&format!(
                "; the circuit came back at {}, {} after the first ping reply: \
                 the guest's TCP was waiting out its retransmission backoff",
                at(track.to_s),
                dur((track.to_s - back) * 1e3)
            ));
        }
        rows.push(row(
            &k,
            0,
            &pv.name,
            pv.longest_stall_ms.map_or("-".into(), dur),
            pv.longest_stall_ms,
            note,
        ));
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
                "{} updates; late values arrived in a burst after being held back",
                pv.updates
            ),
        ));
        if let Some(g) = pv.server_gap_ms {
            rows.push(d(
                &format!("{k}.server_gap"),
                1,
                "server-stamp gap",
                g,
                "longest gap between the IOC's own stamps",
            ));
        }
        if let (Some(bf), Some(af)) = (pv.offset_before_ms, pv.offset_after_ms) {
            rows.push(d(
                &format!("{k}.offset_step"),
                1,
                "clock offset step",
                af - bf,
                format!(
                    "client minus server stamp {} before the switch, {} after: the guest clock stood still while paused",
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
    }
    let mut sections = vec![Section {
        heading: format!("observed (t = 0 at the {})", tl.origin),
        rows,
    }];
    sections.push(match &r.predicted {
        Some(pred) => {
            let mut rows = vec![
                d(
                    "predicted.outage",
                    0,
                    "ping outage",
                    pred.outage_ms,
                    format!(
                        "guest paused {} + network {} ({})",
                        dur(pred.guest_downtime_ms),
                        dur(pred.network_ms),
                        pred.network_cause
                    ),
                ),
                d(
                    "predicted.downtime",
                    0,
                    "downtime",
                    pred.downtime_ms,
                    "as libvirt would report it",
                ),
            ];
            for pv in &pred.pv {
                rows.push(d(
                    &format!("predicted.pv.{}", pv.name),
                    0,
                    &pv.name,
                    pv.stall_ms,
                    format!("stall, {:.1} values late", pv.late_values),
                ));
            }
            for c in &r.checks {
                let obs = match c.observed_hi {
                    Some(h) => format!("{:.0}..{:.0}", c.observed, h),
                    None => format!("{:.0}", c.observed),
                };
                rows.push(row(
                    &format!("check.{}", c.quantity),
                    1,
                    &c.quantity,
                    if c.pass { "pass" } else { "FAIL" }.into(),
                    None,
                    format!(
                        "observed {obs}, predicted {:.0} (tolerance {})",
                        c.predicted, c.tolerance
                    ),
                ));
            }
            Section {
                heading: format!(
                    "predicted for the recorded parameters: {} ({})",
                    pred.verdict, r.verdict
                ),
                rows,
            }
        }
        None => Section {
            heading: "predicted".into(),
            rows: vec![row(
                "predicted",
                0,
                "no prediction",
                "-".into(),
                None,
                r.no_prediction.clone().unwrap_or_default(),
            )],
        },
    });
    Explanation {
        subject: "bundle",
        name: r.name.clone(),
        title: format!("where the outage goes: {} (recorded run)", r.name),
        description: b.manifest.bundle.description.clone(),
        sections,
    }
}

/// What the recording says about the network part: STP, when the bundle ran it.
fn network_note(b: &Bundle, tl: &BundleTimeline) -> String {
    let mut s = "the guest ran on the destination but could not be reached".to_string();
    let n = &b.manifest.network;
    if n.bridge_stp == Some(true) {
        let fd = n.forward_delay_s.unwrap_or(15.0);
        s.push_str(&format!(
            "; STP on the destination bridge, forward delay {fd} s: its port forwards {} after joining \
             (at the migration start at the earliest)",
            dur(2.0 * fd * 1e3)
        ));
        if let Some(o) = tl.ping_outage {
            s.push_str(&format!("; the pings came back at {}", at(o.to_s)));
        }
    } else if n.bridge_stp == Some(false) {
        s.push_str("; no STP on the bridge: self-announce and switch learning only");
    }
    s
}

/// The few lines on top of a scenario's plot: verdict, downtime, outage, PV stall.
pub fn scenario_headline(name: &str, o: &Outcome) -> Vec<String> {
    let mut v = vec![
        format!("{name}: simulated (seed {}), {}", o.seed, o.verdict),
        format!(
            "{} passes, {} in all, {:.1} MiB sent; guest paused {} (libvirt would report {})",
            o.passes.len(),
            dur(ms_of(o.total_time_ns)),
            o.bytes_sent as f64 / MIB as f64,
            dur(ms_of(o.downtime.guest_ns)),
            dur(ms_of(o.downtime.reported_ns))
        ),
    ];
    if o.completed {
        let ar = &o.after_resume;
        v.push(format!(
            "ping outage {} = paused {} + network {} ({})",
            dur(ms_of(ar.outage_ns)),
            dur(ms_of(o.downtime.guest_ns)),
            dur(ms_of(ar.network_ns)),
            ar.cause
        ));
        if let Some(pv) = o
            .pvs
            .iter()
            .max_by(|a, b| a.stall_ns.mean.total_cmp(&b.stall_ns.mean))
        {
            v.push(format!(
                "longest PV stall {} ({}), {:.0} values late in one burst, {}",
                dur(pv.stall_ns.mean / 1e6),
                pv.name,
                pv.late_values.mean,
                if pv.disconnect_share > 0.0 {
                    "the client disconnects"
                } else {
                    "no disconnect"
                }
            ));
        }
    }
    v
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
                "ping outage {} ({} probes lost)",
                dur_range(p.outage_ms_lo, p.outage_ms_hi),
                p.lost
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
            match pv.stall_kind {
                StallKind::None => "within 1.5 scan periods",
                StallKind::ClientsCutOff => "clients cut off",
                StallKind::IocStopped => "IOC stopped",
            }
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
        out.push_str(&format!("\n{}\n", s.heading));
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
