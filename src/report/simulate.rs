//! The `simulate` report: one run (or a Monte Carlo batch) as a table and as JSON.

use super::table::Table;
use crate::model::analytic::Twin;
use crate::model::montecarlo::Summary;
use crate::model::{ModelParams, Outcome};
use crate::units::{MIB, NS_PER_S, ns_to_ms, ns_to_s};
use serde::Serialize;

/// One pass, in report units.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PassRow {
    /// `dirty-sync-count` at the sync ending the pass.
    pub pass: u64,
    /// Start, ms from the migrate call.
    pub start_ms: f64,
    /// Length, ms.
    pub duration_ms: f64,
    /// Stream bytes sent.
    pub bytes_sent: u64,
    /// Pages with data sent.
    pub normal_pages: u64,
    /// Zero pages sent.
    pub zero_pages: u64,
    /// Pages found newly dirty at the sync.
    pub dirtied_pages: u64,
    /// Pages queued after the sync.
    pub remaining_pages: u64,
    /// CPU throttle during the pass, %.
    pub throttle_pct: f64,
    /// Measured bandwidth, MiB/s.
    pub bandwidth_mib_s: f64,
    /// QEMU's expected downtime after the sync, ms.
    pub expected_downtime_ms: f64,
    /// The stop-and-copy pass (guest paused).
    pub stop_and_copy: bool,
}

/// What the clients of one PV see, in report units.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PvRow {
    /// PV name.
    pub name: String,
    /// Scan period, s.
    pub scan_period_s: f64,
    /// Longest time without an update (client time), ms: min over scan phases.
    pub stall_ms_min: f64,
    /// The same, mean over scan phases.
    pub stall_ms_mean: f64,
    /// The same, max over scan phases.
    pub stall_ms_max: f64,
    /// Longest gap between server timestamps, ms.
    pub server_gap_ms: f64,
    /// Updates delivered late in one burst (mean over scan phases).
    pub late_values: f64,
    /// Values lost.
    pub missed_values: u64,
    /// Share of scan phases for which the client declares a disconnect.
    pub disconnect_share: f64,
    /// Longest update gap while throttled before switchover, ms.
    pub throttled_gap_ms: f64,
}

/// Downtime parts, ms.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DowntimeParts {
    /// Stopping the vCPUs.
    pub stop_ms: f64,
    /// Last dirty pages.
    pub final_ram_ms: f64,
    /// Pages in the stop-and-copy phase.
    pub final_pages: u64,
    /// Device state.
    pub device_state_ms: f64,
    /// Storage flush on the source.
    pub storage_flush_ms: f64,
    /// Storage open on the destination.
    pub storage_open_ms: f64,
    /// Resume on the destination.
    pub resume_ms: f64,
}

/// The report of one simulated run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunReport {
    /// Scenario name.
    pub scenario: String,
    /// Seed.
    pub seed: u64,
    /// Verdict.
    pub verdict: String,
    /// Whether the migration completed.
    pub completed: bool,
    /// Total time, ms.
    pub total_time_ms: f64,
    /// Guest downtime (paused until running on the destination), ms; 0 if not completed.
    pub downtime_ms: f64,
    /// Downtime as QEMU/libvirt report it (source view), ms.
    pub reported_downtime_ms: f64,
    /// Where the downtime falls 90 % of the time around `downtime_ms`, by a calibrated
    /// model's runs, ms (set by the caller that has the model).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub downtime_range_ms: Option<[f64; 2]>,
    /// The median guest downtime over where QEMU's rate-limit windows fall in the
    /// guest's data (one window's worth of data more or less), ms: what a calibrated
    /// model predicts and centres `downtime_range_ms` on (set by the caller that has the
    /// model).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub downtime_phase_median_ms: Option<f64>,
    /// Predicted ping outage (stop to reachable again), ms.
    pub outage_ms: f64,
    /// Stream bytes sent.
    pub bytes_sent: u64,
    /// Downtime parts.
    pub downtime_parts: DowntimeParts,
    /// Reachable again this long after resume, ms.
    pub reachable_after_resume_ms: f64,
    /// Why it took that long.
    pub network_cause: String,
    /// Highest CPU throttle, %.
    pub max_throttle_pct: f64,
    /// Time the guest ran throttled, ms.
    pub throttled_ms: f64,
    /// Worst stall of a throttled vCPU, ms.
    pub max_guest_stall_ms: f64,
    /// Expected pings answered late (beyond the ping interval) while throttled.
    pub late_probes: f64,
    /// Whether post-copy was used.
    pub postcopy_used: bool,
    /// Predicted offline (stop-and-copy) downtime, ms.
    pub offline_downtime_ms: f64,
    /// Predicted post-copy downtime, ms.
    pub postcopy_downtime_ms: f64,
    /// Predicted time the guest runs degraded in post-copy, ms.
    pub postcopy_degraded_ms: f64,
    /// When a stuck run was stopped and the rest extrapolated to the timeout, ms.
    pub extrapolated_from_ms: Option<f64>,
    /// What the clients of each PV see.
    pub pvs: Vec<PvRow>,
    /// The passes.
    pub passes: Vec<PassRow>,
}

/// Builds the report of one run.
pub fn run_report(scenario: &str, o: &Outcome) -> RunReport {
    let d = &o.downtime;
    RunReport {
        scenario: scenario.to_string(),
        seed: o.seed,
        verdict: o.verdict.to_string(),
        completed: o.completed,
        total_time_ms: round3(ns_to_ms(o.total_time_ns)),
        downtime_ms: round3(ns_to_ms(d.guest_ns)),
        reported_downtime_ms: round3(ns_to_ms(d.reported_ns)),
        downtime_range_ms: None,
        downtime_phase_median_ms: None,
        outage_ms: round3(ns_to_ms(o.after_resume.outage_ns)),
        bytes_sent: o.bytes_sent,
        downtime_parts: DowntimeParts {
            stop_ms: round3(ns_to_ms(d.stop_ns)),
            final_ram_ms: round3(ns_to_ms(d.final_ram_ns)),
            final_pages: d.final_pages,
            device_state_ms: round3(ns_to_ms(d.device_state_ns)),
            storage_flush_ms: round3(ns_to_ms(d.storage_flush_ns)),
            storage_open_ms: round3(ns_to_ms(d.storage_open_ns)),
            resume_ms: round3(ns_to_ms(d.resume_ns)),
        },
        reachable_after_resume_ms: round3(ns_to_ms(o.after_resume.reachable_after_resume_ns)),
        network_cause: o.after_resume.cause.clone(),
        max_throttle_pct: o.max_throttle_pct,
        throttled_ms: round3(ns_to_ms(o.guest.throttled_ns)),
        max_guest_stall_ms: round3(ns_to_ms(o.guest.max_stall_ns)),
        late_probes: (o.guest.late_probes * 10.0).round() / 10.0,
        postcopy_used: o.postcopy_used,
        offline_downtime_ms: round3(ns_to_ms(o.alternatives.offline_downtime_ns)),
        postcopy_downtime_ms: round3(ns_to_ms(o.alternatives.postcopy_downtime_ns)),
        postcopy_degraded_ms: round3(ns_to_ms(o.alternatives.postcopy_degraded_ns)),
        extrapolated_from_ms: o.extrapolated_from_ns.map(|t| round3(ns_to_ms(t))),
        pvs: o
            .pvs
            .iter()
            .map(|p| PvRow {
                name: p.name.clone(),
                scan_period_s: p.scan_period_ns as f64 / NS_PER_S as f64,
                stall_ms_min: round3(p.stall_ns.min / 1e6),
                stall_ms_mean: round3(p.stall_ns.mean / 1e6),
                stall_ms_max: round3(p.stall_ns.max / 1e6),
                server_gap_ms: round3(ns_to_ms(p.server_gap_ns)),
                late_values: (p.late_values.mean * 10.0).round() / 10.0,
                missed_values: p.missed_values,
                disconnect_share: p.disconnect_share,
                throttled_gap_ms: round3(ns_to_ms(p.throttled_gap_ns)),
            })
            .collect(),
        passes: o
            .passes
            .iter()
            .map(|p| PassRow {
                pass: p.index,
                start_ms: round3(ns_to_ms(p.start_ns)),
                duration_ms: round3(ns_to_ms(p.end_ns - p.start_ns)),
                bytes_sent: p.bytes_sent,
                normal_pages: p.normal_pages,
                zero_pages: p.zero_pages,
                dirtied_pages: p.dirtied_pages,
                remaining_pages: p.remaining_pages,
                throttle_pct: p.throttle_pct,
                bandwidth_mib_s: round3(p.bandwidth_bytes_per_s / MIB as f64),
                expected_downtime_ms: round3(ns_to_ms(p.expected_downtime_ns)),
                stop_and_copy: p.stop_and_copy,
            })
            .collect(),
    }
}

/// `x` to three decimals, as the report's figures are given.
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn mib(bytes: f64) -> String {
    format!("{:.1}", bytes / MIB as f64)
}

/// One line describing the set-up, for the top of a report.
pub fn describe_params(p: &ModelParams) -> String {
    let ph = &p.workload.phases[0];
    let cap = p
        .migration
        .max_bandwidth_bytes_per_s
        .map_or("unlimited".to_string(), |c| {
            format!("{:.0} MiB/s", c / MIB as f64)
        });
    format!(
        "guest {:.0} MiB ({:.0} % zero pages), working set {:.0} MiB at {:.0} writes/s (+{:.0}/s elsewhere){}; \
         link {:.1} MiB/s payload, max-bandwidth {cap}, downtime limit {:.0} ms{}",
        p.guest.memory_bytes as f64 / MIB as f64,
        p.workload.zero_fraction * 100.0,
        p.workload.wws_bytes as f64 / MIB as f64,
        ph.hot_writes_per_s,
        ph.cold_writes_per_s,
        if p.workload.phases.len() > 1 {
            format!(", {} load phases", p.workload.phases.len())
        } else {
            String::new()
        },
        p.link.payload_bytes_per_s / MIB as f64,
        ns_to_ms(p.migration.downtime_limit_ns),
        if p.migration.auto_converge {
            ", auto-converge"
        } else {
            ""
        },
    )
}

/// The pass table.
pub fn pass_table(r: &RunReport) -> String {
    let mut t = Table::new(&[
        "pass",
        "start s",
        "dur s",
        "sent MiB",
        "normal",
        "zero",
        "dirtied",
        "remaining",
        "throttle %",
        "bw MiB/s",
        "exp. down ms",
    ]);
    const MAX_ROWS: usize = 40;
    let n = r.passes.len();
    for (i, p) in r.passes.iter().enumerate() {
        if n > MAX_ROWS && i == MAX_ROWS / 2 {
            t.row(vec![format!("... {} passes ...", n - MAX_ROWS)]);
        }
        if n > MAX_ROWS && i >= MAX_ROWS / 2 && i < n - MAX_ROWS / 2 {
            continue;
        }
        t.row(vec![
            if p.stop_and_copy {
                format!("{} stop", p.pass)
            } else {
                p.pass.to_string()
            },
            format!("{:.3}", p.start_ms / 1e3),
            format!("{:.3}", p.duration_ms / 1e3),
            mib(p.bytes_sent as f64),
            p.normal_pages.to_string(),
            p.zero_pages.to_string(),
            p.dirtied_pages.to_string(),
            p.remaining_pages.to_string(),
            format!("{:.0}", p.throttle_pct),
            format!("{:.1}", p.bandwidth_mib_s),
            format!("{:.1}", p.expected_downtime_ms),
        ]);
    }
    t.render()
}

/// The human-readable report of one run.
pub fn render_run(r: &RunReport, params: &ModelParams, twin: Option<&Twin>) -> String {
    let mut s = format!(
        "scenario {} (seed {})\n{}\n\n",
        r.scenario,
        r.seed,
        describe_params(params)
    );
    s.push_str(&pass_table(r));
    s.push('\n');
    let d = &r.downtime_parts;
    let mut lines: Vec<(String, String)> = vec![
        ("verdict".into(), r.verdict.clone()),
        (
            "total time".into(),
            format!("{:.3} s", r.total_time_ms / 1e3),
        ),
        (
            "data sent".into(),
            format!("{} MiB", mib(r.bytes_sent as f64)),
        ),
    ];
    if r.completed {
        lines.push((
            "downtime".into(),
            format!(
                "{:.1} ms guest pause; {:.1} ms as libvirt reports it (stop {:.1} + last RAM {:.1} for {} pages + \
                 device state {:.1} + storage flush {:.1}), then storage open {:.1} + resume {:.1}",
                r.downtime_ms,
                r.reported_downtime_ms,
                d.stop_ms,
                d.final_ram_ms,
                d.final_pages,
                d.device_state_ms,
                d.storage_flush_ms,
                d.storage_open_ms,
                d.resume_ms
            ),
        ));
        if let Some([lo, hi]) = r.downtime_range_ms {
            let around = r.downtime_phase_median_ms.map_or(String::new(), |d| {
                format!(
                    " ({d:.0} ms, the median over where QEMU's 100 ms windows fall in the \
                     guest's data)"
                )
            });
            lines.push((
                "downtime range".into(),
                format!(
                    "{lo:.0}-{hi:.0} ms: where the calibrated model's runs put 90 % of downtimes \
                     around a prediction like this{around}"
                ),
            ));
        }
        lines.push((
            "ping outage".into(),
            format!(
                "{:.1} ms (reachable {:.1} ms after resume: {})",
                r.outage_ms, r.reachable_after_resume_ms, r.network_cause
            ),
        ));
    } else {
        lines.push((
            "downtime".into(),
            "none: pre-copy did not converge in the time allowed".into(),
        ));
        if let Some(t) = r.extrapolated_from_ms {
            lines.push((
                "steady state".into(),
                format!(
                    "from {:.1} s no pass got closer to the threshold and nothing could change that: \
                     the rest, to the timeout, is extrapolated",
                    t / 1e3
                ),
            ));
        }
    }
    if r.max_throttle_pct > 0.0 {
        lines.push((
            "throttle".into(),
            format!(
                "up to {:.0} % for {:.1} s: vCPU stalls up to {:.0} ms, ~{:.0} pings answered late",
                r.max_throttle_pct,
                r.throttled_ms / 1e3,
                r.max_guest_stall_ms,
                r.late_probes
            ),
        ));
    }
    lines.push((
        "alternatives".into(),
        format!(
            "offline (stop and copy) downtime {:.2} s; post-copy downtime {:.1} ms with {:.2} s degraded{}",
            r.offline_downtime_ms / 1e3,
            r.postcopy_downtime_ms,
            r.postcopy_degraded_ms / 1e3,
            if params.migration.postcopy_available {
                ""
            } else {
                " (not available on these hosts: postcopy_available = false)"
            }
        ),
    ));
    if let Some(t) = twin {
        let v = if t.converges {
            format!(
                "{} passes, total {:.3} s, {} MiB, downtime {:.1} ms (dirty/send ratio {:.3})",
                t.pass_pages.len(),
                t.total_time_ns as f64 / NS_PER_S as f64,
                mib(t.bytes_sent),
                ns_to_ms(t.downtime_ns),
                t.ratio
            )
        } else {
            format!("does not converge (dirty/send ratio {:.3})", t.ratio)
        };
        lines.push(("analytic twin".into(), v));
    }
    let w = lines.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (k, v) in lines {
        s.push_str(&format!("{k:<w$}  {v}\n"));
    }
    if !r.pvs.is_empty() {
        s.push('\n');
        s.push_str(&pv_table(r));
    }
    s
}

/// What each PV's clients see: stall in client time, the IOC's own gap, late values.
pub fn pv_table(r: &RunReport) -> String {
    let mut t = Table::new(&[
        "PV",
        "scan s",
        "stall s min",
        "mean",
        "max",
        "server gap ms",
        "late values",
        "disconnect",
    ]);
    for p in &r.pvs {
        t.row(vec![
            p.name.clone(),
            format!("{}", p.scan_period_s),
            format!("{:.2}", p.stall_ms_min / 1e3),
            format!("{:.2}", p.stall_ms_mean / 1e3),
            format!("{:.2}", p.stall_ms_max / 1e3),
            format!("{:.1}", p.server_gap_ms),
            format!("{:.1}", p.late_values),
            if p.disconnect_share == 0.0 {
                "no".into()
            } else {
                format!("{:.0} %", p.disconnect_share * 100.0)
            },
        ]);
    }
    t.render()
}

/// The human-readable summary of a Monte Carlo batch.
pub fn render_summary(scenario: &str, sm: &Summary) -> String {
    let mut s = format!(
        "scenario {scenario}: {} runs, seeds {}..{}\n\n",
        sm.runs,
        sm.first_seed,
        sm.first_seed + sm.runs.saturating_sub(1)
    );
    let verdicts: Vec<String> = sm
        .verdicts
        .iter()
        .map(|(v, n)| format!("{v} {n}"))
        .collect();
    s.push_str(&format!("verdicts  {}\n\n", verdicts.join(", ")));
    let mut t = Table::new(&["quantity", "min", "p5", "p50", "p95", "max", "mean"]);
    let rows = [
        ("total time s", &sm.total_time_ms, 1e-3),
        ("downtime ms", &sm.downtime_ms, 1.0),
        ("reported downtime ms", &sm.reported_downtime_ms, 1.0),
        ("ping outage ms", &sm.outage_ms, 1.0),
        ("data sent MiB", &sm.bytes_sent, 1.0 / MIB as f64),
        ("passes", &sm.passes, 1.0),
    ];
    for (name, sp, k) in rows {
        t.row(
            std::iter::once(name.to_string())
                .chain(
                    [sp.min, sp.p5, sp.p50, sp.p95, sp.max, sp.mean]
                        .iter()
                        .map(|v| format!("{:.3}", v * k)),
                )
                .collect(),
        );
    }
    s.push_str(&t.render());
    s
}

/// Seconds with three decimals, for messages.
pub fn secs(ns: u64) -> String {
    format!("{:.3} s", ns_to_s(ns))
}
