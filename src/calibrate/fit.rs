//! Fitting a model file to recorded runs: each parameter from the observations that
//! carry it, with a 95 % confidence interval.

use super::model_file::{
    ErrorSpread, GuestFit, HostFit, LinkFit, ModelFile, NetworkFit, PingLoadFit, PingSetupFit,
    Provenance, SwitchoverFit, WorkloadFit,
};
use super::run::Run;
use super::stats::{Estimate, mean, ols};
use crate::median::upper_median;
use crate::model::{simulate, switchover};
use crate::scenario;

const MIB: f64 = 1048576.0;
/// TCP payload share of the line rate over 1500-byte Ethernet frames (1448/1538).
const DEFAULT_EFFICIENCY: f64 = 1448.0 / 1538.0;
/// Zero-page scan rate when no job series shows one (the scenario default).
const DEFAULT_ZERO_SCAN_MIB_S: f64 = 4096.0;

/// What polling the job through libvirt every 0.1 s adds to the guest pause, ms
/// (`[switchover] libvirt_job_polling_ms`). The calibration runs cannot tell it apart:
/// all but the newest were polled through virsh, and the rest were recorded on one day.
/// The lab's two studies measured it alone, on runs of one migration of one guest that
/// took turns polled and not (`traces/studies/pause-repeats-2026-11-27`, series A and
/// C; `traces/studies/job-sampling-2026-11-27`, virsh and none): the polled runs' mean
/// pause less the others' (5.5, 7.3 and 8.9 ms), pooled over the three series by runs
/// (56), with its 95 % interval. `tests/calibration.rs` recomputes it from the
/// studies' bundles.
pub const LIBVIRT_JOB_POLLING_MS: Estimate = Estimate {
    value: 6.96,
    ci95_lo: 3.58,
    ci95_hi: 10.35,
    n: 56,
};

/// Fits a model to `runs` (those without completed pre-copy inform only what they
/// can). `name` and `today` go into the provenance.
pub fn fit(runs: &[Run], name: &str, today: &str) -> Result<ModelFile, String> {
    let done: Vec<&Run> = runs.iter().filter(|r| r.complete()).collect();
    if done.len() < 4 {
        return Err(format!(
            "{} runs with completed pre-copy and job totals: at least 4 are needed to fit",
            done.len()
        ));
    }
    let guest = fit_guest(&done)?;
    let link = fit_link(&done);
    let host = fit_host(&done, link.efficiency.value)?;
    let mut model = ModelFile {
        provenance: provenance(runs, name, today),
        guest,
        link,
        host,
        switchover: SwitchoverFit {
            fixed_ms: Estimate::assumed(0.0),
            fixed_ms_cpu: Estimate::assumed(0.0),
            nfs_round_trips: Estimate::assumed(0.0),
            libvirt_job_polling_ms: Some(LIBVIRT_JOB_POLLING_MS),
            downtime_error: None,
        },
        workload: WorkloadFit {
            write_efficiency: Estimate::assumed(1.0),
            page_writes_per_cpu_s: fit_writes_per_cpu(runs),
        },
        network: NetworkFit {
            reconverge_ms: Estimate::assumed(1.0),
        },
    };
    model.guest.top_nonzero_mib = fit_top_nonzero(&done, &model);
    model.switchover = fit_switchover(&done, &model)?;
    model.workload = fit_writes(&done, &model);
    model.network = fit_network(&done);
    fit_setup(&done, &mut model)?;
    model.switchover.downtime_error = downtime_error(&done, &model)?;
    Ok(model)
}

/// Fewest runs [`downtime_error`] states a spread from.
const MIN_SPREAD_RUNS: usize = 10;

/// Where the observed downtime fell around the finished model's prediction, over the
/// runs whose pre-copy completed (None with fewer than [`MIN_SPREAD_RUNS`]).
fn downtime_error(done: &[&Run], model: &ModelFile) -> Result<Option<ErrorSpread>, String> {
    let mut errors = Vec::new();
    for r in done {
        let c = super::validate::check(model, r)?;
        if let (Some(obs), true) = (c.observed_downtime_ms, c.predicted_converged) {
            errors.push(obs - c.predicted_downtime_ms);
        }
    }
    if errors.len() < MIN_SPREAD_RUNS {
        return Ok(None);
    }
    let s = crate::model::montecarlo::Spread::of(&errors);
    Ok(Some(ErrorSpread {
        p5_ms: s.p5,
        p95_ms: s.p95,
        n: errors.len(),
    }))
}

fn provenance(runs: &[Run], name: &str, today: &str) -> Provenance {
    let uniq = |f: &dyn Fn(&Run) -> Option<String>| {
        let mut v: Vec<String> = runs.iter().filter_map(f).collect();
        v.sort();
        v.dedup();
        v
    };
    Provenance {
        name: name.to_string(),
        fitted_at: today.to_string(),
        migbench_version: env!("CARGO_PKG_VERSION").to_string(),
        bundles: runs.iter().map(|r| r.name.clone()).collect(),
        qemu_versions: uniq(&|r| r.qemu.clone()),
        libvirt_versions: uniq(&|r| r.libvirt.clone()),
        accel: uniq(&|r| r.accel.clone()),
        notes: vec![
            "Fitted by `migbench fit`: guest footprint by least squares on memory size, the top non-zero \
             memory by simulating the final pass of runs that write nothing, stream overhead and link \
             efficiency as means, zero-page scanning as the fastest run of zero pages in the job series \
             (a lower bound), switchover (the downtime less the final pass the run sent, at link speed, \
             and the device state) by least squares on the link probe's free-CPU figure and the \
             measured NFS round trip, write efficiency per run by simulation, set-up by least squares of \
             the observed time less the simulated one on the free-CPU figure and the guest's mean ping \
             round trip before the job (runs without the probe left out of both). How busy the host \
             was in a run without the probe is read from that round trip (least squares on the runs \
             with both), for predictions only. The downtime range is where 90 % of the fitted runs' \
             observed downtimes fell around their predictions (5th to 95th percentile of the error), \
             each prediction the median pause over where QEMU's rate-limit windows fall in the \
             guest's data (one window's worth of data more or less)."
                .to_string(),
        ],
    }
}

/// Non-zero memory of the idle guest against its RAM size.
fn fit_guest(done: &[&Run]) -> Result<GuestFit, String> {
    let mut x = Vec::new();
    let mut y = Vec::new();
    for r in done {
        // Pages with data are counted each time they are resent; zero pages go once, in
        // the first pass. So the guest's non-zero memory is RAM minus its zero pages.
        let (Some(total), Some(zero)) = (r.job.memory_total_bytes, r.job.zero_pages) else {
            continue;
        };
        let touched = r
            .file
            .workload
            .wws_mib
            .unwrap_or(0.0)
            .max(r.file.workload.resident_mib.unwrap_or(0.0));
        x.push(vec![1.0, r.file.guest.memory_mib]);
        y.push((total as f64 - zero as f64 * 4096.0) / MIB - touched);
    }
    let sizes = {
        let mut m: Vec<u64> = x.iter().map(|r| r[1] as u64).collect();
        m.sort();
        m.dedup();
        m.len()
    };
    if sizes >= 2 {
        let b = ols(&x, &y).ok_or("guest footprint: the fit is degenerate")?;
        Ok(GuestFit {
            baseline_nonzero_mib: b[0],
            baseline_nonzero_per_mib: b[1],
            top_nonzero_mib: Estimate::assumed(0.0),
        })
    } else {
        let m = mean(&y).ok_or("guest footprint: no run reports its page counts")?;
        Ok(GuestFit {
            baseline_nonzero_mib: m,
            baseline_nonzero_per_mib: Estimate::assumed(0.0),
            top_nonzero_mib: Estimate::assumed(0.0),
        })
    }
}

fn fit_link(done: &[&Run]) -> LinkFit {
    let header: Vec<f64> = done
        .iter()
        .filter_map(|r| {
            let (p, nb, n, z) = (
                r.job.memory_processed_bytes? as f64,
                r.job.normal_bytes? as f64,
                r.job.normal_pages? as f64,
                r.job.zero_pages? as f64,
            );
            // Zero pages carry one fill byte besides their header.
            (n + z > 0.0).then(|| (p - nb - z) / (n + z))
        })
        .collect();
    let eff: Vec<f64> = done
        .iter()
        .filter(|r| r.file.migration.max_bandwidth_mib_s.is_none())
        .filter_map(|r| {
            Some(
                r.job.bandwidth_bytes_s?
                    / (r.file.link.bandwidth_mbit_s.unwrap_or(1000.0) * 1e6 / 8.0),
            )
        })
        .collect();
    LinkFit {
        efficiency: mean(&eff).unwrap_or(Estimate::assumed(DEFAULT_EFFICIENCY)),
        page_header_bytes: mean(&header).unwrap_or(Estimate::assumed(8.0)),
    }
}

/// Time beyond moving the bytes and the pause: set-up, CPU work that slows down when
/// the host is busy (refitted against the simulation at the end, [`fit_setup`]); and
/// the zero-page scan rate, from the job series: the fastest run of zero pages
/// between two samples, a lower bound (scanning a zero page takes far less than
/// sending a page, so it hides inside the rate-limit windows and does not show in
/// the total time).
fn fit_host(done: &[&Run], efficiency: f64) -> Result<HostFit, String> {
    let reference = upper_median(
        &mut done
            .iter()
            .filter_map(|r| r.probe_mbit_s)
            .collect::<Vec<_>>(),
    )
    .unwrap_or(1.0);
    let mut rows = Vec::new();
    // Throttled runs are left out: under the throttle QEMU's stream ran below
    // max-bandwidth (30.3-30.6 MiB/s at a 32 MiB/s cap), and bytes / cap would put
    // that loss into the set-up.
    for r in done
        .iter()
        .filter(|r| r.job.max_throttle_pct.unwrap_or(0) == 0)
    {
        let (Some(t), Some(b), Some(d)) = (
            r.job.total_time_ms,
            r.job.memory_processed_bytes,
            r.job.downtime_ms,
        ) else {
            continue;
        };
        let moving_ms = b as f64 / r.send_rate_bytes_s(efficiency) * 1e3;
        rows.push(Row {
            busy: busy(r, reference),
            extra: vec![nfs_disk(r), nfs_rtt(r)],
            ping: None,
            y: t - moving_ms - d,
        });
    }
    let f = fit_fixed_cpu_extra(&rows).ok_or("host costs: too few runs with job totals")?;
    // Scan rates stated at the reference probe figure, as the model scales them.
    let scan: Vec<f64> = done
        .iter()
        .filter_map(|r| {
            let b = busy(r, reference).unwrap_or(1.0);
            Some(r.job.zero_scan_pages_s_min? * 4096.0 / MIB * b)
        })
        .collect();
    Ok(HostFit {
        reference_probe_mbit_s: reference,
        zero_scan_mib_s: mean(&scan).unwrap_or(Estimate::assumed(DEFAULT_ZERO_SCAN_MIB_S)),
        setup_ms: f.fixed,
        setup_ms_cpu: f.cpu,
        setup_ms_nfs: f.extra[0].unwrap_or(Estimate::assumed(0.0)),
        setup_nfs_round_trips: f.extra[1],
        busy_from_ping: fit_busy_from_ping(done, reference),
        setup_ping: None,
    })
}

/// How busy the hosts were against the guest's mean ping round trip before the job,
/// by least squares on the runs that have both it and the link probe; kept only when
/// the round trip clearly tells (the slope's interval is above 0), as under TCG,
/// where the guest answers late on a busy host.
fn fit_busy_from_ping(done: &[&Run], reference: f64) -> Option<PingLoadFit> {
    let (x, y): (Vec<Vec<f64>>, Vec<f64>) = done
        .iter()
        .filter_map(|r| Some((r.ping_rtt_before_job_ms?, busy(r, reference)?)))
        .filter(|(rtt, _)| rtt.is_finite())
        .map(|(rtt, b)| (vec![1.0, rtt], b))
        .unzip();
    if y.len() < 4 {
        return None;
    }
    let b = ols(&x, &y)?;
    (b[1].ci95_lo > 0.0).then(|| PingLoadFit {
        intercept: b[0],
        per_rtt_ms: b[1],
        rtt_ms_range: span(x.iter().map(|r| r[1])),
    })
}

/// Lowest and highest of `xs`.
fn span(xs: impl Iterator<Item = f64>) -> [f64; 2] {
    xs.fold([f64::INFINITY, f64::NEG_INFINITY], |[lo, hi], x| {
        [lo.min(x), hi.max(x)]
    })
}

/// One run's observation for [`fit_fixed_cpu_extra`].
struct Row {
    /// How busy the hosts were against the reference (probe figures' ratio), when the
    /// run measured it.
    busy: Option<f64>,
    /// The further regressors (an NFS disk, its round trip), the same for every row.
    extra: Vec<f64>,
    /// The guest's mean ping round trip before the job, ms, for a cost it may explain.
    ping: Option<f64>,
    /// The observation.
    y: f64,
}

/// A cost's fixed part, its CPU-bound part at the reference, and its extra term.
struct FixedCpuExtra {
    fixed: Estimate,
    cpu: Estimate,
    /// One per extra regressor; None where no run varies it (no NFS runs).
    extra: Vec<Option<Estimate>>,
    /// The ping round-trip term, when every run has the round trip and it tells.
    ping: Option<PingSetupFit>,
}

/// Least squares of a cost on a constant, how busy the hosts were and one more
/// regressor. Runs without the link probe do not say how busy the hosts were: they
/// are left out while at least four runs have it, else the CPU term is dropped
/// (assumed 0) and every run counts, so bundles recorded without the probe still fit.
/// An extra term is dropped when fewer than two runs have it or it does not vary.
/// When every run used has a ping round trip, it is a fourth regressor (against their
/// median), kept only when its slope's interval is above 0.
fn fit_fixed_cpu_extra(rows: &[Row]) -> Option<FixedCpuExtra> {
    let probed: Vec<&Row> = rows.iter().filter(|r| r.busy.is_some()).collect();
    let varies = |v: &[&Row]| {
        v.iter()
            .filter_map(|r| r.busy)
            .any(|b| (b - v[0].busy.unwrap_or(b)).abs() > 1e-9)
    };
    let use_cpu = probed.len() >= 4 && varies(&probed);
    let rows: Vec<&Row> = if use_cpu {
        probed
    } else {
        rows.iter().collect()
    };
    // A constant column (no run has it, or every run the same) is the intercept again.
    let use_extra: Vec<bool> = (0..rows.first().map_or(0, |r| r.extra.len()))
        .map(|j| {
            let with = rows.iter().filter(|r| r.extra[j] != 0.0).count();
            let varies = rows
                .iter()
                .any(|r| (r.extra[j] - rows[0].extra[j]).abs() > 1e-9);
            with >= 2 && varies
        })
        .collect();
    let mut pings: Vec<f64> = rows.iter().filter_map(|r| r.ping).collect();
    let ping_ref = (use_cpu && pings.len() == rows.len() && pings.len() >= 6)
        .then(|| upper_median(&mut pings))
        .flatten();
    let f = fit_columns(&rows, use_cpu, &use_extra, ping_ref)?;
    if ping_ref.is_some()
        && f.ping
            .as_ref()
            .is_none_or(|p| p.ms_per_rtt_ms.ci95_lo <= 0.0)
    {
        return fit_columns(&rows, use_cpu, &use_extra, None);
    }
    Some(f)
}

/// [`fit_fixed_cpu_extra`]'s least squares on the columns chosen.
fn fit_columns(
    rows: &[&Row],
    use_cpu: bool,
    use_extra: &[bool],
    ping_ref: Option<f64>,
) -> Option<FixedCpuExtra> {
    let x: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| {
            let mut v = vec![1.0];
            if use_cpu {
                v.push(r.busy.unwrap_or(1.0));
            }
            v.extend(
                r.extra
                    .iter()
                    .zip(use_extra)
                    .filter(|(_, u)| **u)
                    .map(|(x, _)| *x),
            );
            if let Some(p0) = ping_ref {
                v.push(r.ping.unwrap_or(p0) - p0);
            }
            v
        })
        .collect();
    let y: Vec<f64> = rows.iter().map(|r| r.y).collect();
    let mut b = ols(&x, &y)?.into_iter();
    let fixed = b.next()?;
    let cpu = if use_cpu {
        b.next()?
    } else {
        Estimate::assumed(0.0)
    };
    let extra = use_extra
        .iter()
        .map(|&u| if u { b.next().map(Some) } else { Some(None) })
        .collect::<Option<Vec<_>>>()?;
    let ping = match ping_ref {
        Some(p0) => Some(PingSetupFit {
            reference_rtt_ms: p0,
            ms_per_rtt_ms: b.next()?,
            rtt_ms_range: span(rows.iter().filter_map(|r| r.ping)),
        }),
        None => None,
    };
    Some(FixedCpuExtra {
        fixed,
        cpu,
        extra,
        ping,
    })
}

/// How busy the hosts were against the reference: the reference probe figure over
/// the run's (None without the probe).
fn busy(r: &Run, reference: f64) -> Option<f64> {
    r.probe_mbit_s
        .filter(|p| p.is_finite() && *p > 0.0)
        .map(|p| reference / p)
}

/// 1 for a run with an NFS disk, else 0.
fn nfs_disk(r: &Run) -> f64 {
    (r.file.storage.kind.as_deref() == Some("nfs")) as u8 as f64
}

/// The NFS round trip of a run with an NFS disk, ms (measured, else as its manifest
/// states it), else 0.
fn nfs_rtt(r: &Run) -> f64 {
    let s = &r.file.storage;
    if s.kind.as_deref() != Some("nfs") {
        return 0.0;
    }
    r.nfs_rtt_ms.unwrap_or(
        s.nfs_rtt_ms.unwrap_or(scenario::DEFAULT_NFS_RTT_MS) + s.nfs_rtt_added_ms.unwrap_or(0.0),
    )
}

/// The non-zero memory at the top of RAM, from the stop-and-copy pass of runs that
/// write nothing: per run, the size whose simulation sends the observed final pass
/// (bisection; the final pass grows with it until it reaches QEMU's threshold).
/// Runs whose final pass is at the threshold only bound it from below and are left out.
fn fit_top_nonzero(done: &[&Run], model: &ModelFile) -> Estimate {
    const MAX_MIB: f64 = 64.0;
    let mut tops = Vec::new();
    for r in done.iter().filter(|r| r.writes_per_s() == 0.0) {
        let Some(obs) = r.job.final_pass_bytes.filter(|&b| b > 0) else {
            continue;
        };
        let final_bytes = |top_mib: f64| {
            let mut f = model.fill(
                &r.file,
                r.probe_mbit_s,
                r.ping_rtt_before_job_ms,
                r.nfs_rtt_ms,
            );
            f.workload.top_nonzero_mib = Some(top_mib);
            let p = scenario::from_file(&f).ok()?;
            let o = simulate(&p, 1);
            let last = o.passes.last().filter(|ps| ps.stop_and_copy)?;
            Some(last.bytes_sent as f64)
        };
        let Some(plateau) = final_bytes(MAX_MIB) else {
            continue;
        };
        if obs as f64 > 0.9 * plateau {
            continue;
        }
        let (mut lo, mut hi) = (0.0, MAX_MIB);
        for _ in 0..16 {
            let mid = (lo + hi) / 2.0;
            match final_bytes(mid) {
                Some(b) if b < obs as f64 => lo = mid,
                _ => hi = mid,
            }
        }
        tops.push((lo + hi) / 2.0);
    }
    mean(&tops).unwrap_or(Estimate::assumed(0.0))
}

/// The set-up, refitted against the simulation once everything else is fitted: per
/// run, the observed time less what the simulation takes without set-up, by least
/// squares on the free-CPU figure and the NFS disk. The first estimate (from the bytes
/// at max-bandwidth) leaves out what the simulation overlaps, such as zero pages
/// scanned inside a rate-limit window, and so predicted short.
fn fit_setup(done: &[&Run], model: &mut ModelFile) -> Result<(), String> {
    let reference = model.host.reference_probe_mbit_s;
    let mut rows = Vec::new();
    // Throttled runs are left out, as for the first estimate.
    for r in done
        .iter()
        .filter(|r| r.job.max_throttle_pct.unwrap_or(0) == 0)
    {
        let Some(t) = r.job.total_time_ms else {
            continue;
        };
        let mut f = model.fill(
            &r.file,
            r.probe_mbit_s,
            r.ping_rtt_before_job_ms,
            r.nfs_rtt_ms,
        );
        f.migration.setup_ms = Some(0.0);
        f.storage.prepare_round_trips = Some(0);
        let p = scenario::from_file(&f).map_err(|e| format!("{}: {}", r.name, e[0].message))?;
        let o = simulate(&p, 1);
        if !o.completed {
            continue;
        }
        rows.push(Row {
            busy: busy(r, reference),
            extra: vec![nfs_disk(r), nfs_rtt(r)],
            ping: r.ping_rtt_before_job_ms,
            y: t - o.total_time_ns as f64 / 1e6,
        });
    }
    let f = fit_fixed_cpu_extra(&rows).ok_or("set-up: too few completed runs to refit it")?;
    model.host.setup_ms = f.fixed;
    model.host.setup_ms_cpu = f.cpu;
    model.host.setup_ms_nfs = f.extra[0].unwrap_or(Estimate::assumed(0.0));
    model.host.setup_nfs_round_trips = f.extra[1];
    model.host.setup_ping = f.ping;
    Ok(())
}

/// The guest pause beyond the last RAM and the device state: a fixed part and NFS
/// round trips. The last RAM is the final pass the run sent (query-migrate's
/// `downtime-bytes`) at the link's speed, where recorded; the simulated one only
/// where not. Fitted on the simulated final pass, the switchover took up the
/// simulation's error in it as well: that pass ends at whichever rate-limit window
/// boundary first leaves less than the threshold, which no recorded parameter pins
/// down (see [`crate::model::phase`]).
fn fit_switchover(done: &[&Run], model: &ModelFile) -> Result<SwitchoverFit, String> {
    let mut rows = Vec::new();
    for r in done {
        let Some(d) = r.job.downtime_ms else { continue };
        let f = model.fill(
            &r.file,
            r.probe_mbit_s,
            r.ping_rtt_before_job_ms,
            r.nfs_rtt_ms,
        );
        let p = scenario::from_file(&f).map_err(|e| format!("{}: {}", r.name, e[0].message))?;
        let o = simulate(&p, 1);
        let ram_ns = r
            .job
            .final_pass_bytes
            .map_or(o.downtime.final_ram_ns, |b| switchover::final_ram_ns(&p, b));
        let moved_ms = (ram_ns + o.downtime.device_state_ns) as f64 / 1e6;
        rows.push(Row {
            busy: busy(r, model.host.reference_probe_mbit_s),
            extra: vec![nfs_rtt(r)],
            ping: None,
            y: d - moved_ms - model.libvirt_polling_ms(&f),
        });
    }
    let f = fit_fixed_cpu_extra(&rows).ok_or("switchover: the fit is degenerate")?;
    Ok(SwitchoverFit {
        fixed_ms: f.fixed,
        fixed_ms_cpu: f.cpu,
        nfs_round_trips: f.extra[0].unwrap_or(Estimate::assumed(10.0)),
        libvirt_job_polling_ms: model.switchover.libvirt_job_polling_ms,
        downtime_error: None,
    })
}

/// Per dirtying run, the write efficiency whose simulation sends the observed bytes.
fn fit_writes(done: &[&Run], model: &ModelFile) -> WorkloadFit {
    let mut ks = Vec::new();
    for r in done.iter().filter(|r| r.writes_per_s() > 0.0) {
        let Some(obs) = r.job.memory_processed_bytes else {
            continue;
        };
        let err = |k: f64| {
            let mut m = model.clone();
            m.workload.write_efficiency = Estimate::assumed(k);
            let f = m.fill(
                &r.file,
                r.probe_mbit_s,
                r.ping_rtt_before_job_ms,
                r.nfs_rtt_ms,
            );
            let Ok(p) = scenario::from_file(&f) else {
                return f64::INFINITY;
            };
            let o = simulate(&p, 1);
            if !o.completed {
                return f64::INFINITY;
            }
            ((o.bytes_sent.saturating_sub(p.guest.device_state_bytes)) as f64 / obs as f64 - 1.0)
                .abs()
        };
        let grid: Vec<f64> = (0..=52).map(|i| 0.2 + i as f64 * 0.025).collect();
        if let Some(best) = grid
            .iter()
            .map(|&k| (k, err(k)))
            .filter(|(_, e)| e.is_finite())
            .min_by(|a, b| a.1.total_cmp(&b.1))
        {
            ks.push(best.0);
        }
    }
    WorkloadFit {
        write_efficiency: mean(&ks).unwrap_or(Estimate::assumed(1.0)),
        page_writes_per_cpu_s: model.workload.page_writes_per_cpu_s,
    }
}

/// Page writes per busy vCPU second, from the runs whose workload probe measured it
/// (every run counts: the probe ran before the migration).
fn fit_writes_per_cpu(runs: &[Run]) -> Option<Estimate> {
    let xs: Vec<f64> = runs
        .iter()
        .filter_map(|r| r.file.workload.page_writes_per_cpu_s)
        .collect();
    mean(&xs)
}

/// Ping outage beyond the pause, with STP off.
fn fit_network(done: &[&Run]) -> NetworkFit {
    let extra: Vec<f64> = done
        .iter()
        .filter(|r| !r.file.network.bridge_stp.unwrap_or(false))
        .filter_map(|r| {
            let p = r.ping.as_ref()?;
            let d = r.job.downtime_ms?;
            let hi = p.outage_ms_hi?;
            Some(((p.outage_ms_lo + hi) / 2.0 - d).max(0.0))
        })
        .collect();
    NetworkFit {
        reconverge_ms: mean(&extra).unwrap_or(Estimate::assumed(1.0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(spec: &[(Option<f64>, f64)]) -> Vec<Row> {
        // y = 100 + 50 x busy (1 without the probe) + 8 x extra, plus a little noise.
        spec.iter()
            .enumerate()
            .map(|(i, &(busy, extra))| Row {
                busy,
                extra: vec![extra],
                ping: None,
                y: 100.0 + 50.0 * busy.unwrap_or(1.0) + 8.0 * extra + (i % 3) as f64 - 1.0,
            })
            .collect()
    }

    #[test]
    fn fixed_cpu_extra_drops_what_the_runs_cannot_separate() {
        // Probe and NFS round trip both vary: all three terms.
        let f = fit_fixed_cpu_extra(&rows(&[
            (Some(0.5), 0.0),
            (Some(1.0), 10.0),
            (Some(2.0), 20.0),
            (Some(1.5), 0.0),
            (Some(0.7), 10.0),
            (None, 30.0),
        ]))
        .unwrap();
        assert!((f.cpu.value - 50.0).abs() < 3.0, "{:?}", f.cpu);
        assert_eq!(f.cpu.n, 5, "the run without the probe is left out");
        assert!((f.extra[0].unwrap().value - 8.0).abs() < 0.5);
        // Every run on NFS at different round trips: the round-trip term stays.
        let f = fit_fixed_cpu_extra(&rows(&[
            (Some(0.5), 1.0),
            (Some(1.0), 10.0),
            (Some(2.0), 20.0),
            (Some(1.5), 1.0),
        ]))
        .unwrap();
        assert!(f.extra[0].is_some());
        // Every run with an NFS disk (a 0/1 column of ones): dropped, it is the constant.
        let f = fit_fixed_cpu_extra(&rows(&[
            (Some(0.5), 1.0),
            (Some(1.0), 1.0),
            (Some(2.0), 1.0),
            (Some(1.5), 1.0),
        ]))
        .unwrap();
        assert!(f.extra[0].is_none());
        // No probe anywhere: the CPU term is assumed 0 and every run counts.
        let f = fit_fixed_cpu_extra(&rows(&[(None, 0.0), (None, 1.0), (None, 0.0), (None, 1.0)]))
            .unwrap();
        assert_eq!((f.cpu.value, f.cpu.n), (0.0, 0));
        assert_eq!(f.fixed.n, 4);
    }

    #[test]
    fn ping_round_trip_is_a_term_only_when_it_tells() {
        // y = 100 + 50 x busy + 30 x (ping - 1.5), the ping not a copy of busy.
        let spec = [
            (0.5, 1.0),
            (1.0, 2.0),
            (2.0, 1.5),
            (1.5, 3.0),
            (0.7, 1.2),
            (1.2, 0.8),
            (1.8, 2.5),
        ];
        let make = |slope: f64| -> Vec<Row> {
            spec.iter()
                .enumerate()
                .map(|(i, &(b, p))| Row {
                    busy: Some(b),
                    extra: vec![0.0],
                    ping: Some(p),
                    y: 100.0 + 50.0 * b + slope * (p - 1.5) + (i % 3) as f64 - 1.0,
                })
                .collect()
        };
        let f = fit_fixed_cpu_extra(&make(30.0)).unwrap();
        let p = f.ping.expect("the round trip explains part of the cost");
        assert!((p.ms_per_rtt_ms.value - 30.0).abs() < 3.0, "{p:?}");
        assert_eq!(p.reference_rtt_ms, 1.5);
        assert_eq!(p.rtt_ms_range, [0.8, 3.0]);
        assert!((f.cpu.value - 50.0).abs() < 5.0);
        // No dependence on the round trip: the term is dropped, the rest stays.
        let f = fit_fixed_cpu_extra(&make(0.0)).unwrap();
        assert!(f.ping.is_none());
        assert!((f.cpu.value - 50.0).abs() < 5.0);
        // A run without the round trip: no term.
        let mut rows = make(30.0);
        rows[0].ping = None;
        assert!(fit_fixed_cpu_extra(&rows).unwrap().ping.is_none());
    }
}
