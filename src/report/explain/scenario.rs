//! A simulated run taken apart: the pause in its parts, the network after resume (STP
//! counted from the port joining at the migration start, self-announce, learning from the guest's own frames),
//! and each PV's stall down to the TCP retransmission that gets through.

use super::{Explanation, Row, Section, at, d, dur, dur_range, ms_of, row, s_of};
use crate::model::{ModelParams, Outcome};
use crate::report::timeline::ca_retransmissions;
use crate::units::{KIB, MIB, Nanos};

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
        let best = o
            .passes
            .iter()
            .map(|x| x.expected_downtime_ns)
            .min()
            .unwrap_or(0);
        sections.push(Section {
            heading: "no outage: the guest never switched over".into(),
            rows: vec![
                d(
                    "best_expected_downtime",
                    0,
                    "best expected downtime",
                    ms_of(best),
                    format!(
                        "the least QEMU expected after any pass, against a downtime limit of {}{}",
                        dur(ms_of(p.migration.downtime_limit_ns)),
                        o.extrapolated_from_ns.map_or(String::new(), |t| format!(
                            "; simulated to {}, then the same steady state up to the timeout",
                            dur(ms_of(t))
                        ))
                    ),
                ),
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
                "stopped on the source at {}, running on the destination at {}; libvirt reports {}: \
                 it counts from the stop to the end of completion on the source, without the \
                 destination's storage open and resume",
                at(s_of(stop)),
                at(s_of(resume)),
                dur(ms_of(dt.reported_ns))
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
        "load the device state, libvirt's finish phase, start the vCPUs",
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
            "from the stop ({}) until clients reach the guest again ({}): {:.1} % pause, {:.1} % network; \
             a probe every {} sees it to within one interval",
            at(s_of(stop)),
            at(s_of(reach)),
            share(dt.guest_ns, ar.outage_ns),
            share(ar.reachable_after_resume_ns, ar.outage_ns),
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
            rows: pv_rows(p, o, stop, resume),
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

/// `part` as a percentage of `whole`.
fn share(part: Nanos, whole: Nanos) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// The network part of a simulated outage, taken apart: the rows under
/// "network after resume" for a run of `p` that resumed at `resume` and was reachable
/// again at `reach` (model times).
pub(super) fn network_rows(p: &ModelParams, o: &Outcome, resume: Nanos, reach: Nanos) -> Vec<Row> {
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
                    "forward delay {} s x 2: the port forwards nothing before {}",
                    s_of(n.forward_delay_ns),
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
                "network.learn",
                2,
                "learn the new port",
                ms_of(rest),
                format!(
                    "switches learn the guest's new port from its first frame once the port forwards: {} \
                     (reachable at {}, the median over the scan and beacon phases)",
                    ar.cause.rsplit("then ").next().unwrap_or(&ar.cause),
                    at(s_of(reach))
                ),
            ),
        ]
    } else if ar.announce_ns.is_empty() {
        vec![d(
            "network.learn",
            2,
            "learn the new port",
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
                    "forward delay {} s x 2 from the migration start: over before the guest resumed, so STP costs nothing",
                    s_of(n.forward_delay_ns)
                ),
            ));
        }
        v
    }
}

/// Each PV's stall, taken apart for a scan phase in the middle of the period.
fn pv_rows(p: &ModelParams, o: &Outcome, stop: Nanos, resume: Nanos) -> Vec<Row> {
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
        // Frames from the guest reach its clients once its bridge port forwards; the
        // way back (pings, ACKs) waited for switches to learn the port (`reach`).
        let open = if p.network.bridge_stp {
            resume.max(2 * p.network.forward_delay_ns)
        } else {
            resume
        };
        let (tries, delivered) = ca_retransmissions(first_send, open, c);
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
                "the port forwards before the first update: it gets through at once",
            )
        } else {
            d(
                &format!("{k}.tcp"),
                1,
                "TCP backoff",
                ms_of(delivered - first_send),
                format!(
                    "the guest's bridge port does not forward yet (until {}): retransmitted at +{offsets} s; \
                     retransmission {} gets through at {}, {} after the port forwards",
                    at(s_of(open)),
                    tries.len(),
                    at(s_of(delivered)),
                    dur(ms_of(delivered - open))
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

/// The few lines on top of a scenario's plot: verdict, downtime, outage, PV stall.
pub fn scenario_headline(name: &str, o: &Outcome) -> Vec<String> {
    let mut v = vec![format!(
        "{name}: simulated (seed {}), {}",
        o.seed, o.verdict
    )];
    if !o.completed {
        v.push(format!(
            "{} passes, {:.1} MiB sent, no switchover in {}{}",
            o.passes.len(),
            o.bytes_sent as f64 / MIB as f64,
            dur(ms_of(o.total_time_ns)),
            o.extrapolated_from_ns.map_or(String::new(), |t| format!(
                " (simulated to {}, the steady state extrapolated)",
                dur(ms_of(t))
            ))
        ));
        v.push(format!(
            "instead: offline (stop and copy) pauses the guest {}; post-copy {} with {} degraded",
            dur(ms_of(o.alternatives.offline_downtime_ns)),
            dur(ms_of(o.alternatives.postcopy_downtime_ns)),
            dur(ms_of(o.alternatives.postcopy_degraded_ns))
        ));
        return v;
    }
    v.push(format!(
        "{} passes, {} in all, {:.1} MiB sent; guest paused {} (libvirt would report {})",
        o.passes.len(),
        dur(ms_of(o.total_time_ns)),
        o.bytes_sent as f64 / MIB as f64,
        dur(ms_of(o.downtime.guest_ns)),
        dur(ms_of(o.downtime.reported_ns))
    ));
    {
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
