//! Predictions for recorded runs against what they did: per run and overall, the
//! error of total time, bytes and downtime, and whether the verdict was right.

use super::fit::fit;
use super::model_file::ModelFile;
use super::run::Run;
use crate::model::{phase, simulate, switchover};
use crate::replay::compare::Tolerances;
use crate::scenario;
use serde::Serialize;

/// One run's prediction against its observation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunCheck {
    /// Bundle name.
    pub name: String,
    /// The first run checked with the same recorded parameters (itself when none
    /// came before): runs sharing it are recordings of the same migration.
    pub configuration: String,
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
    /// Predicted guest pause, ms: the median over where QEMU's rate-limit windows fall
    /// in the guest's data, which the recorded parameters do not tell to within a
    /// window ([`crate::model::phase`]).
    pub predicted_downtime_ms: f64,
    /// Where the downtime falls 90 % of the time around that prediction, by the
    /// model's own runs, ms (None: the model states no spread).
    pub predicted_downtime_range_ms: Option<[f64; 2]>,
    /// Observed bytes sent while the guest was paused (query-migrate's
    /// `downtime-bytes`), when recorded: most of a pause is sending them.
    pub observed_final_pass_bytes: Option<u64>,
    /// Predicted bytes of the stop-and-copy pass, in the run with the median pause
    /// (None: it did not complete).
    pub predicted_final_pass_bytes: Option<u64>,
    /// The predicted pause had the run's stop-and-copy pass been the one it sent
    /// (`observed_final_pass_bytes`), ms: the model's switchover alone (None: no final
    /// pass recorded, or the prediction did not complete).
    pub predicted_downtime_given_final_pass_ms: Option<f64>,
    /// The recording host's 1-minute load average before the job, where the bundle
    /// says it.
    pub host_load_avg: Option<f64>,
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
    /// Mean absolute percentage error of downtime, %.
    pub downtime_mape: f64,
    /// Share of runs whose downtime is within 20 % or 20 ms.
    pub downtime_within_tolerance: f64,
    /// Share of runs whose downtime is inside the predicted range (None: no run has
    /// a range).
    pub downtime_within_range: Option<f64>,
    /// Share of runs whose verdict was right.
    pub verdict_accuracy: f64,
    /// How well a repeat recording predicts a run, beside the model on the same runs
    /// (None: no configuration was recorded twice with completed pre-copy).
    pub repeat_baseline: Option<RepeatBaseline>,
    /// The downtime error parted into the final pass and the switchover around it
    /// (None: no run recorded its final pass).
    pub pause_split: Option<PauseSplit>,
    /// The errors by the host's load before the job, over the runs that say it
    /// (empty: none does). Load makes libvirt's handover vary; it moves the pause
    /// either way, so the model cannot take it up, but a user can see how far a
    /// prediction for a quiet host holds on a busy one.
    pub by_host_load: Vec<LoadBand>,
}

/// Upper bounds of the host-load bands (1-minute load average), the last open.
pub const LOAD_BANDS: [f64; 2] = [1.5, 3.0];

/// The errors over the completed runs whose host's 1-minute load average before the
/// job was in `[load_from, load_to)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoadBand {
    /// Lower bound of the band.
    pub load_from: f64,
    /// Upper bound (None: open).
    pub load_to: Option<f64>,
    /// Runs in the band with an observed downtime.
    pub runs: usize,
    /// Mean absolute percentage error of total time, %.
    pub total_time_mape: f64,
    /// Mean absolute error of downtime, ms.
    pub downtime_mae_ms: f64,
    /// Mean absolute percentage error of downtime, %.
    pub downtime_mape: f64,
    /// Share within 20 % or 20 ms.
    pub downtime_within_tolerance: f64,
}

/// The runs that recorded the bytes they sent while paused, predicted twice: as the
/// model predicts them, and with the final pass each run sent in place of the
/// model's. What the second still misses is the switchover (stopping, device state,
/// storage, resuming); what it gains is the final pass's size, which is where the
/// pre-copy happened to end.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PauseSplit {
    /// Runs.
    pub runs: usize,
    /// The model: mean absolute error of downtime, ms.
    pub model_downtime_mae_ms: f64,
    /// The model: share within 20 % or 20 ms.
    pub model_downtime_within_tolerance: f64,
    /// The model's final pass against the run's: mean absolute error, MiB.
    pub final_pass_mae_mib: f64,
    /// With each run's own final pass: mean absolute error of downtime, ms.
    pub downtime_mae_ms: f64,
    /// With each run's own final pass: mean absolute percentage error, %.
    pub downtime_mape: f64,
    /// With each run's own final pass: share within 20 % or 20 ms.
    pub downtime_within_tolerance: f64,
}

/// The runs of configurations recorded more than once, each predicted by the mean of
/// its configuration's other recordings: how far runs of the same migration differ,
/// the error no model of the recorded parameters can go much below.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RepeatBaseline {
    /// Configurations with two or more completed runs.
    pub configurations: usize,
    /// Their completed runs.
    pub runs: usize,
    /// Repeats: mean absolute percentage error of total time, %.
    pub total_time_mape: f64,
    /// Repeats: mean absolute error of downtime, ms.
    pub downtime_mae_ms: f64,
    /// Repeats: share of runs whose downtime is within 20 % or 20 ms.
    pub downtime_within_tolerance: f64,
    /// The most of these runs one downtime per configuration can hold within 20 % or
    /// 20 ms, the value chosen knowing every run: the ceiling of any prediction that
    /// is the same for every recording of a configuration.
    pub downtime_within_ceiling: f64,
    /// The model on the same runs: mean absolute percentage error of total time, %.
    pub model_total_time_mape: f64,
    /// The model on the same runs: mean absolute error of downtime, ms.
    pub model_downtime_mae_ms: f64,
    /// The model on the same runs: share within 20 % or 20 ms.
    pub model_downtime_within_tolerance: f64,
}

/// A validation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Validation {
    /// How predictions were made: `model <name>`, `leave-one-out` or
    /// `leave-one-day-out`.
    pub method: String,
    /// Per run.
    pub checks: Vec<RunCheck>,
    /// Overall.
    pub summary: Summary,
    /// Leave-one-day-out: each day's runs, predicted by the model of the other days.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub held_out_days: Vec<HeldOutDay>,
}

/// One recording day's runs, predicted by a model fitted on the other days' runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeldOutDay {
    /// The day (the date `[bundle] recorded_at` begins with, or [`UNDATED`]).
    pub day: String,
    /// Runs the day's model was fitted on.
    pub fitted_on_runs: usize,
    /// The day's runs against it.
    pub summary: Summary,
}

/// The day of runs whose stamp has no date.
pub const UNDATED: &str = "undated";

/// Predicts `run` with `model`.
pub fn check(model: &ModelFile, run: &Run) -> Result<RunCheck, String> {
    let f = run.filled(model);
    let p = scenario::from_file(&f)
        .map_err(|e| format!("{}: {}: {}", run.name, e[0].field, e[0].message))?;
    let o = simulate(&p, 1);
    // The pause (and the final pass behind it) over where the windows fall in the
    // guest's data, which the recorded parameters do not tell to within a window.
    let paused = phase::median_over_phases(&p, 1);
    let pause = paused.as_ref().unwrap_or(&o);
    let pause_ms = pause.downtime.guest_ns as f64 / 1e6;
    let given_final_pass_ms = run
        .job
        .final_pass_bytes
        .filter(|_| pause.completed)
        .map(|b| switchover::pause_with_final_bytes_ns(&p, &pause.downtime, b) as f64 / 1e6);
    Ok(RunCheck {
        host_load_from: if run.probe_mbit_s.is_some() {
            "probe"
        } else if run.load_probe_mbit_s(model).is_some() {
            "ping"
        } else {
            "reference"
        },
        name: run.name.clone(),
        configuration: run.name.clone(),
        observed_converged: run.job.converged,
        predicted_converged: o.completed && !o.postcopy_used,
        observed_total_time_ms: run.job.total_time_ms,
        predicted_total_time_ms: o.total_time_ns as f64 / 1e6,
        observed_bytes: run.job.memory_processed_bytes,
        predicted_bytes: o.bytes_sent.saturating_sub(p.guest.device_state_bytes),
        observed_downtime_ms: run.job.downtime_ms.filter(|_| !run.job.downtime_expected),
        predicted_downtime_ms: pause_ms,
        predicted_downtime_range_ms: model.downtime_range_ms(pause_ms),
        observed_final_pass_bytes: run.job.final_pass_bytes,
        predicted_final_pass_bytes: pause
            .passes
            .last()
            .filter(|ps| ps.stop_and_copy)
            .map(|ps| ps.bytes_sent),
        predicted_downtime_given_final_pass_ms: given_final_pass_ms,
        host_load_avg: run.load_avg,
    })
}

/// Mean of `v` (0 when empty).
fn mean(v: impl IntoIterator<Item = f64>) -> f64 {
    let (sum, n) = v
        .into_iter()
        .fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n == 0 { 0.0 } else { sum / n as f64 }
}

/// Share of `v` that holds (1 when empty).
fn share(v: impl IntoIterator<Item = bool>) -> f64 {
    let (hits, n) = v
        .into_iter()
        .fold((0usize, 0usize), |(h, n), x| (h + x as usize, n + 1));
    if n == 0 { 1.0 } else { hits as f64 / n as f64 }
}

/// Absolute error of `predicted` against `observed`, % of `observed`.
fn pct_error(predicted: f64, observed: f64) -> f64 {
    ((predicted - observed) / observed).abs() * 100.0
}

/// The downtime tolerance (20 % or 20 ms), as replays hold runs to it.
fn downtime_within(predicted_ms: f64, observed_ms: f64) -> bool {
    Tolerances::default().downtime_within(predicted_ms, observed_ms)
}

/// Downtime errors of (observed, predicted) pairs, ms.
struct DowntimeErrors {
    /// Mean absolute error, ms.
    mae_ms: f64,
    /// Mean absolute percentage error, %.
    mape: f64,
    /// Share within 20 % or 20 ms.
    within: f64,
}

impl DowntimeErrors {
    fn of(pairs: &[(f64, f64)]) -> Self {
        Self {
            mae_ms: mean(pairs.iter().map(|(o, p)| (p - o).abs())),
            mape: mean(pairs.iter().map(|(o, p)| pct_error(*p, *o))),
            within: share(pairs.iter().map(|(o, p)| downtime_within(*p, *o))),
        }
    }
}

/// Mean absolute percentage error of total time over the checks that observed it, %.
fn total_time_mape(checks: &[&RunCheck]) -> f64 {
    mean(checks.iter().filter_map(|c| {
        Some(pct_error(
            c.predicted_total_time_ms,
            c.observed_total_time_ms?,
        ))
    }))
}

/// Summarises checks.
pub fn summarize(checks: &[RunCheck]) -> Summary {
    let both: Vec<&RunCheck> = checks
        .iter()
        .filter(|c| c.observed_converged && c.predicted_converged)
        .collect();
    let dt: Vec<(f64, f64)> = both
        .iter()
        .filter_map(|c| Some((c.observed_downtime_ms?, c.predicted_downtime_ms)))
        .collect();
    let ranged: Vec<(f64, [f64; 2])> = both
        .iter()
        .filter_map(|c| Some((c.observed_downtime_ms?, c.predicted_downtime_range_ms?)))
        .collect();
    let down = DowntimeErrors::of(&dt);
    Summary {
        runs: checks.len(),
        completed_runs: both.len(),
        total_time_mape: total_time_mape(&both),
        bytes_mape: mean(both.iter().filter_map(|c| {
            Some(pct_error(
                c.predicted_bytes as f64,
                c.observed_bytes? as f64,
            ))
        })),
        downtime_mae_ms: down.mae_ms,
        downtime_mape: down.mape,
        downtime_within_tolerance: down.within,
        downtime_within_range: (!ranged.is_empty())
            .then(|| share(ranged.iter().map(|(o, [lo, hi])| (lo..=hi).contains(&o)))),
        verdict_accuracy: share(
            checks
                .iter()
                .map(|c| c.observed_converged == c.predicted_converged),
        ),
        repeat_baseline: repeat_baseline(&both),
        pause_split: pause_split(&both),
        by_host_load: by_host_load(&both),
    }
}

/// The errors per host-load band ([`LOAD_BANDS`]), bands without runs left out.
fn by_host_load(both: &[&RunCheck]) -> Vec<LoadBand> {
    let mut bands = Vec::new();
    let mut from = 0.0;
    for to in LOAD_BANDS.iter().map(|&b| Some(b)).chain([None]) {
        // The band's runs with an observed downtime, and their downtimes.
        let (inside, dt): (Vec<&RunCheck>, Vec<(f64, f64)>) = both
            .iter()
            .filter(|c| {
                c.host_load_avg
                    .is_some_and(|l| l >= from && to.is_none_or(|t| l < t))
            })
            .filter_map(|c| Some((*c, (c.observed_downtime_ms?, c.predicted_downtime_ms))))
            .unzip();
        if !dt.is_empty() {
            let down = DowntimeErrors::of(&dt);
            bands.push(LoadBand {
                load_from: from,
                load_to: to,
                runs: dt.len(),
                total_time_mape: total_time_mape(&inside),
                downtime_mae_ms: down.mae_ms,
                downtime_mape: down.mape,
                downtime_within_tolerance: down.within,
            });
        }
        from = to.unwrap_or(f64::INFINITY);
    }
    bands
}

/// The downtime error of the runs with a recorded final pass, with the model's final
/// pass and with theirs.
fn pause_split(both: &[&RunCheck]) -> Option<PauseSplit> {
    /// A run's observed pause, the model's, the model's with the run's own final
    /// pass, and the model's final pass less the run's, bytes.
    type Row = (f64, f64, f64, f64);
    let rows: Vec<Row> = both
        .iter()
        .filter_map(|c| {
            Some((
                c.observed_downtime_ms?,
                c.predicted_downtime_ms,
                c.predicted_downtime_given_final_pass_ms?,
                c.predicted_final_pass_bytes? as f64 - c.observed_final_pass_bytes? as f64,
            ))
        })
        .collect();
    let model = DowntimeErrors::of(&rows.iter().map(|r| (r.0, r.1)).collect::<Vec<_>>());
    let given = DowntimeErrors::of(&rows.iter().map(|r| (r.0, r.2)).collect::<Vec<_>>());
    (!rows.is_empty()).then(|| PauseSplit {
        runs: rows.len(),
        model_downtime_mae_ms: model.mae_ms,
        model_downtime_within_tolerance: model.within,
        final_pass_mae_mib: mean(rows.iter().map(|r| r.3.abs() / 1048576.0)),
        downtime_mae_ms: given.mae_ms,
        downtime_mape: given.mape,
        downtime_within_tolerance: given.within,
    })
}

/// Each completed run of a configuration recorded more than once, predicted by the
/// mean of the configuration's other completed runs, beside the model.
fn repeat_baseline(both: &[&RunCheck]) -> Option<RepeatBaseline> {
    /// A run's total time and downtime, ms.
    #[derive(Clone, Copy)]
    struct Figures {
        time_ms: f64,
        down_ms: f64,
    }
    /// Observed, the mean of the repeats, and the model's.
    struct Row<'a> {
        configuration: &'a str,
        observed: Figures,
        repeats: Figures,
        model: Figures,
    }
    let observed: Vec<(&RunCheck, Figures)> = both
        .iter()
        .filter_map(|c| {
            let time_ms = c.observed_total_time_ms?;
            let down_ms = c.observed_downtime_ms?;
            Some((*c, Figures { time_ms, down_ms }))
        })
        .collect();
    let mut configurations = std::collections::BTreeSet::new();
    let mut rows = Vec::new();
    for (i, (c, seen)) in observed.iter().enumerate() {
        let others: Vec<Figures> = observed
            .iter()
            .enumerate()
            .filter(|(j, (o, _))| *j != i && o.configuration == c.configuration)
            .map(|(_, (_, f))| *f)
            .collect();
        if others.is_empty() {
            continue;
        }
        configurations.insert(c.configuration.as_str());
        rows.push(Row {
            configuration: &c.configuration,
            observed: *seen,
            repeats: Figures {
                time_ms: mean(others.iter().map(|o| o.time_ms)),
                down_ms: mean(others.iter().map(|o| o.down_ms)),
            },
            model: Figures {
                time_ms: c.predicted_total_time_ms,
                down_ms: c.predicted_downtime_ms,
            },
        });
    }
    // Total time MAPE, downtime MAE and share within tolerance of one predictor.
    let errors = |pick: fn(&Row) -> Figures| {
        let o = |r: &Row| r.observed;
        let down: Vec<(f64, f64)> = rows
            .iter()
            .map(|r| (o(r).down_ms, pick(r).down_ms))
            .collect();
        let down = DowntimeErrors::of(&down);
        (
            mean(
                rows.iter()
                    .map(|r| pct_error(pick(r).time_ms, o(r).time_ms)),
            ),
            down.mae_ms,
            down.within,
        )
    };
    let (time, down, within) = errors(|r| r.repeats);
    let (model_time, model_down, model_within) = errors(|r| r.model);
    let held: usize = configurations
        .iter()
        .map(|k| {
            let downs: Vec<f64> = rows
                .iter()
                .filter(|r| r.configuration == *k)
                .map(|r| r.observed.down_ms)
                .collect();
            most_within_one_value(&downs)
        })
        .sum();
    (!rows.is_empty()).then_some(RepeatBaseline {
        configurations: configurations.len(),
        runs: rows.len(),
        total_time_mape: time,
        downtime_mae_ms: down,
        downtime_within_tolerance: within,
        downtime_within_ceiling: held as f64 / rows.len() as f64,
        model_total_time_mape: model_time,
        model_downtime_mae_ms: model_down,
        model_downtime_within_tolerance: model_within,
    })
}

/// The most of the observed downtimes `downs` (ms) that one predicted value holds
/// within tolerance. Each run holds the values in an interval around it; the most
/// intervals that overlap meet at the low end of one of them.
fn most_within_one_value(downs: &[f64]) -> usize {
    let t = Tolerances::default();
    let held: Vec<(f64, f64)> = downs
        .iter()
        .map(|&o| {
            let margin = (o * t.downtime_rel).max(t.downtime_abs_ms);
            (o - margin, o + margin)
        })
        .collect();
    held.iter()
        .map(|&(c, _)| held.iter().filter(|&&(lo, hi)| lo <= c && c <= hi).count())
        .max()
        .unwrap_or(0)
}

/// Names each check's configuration after the first of `runs` (checked in that
/// order) with the same recorded parameters.
fn name_configurations(checks: &mut [RunCheck], runs: &[Run]) {
    let asked: Vec<_> = runs.iter().map(Run::configuration).collect();
    for (i, c) in checks.iter_mut().enumerate() {
        let first = asked.iter().position(|a| *a == asked[i]).unwrap_or(i);
        c.configuration = runs[first].name.clone();
    }
}

/// Validates `model` on `runs`.
pub fn validate(model: &ModelFile, runs: &[Run]) -> Result<Validation, String> {
    let mut checks = runs
        .iter()
        .map(|r| check(model, r))
        .collect::<Result<Vec<_>, _>>()?;
    name_configurations(&mut checks, runs);
    Ok(Validation {
        method: format!("model {}", model.provenance.name),
        summary: summarize(&checks),
        checks,
        held_out_days: Vec::new(),
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
    let mut checks = results.into_iter().collect::<Result<Vec<_>, _>>()?;
    name_configurations(&mut checks, runs);
    Ok(Validation {
        method: "leave-one-out".into(),
        summary: summarize(&checks),
        checks,
        held_out_days: Vec::new(),
    })
}

/// Leave-one-day-out: each recording day's runs predicted by a model fitted on the
/// runs of every other day. Stricter than [`leave_one_out`], where a run's model
/// still knows the other runs of its day: what changes from one day to the next (the
/// host's state, what the probes read) is held out too. `on_done` is called per day.
pub fn leave_one_day_out(runs: &[Run], on_done: &(dyn Fn() + Sync)) -> Result<Validation, String> {
    let day_of = |r: &Run| r.recorded_on.clone().unwrap_or_else(|| UNDATED.into());
    let mut days: Vec<String> = runs.iter().map(day_of).collect();
    days.sort();
    days.dedup();
    if days.len() < 2 {
        return Err(format!(
            "every run was recorded on one day ({}): there is no other day to fit on",
            days.first().map_or("none", String::as_str)
        ));
    }
    let results = crate::par::map(
        &days,
        crate::par::cores(),
        &|day| {
            let rest: Vec<Run> = runs.iter().filter(|r| day_of(r) != *day).cloned().collect();
            let m = fit(&rest, "leave-one-day-out", "")
                .map_err(|e| format!("the model without {day}: {e}"))?;
            let checks = runs
                .iter()
                .filter(|r| day_of(r) == *day)
                .map(|r| check(&m, r))
                .collect::<Result<Vec<_>, _>>()?;
            Ok::<_, String>((rest.len(), checks))
        },
        on_done,
    );
    let mut per_day = Vec::new();
    let mut held_out_days = Vec::new();
    for (day, r) in days.iter().zip(results) {
        let (fitted_on_runs, checks) = r?;
        held_out_days.push(HeldOutDay {
            day: day.clone(),
            fitted_on_runs,
            summary: summarize(&checks),
        });
        per_day.push(checks.into_iter());
    }
    // Back in the runs' order: within a day the checks kept it.
    let mut checks = runs
        .iter()
        .map(|r| {
            let i = days.binary_search(&day_of(r)).unwrap_or(0);
            per_day[i]
                .next()
                .ok_or_else(|| format!("{}: no check", r.name))
        })
        .collect::<Result<Vec<_>, _>>()?;
    name_configurations(&mut checks, runs);
    Ok(Validation {
        method: "leave-one-day-out".into(),
        summary: summarize(&checks),
        checks,
        held_out_days,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(
        name: &str,
        configuration: &str,
        time_ms: f64,
        down_ms: f64,
        pred_down_ms: f64,
    ) -> RunCheck {
        RunCheck {
            name: name.into(),
            configuration: configuration.into(),
            observed_converged: true,
            predicted_converged: true,
            observed_total_time_ms: Some(time_ms),
            predicted_total_time_ms: 10_000.0,
            observed_bytes: Some(1 << 30),
            predicted_bytes: 1 << 30,
            observed_downtime_ms: Some(down_ms),
            predicted_downtime_ms: pred_down_ms,
            predicted_downtime_range_ms: None,
            observed_final_pass_bytes: None,
            predicted_final_pass_bytes: None,
            predicted_downtime_given_final_pass_ms: None,
            host_load_avg: None,
            host_load_from: "probe",
        }
    }

    #[test]
    fn repeats_are_held_against_the_mean_of_their_other_recordings() {
        let checks = [
            run("a", "a", 10_000.0, 100.0, 120.0),
            run("a-2", "a", 11_000.0, 120.0, 120.0),
            run("a-3", "a", 12_000.0, 140.0, 120.0),
            // Recorded once: no repeat to hold it against.
            run("b", "b", 10_000.0, 300.0, 100.0),
        ];
        let s = summarize(&checks);
        // The model's downtimes: 20, 0, 14.3 and 66.7 % off.
        let mape = (20.0 + 0.0 + 20.0 / 140.0 * 100.0 + 200.0 / 300.0 * 100.0) / 4.0;
        assert!((s.downtime_mape - mape).abs() < 1e-9, "{s:?}");
        let r = s.repeat_baseline.unwrap();
        assert_eq!((r.configurations, r.runs), (1, 3));
        // Downtime: the others' means are 130, 120 and 110 ms: misses of 30, 0, 30.
        assert!((r.downtime_mae_ms - 20.0).abs() < 1e-9, "{r:?}");
        // Only the 0 ms miss is within 20 ms (or 20 % of 100 and 140 ms).
        assert!((r.downtime_within_tolerance - 1.0 / 3.0).abs() < 1e-9);
        // One value, 120 ms, holds all three (100 and 140 ms are 20 ms from it).
        assert!((r.downtime_within_ceiling - 1.0).abs() < 1e-9, "{r:?}");
        // Time: 11.5 s for 10 s, 11 s for 11 s, 10.5 s for 12 s.
        let t = (15.0 + 0.0 + 1.5 / 12.0 * 100.0) / 3.0;
        assert!((r.total_time_mape - t).abs() < 1e-9, "{r:?}");
        // The model on the same three runs: 20, 0 and 20 ms off, 0, 1 and 2 s.
        assert!((r.model_downtime_mae_ms - 40.0 / 3.0).abs() < 1e-9);
        assert!((r.model_downtime_within_tolerance - 1.0).abs() < 1e-9);
        let m = (0.0 + 1.0 / 11.0 * 100.0 + 2.0 / 12.0 * 100.0) / 3.0;
        assert!((r.model_total_time_mape - m).abs() < 1e-9, "{r:?}");
    }

    #[test]
    fn one_value_holds_the_runs_it_is_within_tolerance_of() {
        assert_eq!(most_within_one_value(&[]), 0);
        assert_eq!(most_within_one_value(&[100.0]), 1);
        // 100 ms holds 80-120, 141 ms holds 112.8-169.2: 115 ms is within both.
        assert_eq!(most_within_one_value(&[100.0, 141.0]), 2);
        // 60 ms holds 40-80: no value is within 20 ms of 60 and 20 % of 141 ms.
        assert_eq!(most_within_one_value(&[60.0, 141.0]), 1);
        // The recorded pauses of one idle guest (4 runs): two short, two long.
        assert_eq!(most_within_one_value(&[61.0, 62.0, 101.0, 121.0]), 3);
        assert_eq!(most_within_one_value(&[61.0, 62.0, 121.0]), 2);
    }

    #[test]
    fn the_pause_is_parted_over_the_runs_with_a_final_pass() {
        let with_pass = |name, down_ms, pred_ms, given_ms, obs_mib: u64, pred_mib: u64| RunCheck {
            observed_final_pass_bytes: Some(obs_mib << 20),
            predicted_final_pass_bytes: Some(pred_mib << 20),
            predicted_downtime_given_final_pass_ms: Some(given_ms),
            ..run(name, name, 10_000.0, down_ms, pred_ms)
        };
        let checks = [
            // The model's pass 2 MiB short, 30 ms off; with the run's own, 5 ms.
            with_pass("a", 140.0, 110.0, 135.0, 12, 10),
            // The model's pass right: the same either way, 30 ms off.
            with_pass("b", 200.0, 230.0, 230.0, 12, 12),
            // No final pass recorded: left out of the split, not of the summary.
            run("c", "c", 10_000.0, 100.0, 190.0),
        ];
        let s = summarize(&checks);
        assert!((s.downtime_mae_ms - 50.0).abs() < 1e-9, "{s:?}");
        let p = s.pause_split.unwrap();
        assert_eq!(p.runs, 2);
        assert!((p.model_downtime_mae_ms - 30.0).abs() < 1e-9, "{p:?}");
        assert!((p.final_pass_mae_mib - 1.0).abs() < 1e-9, "{p:?}");
        assert!((p.downtime_mae_ms - 17.5).abs() < 1e-9, "{p:?}");
        // 5 of 140 and 30 of 200 ms.
        let mape = (5.0 / 140.0 + 30.0 / 200.0) * 100.0 / 2.0;
        assert!((p.downtime_mape - mape).abs() < 1e-9, "{p:?}");
        // 30 ms is within 20 % of 200 ms but not of 140 ms; 5 ms is within.
        assert!((p.model_downtime_within_tolerance - 0.5).abs() < 1e-9);
        assert!((p.downtime_within_tolerance - 1.0).abs() < 1e-9);
    }

    #[test]
    fn runs_are_banded_by_the_host_load_they_ran_at() {
        let at = |name, load, down_ms, pred_ms| RunCheck {
            host_load_avg: load,
            ..run(name, name, 10_000.0, down_ms, pred_ms)
        };
        let checks = [
            at("quiet", Some(0.9), 100.0, 110.0),
            at("quiet-2", Some(1.49), 200.0, 170.0),
            // 1.5 opens the next band.
            at("busy", Some(1.5), 100.0, 150.0),
            at("very-busy", Some(7.8), 100.0, 100.0),
            // Unknown load: in the summary, in no band.
            at("unknown", None, 100.0, 400.0),
        ];
        let bands = summarize(&checks).by_host_load;
        let key: Vec<_> = bands
            .iter()
            .map(|b| (b.load_from, b.load_to, b.runs))
            .collect();
        assert_eq!(
            key,
            [(0.0, Some(1.5), 2), (1.5, Some(3.0), 1), (3.0, None, 1)]
        );
        // 10 and 30 ms off; 10 % and 15 %; 30 ms is within 20 % of 200 ms.
        assert!((bands[0].downtime_mae_ms - 20.0).abs() < 1e-9);
        assert!((bands[0].downtime_mape - 12.5).abs() < 1e-9);
        assert!((bands[0].downtime_within_tolerance - 1.0).abs() < 1e-9);
        assert!((bands[1].downtime_within_tolerance - 0.0).abs() < 1e-9);
        // 10 s predicted for 10 s observed.
        assert!(bands[2].total_time_mape.abs() < 1e-9);
        let none = [at("unknown", None, 100.0, 100.0)];
        assert!(summarize(&none).by_host_load.is_empty());
    }

    #[test]
    fn no_repeats_no_baseline() {
        let checks = [
            run("a", "a", 10_000.0, 100.0, 120.0),
            run("b", "b", 10_000.0, 100.0, 120.0),
        ];
        assert_eq!(summarize(&checks).repeat_baseline, None);
    }
}
