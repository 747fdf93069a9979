//! Predictions for recorded runs against what they did: per run and overall, the
//! error of total time, bytes and downtime, and whether the verdict was right.

use super::fit::fit;
use super::model_file::ModelFile;
use super::run::Run;
use crate::model::simulate;
use crate::scenario;
use serde::Serialize;

/// One run's prediction against its observation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunCheck {
    /// Bundle name.
    pub name: String,
    /// Observed: pre-copy converged.
    pub observed_converged: bool,
    /// Predicted: pre-copy converges.
    pub predicted_converged: bool,
    /// Observed total time (libvirt's elapsed), ms.
    pub observed_total_time_ms: Option<f64>,
    /// Predicted total time, ms.
    pub predicted_total_time_ms: f64,
    /// Observed RAM bytes sent.
    pub observed_bytes: Option<u64>,
    /// Predicted RAM bytes sent.
    pub predicted_bytes: u64,
    /// Observed downtime (libvirt's: source stop to destination resume), ms.
    pub observed_downtime_ms: Option<f64>,
    /// Predicted guest pause, ms.
    pub predicted_downtime_ms: f64,
    /// Where the downtime falls 90 % of the time around that prediction, by the
    /// model's own runs, ms (None: the model states no spread).
    pub predicted_downtime_range_ms: Option<[f64; 2]>,
    /// Observed bytes sent while the guest was paused (query-migrate's
    /// `downtime-bytes`), when recorded: most of a pause is sending them.
    pub observed_final_pass_bytes: Option<u64>,
    /// Predicted bytes of the stop-and-copy pass (None: it did not complete).
    pub predicted_final_pass_bytes: Option<u64>,
    /// How busy the host was taken to be: `probe` (the run's link probe), `ping` (its
    /// guest's ping round trip, without the probe) or `reference` (neither).
    pub host_load_from: &'static str,
}

/// Overall figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Runs checked.
    pub runs: usize,
    /// Of which pre-copy completed (time, bytes and downtime are compared on these).
    pub completed_runs: usize,
    /// Mean absolute percentage error of total time, %.
    pub total_time_mape: f64,
    /// Mean absolute percentage error of bytes sent, %.
    pub bytes_mape: f64,
    /// Mean absolute error of downtime, ms.
    pub downtime_mae_ms: f64,
    /// Share of runs whose downtime is within 20 % or 20 ms.
    pub downtime_within_tolerance: f64,
    /// Share of runs whose downtime is inside the predicted range (None: no run has
    /// a range).
    pub downtime_within_range: Option<f64>,
    /// Share of runs whose verdict was right.
    pub verdict_accuracy: f64,
}

/// A validation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Validation {
    /// How predictions were made: `model <name>` or `leave-one-out`.
    pub method: String,
    /// Per run.
    pub checks: Vec<RunCheck>,
    /// Overall.
    pub summary: Summary,
}

/// Predicts `run` with `model`.
pub fn check(model: &ModelFile, run: &Run) -> Result<RunCheck, String> {
    let f = run.filled(model);
    let p = scenario::from_file(&f)
        .map_err(|e| format!("{}: {}: {}", run.name, e[0].field, e[0].message))?;
    let o = simulate(&p, 1);
    Ok(RunCheck {
        host_load_from: if run.probe_mbit_s.is_some() {
            "probe"
        } else if run.load_probe_mbit_s(model).is_some() {
            "ping"
        } else {
            "reference"
        },
        name: run.name.clone(),
        observed_converged: run.job.converged,
        predicted_converged: o.completed && !o.postcopy_used,
        observed_total_time_ms: run.job.total_time_ms,
        predicted_total_time_ms: o.total_time_ns as f64 / 1e6,
        observed_bytes: run.job.memory_processed_bytes,
        predicted_bytes: o.bytes_sent.saturating_sub(p.guest.device_state_bytes),
        observed_downtime_ms: run.job.downtime_ms.filter(|_| !run.job.downtime_expected),
        predicted_downtime_ms: o.downtime.guest_ns as f64 / 1e6,
        predicted_downtime_range_ms: model.downtime_range_ms(o.downtime.guest_ns as f64 / 1e6),
        observed_final_pass_bytes: run.job.final_pass_bytes,
        predicted_final_pass_bytes: o
            .passes
            .last()
            .filter(|ps| ps.stop_and_copy)
            .map(|ps| ps.bytes_sent),
    })
}

/// Summarises checks.
pub fn summarize(checks: &[RunCheck]) -> Summary {
    let both: Vec<&RunCheck> = checks
        .iter()
        .filter(|c| c.observed_converged && c.predicted_converged)
        .collect();
    let avg = |v: Vec<f64>| {
        if v.is_empty() {
            0.0
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        }
    };
    let dt: Vec<(f64, f64)> = both
        .iter()
        .filter_map(|c| Some((c.observed_downtime_ms?, c.predicted_downtime_ms)))
        .collect();
    Summary {
        runs: checks.len(),
        completed_runs: both.len(),
        total_time_mape: avg(both
            .iter()
            .filter_map(|c| {
                Some(
                    ((c.predicted_total_time_ms - c.observed_total_time_ms?)
                        / c.observed_total_time_ms?)
                        .abs()
                        * 100.0,
                )
            })
            .collect()),
        bytes_mape: avg(both
            .iter()
            .filter_map(|c| {
                let o = c.observed_bytes? as f64;
                Some(((c.predicted_bytes as f64 - o) / o).abs() * 100.0)
            })
            .collect()),
        downtime_mae_ms: avg(dt.iter().map(|(o, p)| (p - o).abs()).collect()),
        downtime_within_tolerance: if dt.is_empty() {
            1.0
        } else {
            dt.iter()
                .filter(|(o, p)| (p - o).abs() <= (0.2 * o).max(20.0))
                .count() as f64
                / dt.len() as f64
        },
        downtime_within_range: {
            let ranged: Vec<(f64, [f64; 2])> = both
                .iter()
                .filter_map(|c| Some((c.observed_downtime_ms?, c.predicted_downtime_range_ms?)))
                .collect();
            (!ranged.is_empty()).then(|| {
                ranged
                    .iter()
                    .filter(|(o, [lo, hi])| (lo..=hi).contains(&o))
                    .count() as f64
                    / ranged.len() as f64
            })
        },
        verdict_accuracy: if checks.is_empty() {
            1.0
        } else {
            checks
                .iter()
                .filter(|c| c.observed_converged == c.predicted_converged)
                .count() as f64
                / checks.len() as f64
        },
    }
}

/// Validates `model` on `runs`.
pub fn validate(model: &ModelFile, runs: &[Run]) -> Result<Validation, String> {
    let checks = runs
        .iter()
        .map(|r| check(model, r))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Validation {
        method: format!("model {}", model.provenance.name),
        summary: summarize(&checks),
        checks,
    })
}

/// Leave-one-out: each run predicted by a model fitted on all the others.
pub fn leave_one_out(runs: &[Run], on_done: &(dyn Fn() + Sync)) -> Result<Validation, String> {
    let idx: Vec<usize> = (0..runs.len()).collect();
    let results = crate::par::map(
        &idx,
        crate::par::cores(),
        &|&i| {
            let rest: Vec<Run> = runs
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, r)| r.clone())
                .collect();
            let m = fit(&rest, "leave-one-out", "")?;
            check(&m, &runs[i])
        },
        on_done,
    );
    let checks = results.into_iter().collect::<Result<Vec<_>, _>>()?;
    Ok(Validation {
        method: "leave-one-out".into(),
        summary: summarize(&checks),
        checks,
    })
}
