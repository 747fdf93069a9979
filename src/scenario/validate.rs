//! Range checks on a parsed scenario and its conversion into model parameters. Every
//! problem is collected with the field it concerns and the allowed range, so a user
//! fixes a file in one go.

use super::schema::{PvSection, ScenarioFile};
use crate::model::params::{
    Clients, Guest, Link, Migration, ModelParams, Network, Phase, Postcopy, Pv, Storage,
    StorageKind, Switchover, Workload,
};
use crate::model::qemu;
use crate::units::{KIB, MIB, mbit_s_to_bytes_per_s, mib_s_to_bytes_per_s, ms_to_ns, s_to_ns};

/// One problem with one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// Dotted path of the field (`link.bandwidth_mbit_s`, `workload.phases[0].at_s`).
    pub field: String,
    /// What is wrong and what is allowed.
    pub message: String,
}

/// An allowed interval, with its ends open or closed.
#[derive(Debug, Clone, Copy)]
struct Range {
    lo: f64,
    lo_open: bool,
    hi: f64,
    hi_open: bool,
}

/// `storage.nfs_rtt_ms` when a scenario does not give it: hosts and NFS server on one
/// switch.
pub const DEFAULT_NFS_RTT_MS: f64 = 0.2;

const fn closed(lo: f64, hi: f64) -> Range {
    Range {
        lo,
        lo_open: false,
        hi,
        hi_open: false,
    }
}
const fn positive(hi: f64) -> Range {
    Range {
        lo: 0.0,
        lo_open: true,
        hi,
        hi_open: false,
    }
}

impl Range {
    fn contains(&self, x: f64) -> bool {
        let lo_ok = if self.lo_open {
            x > self.lo
        } else {
            x >= self.lo
        };
        let hi_ok = if self.hi_open {
            x < self.hi
        } else {
            x <= self.hi
        };
        x.is_finite() && lo_ok && hi_ok
    }
    fn describe(&self) -> String {
        format!(
            "{}{}, {}{}",
            if self.lo_open { "(" } else { "[" },
            self.lo,
            self.hi,
            if self.hi_open { ")" } else { "]" }
        )
    }
}

struct Checker {
    problems: Vec<FieldProblem>,
}

impl Checker {
    fn value(
        &mut self,
        field: &str,
        value: Option<f64>,
        default: f64,
        range: Range,
        unit: &str,
    ) -> f64 {
        let x = value.unwrap_or(default);
        if !range.contains(x) {
            let unit = if unit.is_empty() {
                String::new()
            } else {
                format!(" {unit}")
            };
            self.problems.push(FieldProblem {
                field: field.to_string(),
                message: format!("{x} is out of range: allowed {}{unit}", range.describe()),
            });
            return default;
        }
        x
    }

    fn problem(&mut self, field: &str, message: String) {
        self.problems.push(FieldProblem {
            field: field.to_string(),
            message,
        });
    }
}

/// Checks `f` and builds the model parameters, or returns every problem found.
pub fn to_params(f: &ScenarioFile) -> Result<ModelParams, Vec<FieldProblem>> {
    let mut c = Checker {
        problems: Vec::new(),
    };
    const TIB_IN_MIB: f64 = 16.0 * 1024.0 * 1024.0;

    let g = &f.guest;
    let memory_mib = c.value(
        "guest.memory_mib",
        Some(g.memory_mib),
        1.0,
        positive(TIB_IN_MIB),
        "MiB",
    );
    let page_kib = c.value(
        "guest.page_size_kib",
        g.page_size_kib,
        4.0,
        closed(4.0, 64.0),
        "KiB",
    );
    if ![4.0, 16.0, 64.0].contains(&page_kib) {
        c.problem(
            "guest.page_size_kib",
            format!("{page_kib} is not a page size: allowed 4, 16 or 64 KiB"),
        );
    }
    let device_kib = c.value(
        "guest.device_state_kib",
        g.device_state_kib,
        300.0,
        closed(0.0, 1048576.0),
        "KiB",
    );
    let memory_bytes = (memory_mib * MIB as f64).round() as u64;
    let page_size_bytes = (page_kib * KIB as f64) as u64;
    if memory_bytes < page_size_bytes {
        c.problem(
            "guest.memory_mib",
            format!("{memory_mib} MiB is smaller than one page"),
        );
    }

    let w = &f.workload;
    let zero_fraction = c.value(
        "workload.zero_fraction",
        w.zero_fraction,
        0.0,
        Range {
            lo: 0.0,
            lo_open: false,
            hi: 1.0,
            hi_open: true,
        },
        "",
    );
    let wws_mib = c.value(
        "workload.wws_mib",
        w.wws_mib,
        0.0,
        closed(0.0, TIB_IN_MIB),
        "MiB",
    );
    let top_mib = c.value(
        "workload.top_nonzero_mib",
        w.top_nonzero_mib,
        0.0,
        closed(0.0, TIB_IN_MIB),
        "MiB",
    );
    c.value(
        "workload.resident_mib",
        w.resident_mib,
        0.0,
        closed(0.0, TIB_IN_MIB),
        "MiB",
    );
    let nonzero_mib = memory_mib * (1.0 - zero_fraction);
    if wws_mib > nonzero_mib * 1.000001 {
        c.problem(
            "workload.wws_mib",
            format!(
                "{wws_mib} MiB does not fit in the non-zero RAM: allowed [0, {nonzero_mib:.3}] MiB \
                 (memory_mib x (1 - zero_fraction))"
            ),
        );
    }
    const MAX_WRITES: f64 = 1e10;
    let per_cpu = w.page_writes_per_cpu_s.map(|_| {
        c.value(
            "workload.page_writes_per_cpu_s",
            w.page_writes_per_cpu_s,
            1.0,
            positive(MAX_WRITES),
            "page writes/s",
        )
    });
    let load = w.cpu_load_pct.map(|_| {
        c.value(
            "workload.cpu_load_pct",
            w.cpu_load_pct,
            100.0,
            positive(100.0),
            "%",
        ) / 100.0
    });
    let hot = match (w.hot_writes_per_s, load, per_cpu) {
        (None, Some(l), Some(pc)) => l * pc,
        (None, Some(_), None) => {
            c.problem(
                "workload.cpu_load_pct",
                "sets the write rate only with workload.page_writes_per_cpu_s or a calibrated \
                 model (--model): give one of them, or workload.hot_writes_per_s"
                    .into(),
            );
            0.0
        }
        _ => c.value(
            "workload.hot_writes_per_s",
            w.hot_writes_per_s,
            0.0,
            closed(0.0, MAX_WRITES),
            "page writes/s",
        ),
    };
    let catch_up_ns = Some(ms_to_ns(c.value(
        "workload.catch_up_ms",
        w.catch_up_ms,
        0.0,
        closed(0.0, 1e7),
        "ms",
    )));
    let cold = c.value(
        "workload.cold_writes_per_s",
        w.cold_writes_per_s,
        0.0,
        closed(0.0, MAX_WRITES),
        "page writes/s",
    );
    c.value(
        "workload.disk_writes_kib_s",
        w.disk_writes_kib_s,
        0.0,
        closed(0.0, 1e8),
        "KiB/s",
    );
    let cpu_s_per_write = match (load, per_cpu) {
        (Some(l), _) if hot + cold > 0.0 => Some(l / (hot + cold)),
        (_, Some(pc)) => Some(1.0 / pc),
        _ => None,
    };
    if hot > 0.0 && wws_mib == 0.0 {
        c.problem(
            "workload.hot_writes_per_s",
            "writes into a working set of 0 MiB: set workload.wws_mib".into(),
        );
    }
    let mut phases = vec![Phase {
        start_ns: 0,
        hot_writes_per_s: hot,
        cold_writes_per_s: cold,
    }];
    let mut last_at = 0.0;
    for (i, ph) in w.phases.iter().enumerate() {
        let at = c.value(
            &format!("workload.phases[{i}].at_s"),
            Some(ph.at_s),
            0.0,
            closed(0.0, 1e7),
            "s",
        );
        if i > 0 && at <= last_at {
            c.problem(
                &format!("workload.phases[{i}].at_s"),
                format!("{at} s is not after the previous phase ({last_at} s)"),
            );
        }
        last_at = at;
        let prev = phases.last().cloned().unwrap_or(phases[0].clone());
        let h = c.value(
            &format!("workload.phases[{i}].hot_writes_per_s"),
            ph.hot_writes_per_s,
            prev.hot_writes_per_s,
            closed(0.0, MAX_WRITES),
            "page writes/s",
        );
        let k = c.value(
            &format!("workload.phases[{i}].cold_writes_per_s"),
            ph.cold_writes_per_s,
            prev.cold_writes_per_s,
            closed(0.0, MAX_WRITES),
            "page writes/s",
        );
        let start_ns = s_to_ns(at);
        if start_ns == 0 {
            phases[0] = Phase {
                start_ns: 0,
                hot_writes_per_s: h,
                cold_writes_per_s: k,
            };
        } else {
            phases.push(Phase {
                start_ns,
                hot_writes_per_s: h,
                cold_writes_per_s: k,
            });
        }
    }

    let l = &f.link;
    let bw = c.value(
        "link.bandwidth_mbit_s",
        l.bandwidth_mbit_s,
        1000.0,
        positive(1e6),
        "Mbit/s",
    );
    let eff = c.value(
        "link.efficiency",
        l.efficiency,
        1448.0 / 1538.0,
        positive(1.0),
        "",
    );
    let rtt = c.value("link.rtt_ms", l.rtt_ms, 0.2, closed(0.0, 10_000.0), "ms");
    let hdr = c.value(
        "link.page_header_bytes",
        l.page_header_bytes,
        qemu::PAGE_HEADER_BYTES as f64,
        closed(0.0, 4096.0),
        "bytes",
    );
    let comp = c.value(
        "link.compression_ratio",
        l.compression_ratio,
        1.0,
        positive(1.0),
        "",
    );
    let scan = c.value(
        "link.zero_scan_mib_s",
        l.zero_scan_mib_s,
        4096.0,
        positive(1e7),
        "MiB/s",
    );
    // Only a calibrated model reads these (ModelFile::fill); checked here all the same.
    c.value(
        "link.probe_mbit_s",
        l.probe_mbit_s,
        1.0,
        positive(1e6),
        "Mbit/s",
    );
    c.value(
        "guest.ping_rtt_ms",
        f.guest.ping_rtt_ms,
        1.0,
        positive(1e5),
        "ms",
    );
    let jitter = c.value(
        "link.jitter",
        l.jitter,
        0.0,
        Range {
            lo: 0.0,
            lo_open: false,
            hi: 1.0,
            hi_open: true,
        },
        "",
    );

    let m = &f.migration;
    let limit_ms = c.value(
        "migration.downtime_limit_ms",
        m.downtime_limit_ms,
        300.0,
        closed(1.0, 2_000_000.0),
        "ms",
    );
    let cap = m.max_bandwidth_mib_s.map(|v| {
        c.value(
            "migration.max_bandwidth_mib_s",
            Some(v),
            128.0,
            positive(1e7),
            "MiB/s",
        )
    });
    let initial = c.value(
        "migration.cpu_throttle_initial_pct",
        m.cpu_throttle_initial_pct,
        qemu::CPU_THROTTLE_INITIAL_PCT,
        closed(1.0, 99.0),
        "%",
    );
    let incr = c.value(
        "migration.cpu_throttle_increment_pct",
        m.cpu_throttle_increment_pct,
        qemu::CPU_THROTTLE_INCREMENT_PCT,
        closed(1.0, 99.0),
        "%",
    );
    let max_pct = c.value(
        "migration.max_cpu_throttle_pct",
        m.max_cpu_throttle_pct,
        qemu::CPU_THROTTLE_MAX_PCT,
        closed(1.0, 99.0),
        "%",
    );
    let trigger = c.value(
        "migration.throttle_trigger_threshold_pct",
        m.throttle_trigger_threshold_pct,
        qemu::THROTTLE_TRIGGER_THRESHOLD_PCT,
        closed(1.0, 100.0),
        "%",
    );
    let timeout = m.completion_timeout_s.map(|v| {
        c.value(
            "migration.completion_timeout_s",
            Some(v),
            600.0,
            positive(1e7),
            "s",
        )
    });
    let setup = c.value(
        "migration.setup_ms",
        m.setup_ms,
        50.0,
        closed(0.0, 600_000.0),
        "ms",
    );
    let postcopy_available = m.postcopy_available.unwrap_or(true);
    let auto_converge_available = m.auto_converge_available.unwrap_or(true);
    if m.auto_converge.unwrap_or(false) && !auto_converge_available {
        c.problem(
            "migration.auto_converge",
            "auto-converge is requested but auto_converge_available = false".into(),
        );
    }
    let postcopy = if m.postcopy.unwrap_or(false) {
        if !postcopy_available {
            c.problem(
                "migration.postcopy",
                "post-copy is requested but postcopy_available = false".into(),
            );
        }
        let n = m.postcopy_after_passes.unwrap_or(1);
        if n == 0 {
            c.problem(
                "migration.postcopy_after_passes",
                "0 is out of range: allowed [1, 4294967295] passes".into(),
            );
        }
        Postcopy::AfterPasses(n.max(1))
    } else {
        Postcopy::Off
    };
    if let Some(d) = m
        .direction
        .as_ref()
        .filter(|d| *d != "A->B" && *d != "B->A")
    {
        c.problem(
            "migration.direction",
            format!("\"{d}\" is not a direction: allowed \"A->B\" or \"B->A\""),
        );
    }

    let s = &f.storage;
    let kind = match s.kind.as_deref().unwrap_or("none") {
        "none" => StorageKind::None,
        "nfs" => StorageKind::Nfs,
        "shared" => StorageKind::Shared,
        other => {
            c.problem(
                "storage.kind",
                format!(
                    "\"{other}\" is not a storage kind: allowed \"none\", \"nfs\" or \"shared\""
                ),
            );
            StorageKind::None
        }
    };
    let nfs_rtt = c.value(
        "storage.nfs_rtt_ms",
        s.nfs_rtt_ms,
        DEFAULT_NFS_RTT_MS,
        closed(0.0, 10_000.0),
        "ms",
    );
    let nfs_added = c.value(
        "storage.nfs_rtt_added_ms",
        s.nfs_rtt_added_ms,
        0.0,
        closed(0.0, 10_000.0),
        "ms",
    );
    let dirty_kib = c.value(
        "storage.dirty_block_kib",
        s.dirty_block_kib,
        0.0,
        closed(0.0, 1e9),
        "KiB",
    );
    let nfs_bw = c.value(
        "storage.nfs_bandwidth_mbit_s",
        s.nfs_bandwidth_mbit_s,
        1000.0,
        positive(1e6),
        "Mbit/s",
    );

    let sw = &f.switchover;
    let stop = c.value(
        "switchover.stop_ms",
        sw.stop_ms,
        5.0,
        closed(0.0, 600_000.0),
        "ms",
    );
    let resume = c.value(
        "switchover.resume_ms",
        sw.resume_ms,
        10.0,
        closed(0.0, 600_000.0),
        "ms",
    );

    let n = &f.network;
    let a_init = c.value(
        "network.announce_initial_ms",
        n.announce_initial_ms,
        50.0,
        closed(1.0, 100_000.0),
        "ms",
    );
    let a_max = c.value(
        "network.announce_max_ms",
        n.announce_max_ms,
        550.0,
        closed(1.0, 100_000.0),
        "ms",
    );
    let a_step = c.value(
        "network.announce_step_ms",
        n.announce_step_ms,
        100.0,
        closed(0.0, 10_000.0),
        "ms",
    );
    let rounds = n.announce_rounds.unwrap_or(qemu::ANNOUNCE_ROUNDS);
    if rounds > 100 {
        c.problem(
            "network.announce_rounds",
            format!("{rounds} is out of range: allowed [0, 100]"),
        );
    }
    let reconverge = c.value(
        "network.reconverge_ms",
        n.reconverge_ms,
        1.0,
        closed(0.0, 600_000.0),
        "ms",
    );
    let fwd = c.value(
        "network.forward_delay_s",
        n.forward_delay_s,
        15.0,
        closed(2.0, 30.0),
        "s",
    );
    let ping = c.value(
        "network.ping_interval_s",
        n.ping_interval_s,
        0.1,
        closed(0.002, 3600.0),
        "s",
    );

    let beacon = c.value(
        "network.ca_beacon_period_s",
        n.ca_beacon_period_s,
        15.0,
        closed(0.1, 3600.0),
        "s",
    );
    let rto_min = c.value(
        "network.tcp_rto_min_ms",
        n.tcp_rto_min_ms,
        200.0,
        closed(1.0, 120_000.0),
        "ms",
    );
    let conn_tmo = c.value(
        "network.ca_conn_tmo_s",
        n.ca_conn_tmo_s,
        30.0,
        closed(0.1, 86_400.0),
        "s",
    );

    check_pvs(&mut c, &f.pvs);

    if !c.problems.is_empty() {
        return Err(c.problems);
    }
    Ok(ModelParams {
        guest: Guest {
            memory_bytes: memory_bytes / page_size_bytes * page_size_bytes,
            page_size_bytes,
            device_state_bytes: (device_kib * KIB as f64).round() as u64,
        },
        workload: Workload {
            zero_fraction,
            wws_bytes: (wws_mib * MIB as f64).round() as u64,
            top_nonzero_bytes: (top_mib * MIB as f64).round() as u64,
            phases,
            cpu_s_per_write,
            catch_up_ns,
        },
        link: Link {
            payload_bytes_per_s: mbit_s_to_bytes_per_s(bw) * eff,
            rtt_ns: ms_to_ns(rtt),
            page_header_bytes: hdr as u64,
            compression_ratio: comp,
            zero_scan_bytes_per_s: mib_s_to_bytes_per_s(scan),
            jitter,
        },
        migration: Migration {
            downtime_limit_ns: ms_to_ns(limit_ms),
            max_bandwidth_bytes_per_s: cap.map(mib_s_to_bytes_per_s),
            auto_converge: m.auto_converge.unwrap_or(false),
            throttle_initial_pct: initial,
            throttle_increment_pct: incr,
            throttle_max_pct: max_pct,
            throttle_trigger_pct: trigger,
            postcopy,
            postcopy_available,
            auto_converge_available,
            completion_timeout_ns: timeout.map(s_to_ns),
            setup_ns: ms_to_ns(setup),
        },
        storage: Storage {
            kind,
            nfs_rtt_ns: ms_to_ns(nfs_rtt + nfs_added),
            flush_round_trips: s.flush_round_trips.unwrap_or(4),
            open_round_trips: s.open_round_trips.unwrap_or(6),
            prepare_round_trips: s.prepare_round_trips.unwrap_or(0),
            dirty_block_bytes: (dirty_kib * KIB as f64).round() as u64,
            nfs_bytes_per_s: mbit_s_to_bytes_per_s(nfs_bw),
        },
        switchover: Switchover {
            stop_ns: ms_to_ns(stop),
            resume_ns: ms_to_ns(resume),
        },
        network: Network {
            announce_initial_ns: ms_to_ns(a_init),
            announce_max_ns: ms_to_ns(a_max),
            announce_rounds: rounds,
            announce_step_ns: ms_to_ns(a_step),
            reconverge_ns: ms_to_ns(reconverge),
            bridge_stp: n.bridge_stp.unwrap_or(false),
            forward_delay_ns: s_to_ns(fwd),
            ping_interval_ns: s_to_ns(ping),
            ca_beacon_period_ns: s_to_ns(beacon),
        },
        clients: Clients {
            tcp_rto_min_ns: ms_to_ns(rto_min),
            tcp_rto_max_ns: s_to_ns(120.0),
            ca_conn_tmo_ns: s_to_ns(conn_tmo),
            ca_echo_timeout_ns: s_to_ns(5.0),
        },
        pvs: f
            .pvs
            .iter()
            .map(|pv| Pv {
                name: pv.name.clone(),
                scan_period_ns: s_to_ns(pv.scan_period_s),
                counting_modulo: pv.counting_modulo,
            })
            .collect(),
    })
}

fn check_pvs(c: &mut Checker, pvs: &[PvSection]) {
    for (i, pv) in pvs.iter().enumerate() {
        if pv.name.trim().is_empty() || pv.name.chars().any(char::is_whitespace) {
            c.problem(
                &format!("pvs[{i}].name"),
                format!("\"{}\" is not a PV name (non-empty, no spaces)", pv.name),
            );
        }
        c.value(
            &format!("pvs[{i}].scan_period_s"),
            Some(pv.scan_period_s),
            1.0,
            positive(86_400.0),
            "s",
        );
        if pv.counting_modulo == Some(0) || pv.counting_modulo == Some(1) {
            c.problem(
                &format!("pvs[{i}].counting_modulo"),
                "must be at least 2".into(),
            );
        }
    }
}
