//! Prediction against observation: the model run for the recorded parameters, and
//! each measured quantity checked against it with a stated tolerance.

use super::observe::Observation;
use crate::model::{ModelParams, Outcome};
use crate::units::ns_to_ms;
use serde::Serialize;

/// The tolerances a replay is held to (issue targets for a calibrated model).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Tolerances {
    /// Total time, relative.
    pub total_time_rel: f64,
    /// RAM bytes sent, relative.
    pub bytes_rel: f64,
    /// Downtime, relative...
    pub downtime_rel: f64,
    /// ...or absolute, ms, whichever is larger.
    pub downtime_abs_ms: f64,
    /// Ping outage and PV stall, relative (or one probe or scan period, if larger).
    pub outage_rel: f64,
}

impl Default for Tolerances {
    fn default() -> Self {
        Self {
            total_time_rel: 0.05,
            bytes_rel: 0.05,
            downtime_rel: 0.20,
            downtime_abs_ms: 20.0,
            outage_rel: 0.10,
        }
    }
}

impl Tolerances {
    /// Whether a predicted downtime is within tolerance of the observed one: the
    /// relative share of it or the absolute margin, whichever is larger.
    pub fn downtime_within(&self, predicted_ms: f64, observed_ms: f64) -> bool {
        (predicted_ms - observed_ms).abs()
            <= (observed_ms * self.downtime_rel).max(self.downtime_abs_ms)
    }
}

/// The model's prediction, in the units observations come in.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Predicted {
    /// Verdict.
    pub verdict: String,
    /// Whether pre-copy converges (without switching to post-copy).
    pub converged: bool,
    /// Total time, ms.
    pub total_time_ms: f64,
    /// RAM stream bytes (what libvirt calls memory processed).
    pub memory_processed_bytes: u64,
    /// Downtime as QEMU reports it (source view: stop to end of stream), ms.
    pub downtime_ms: f64,
    /// Guest pause, stop on the source to running on the destination (libvirt's
    /// "Total downtime"), ms. A replay takes it, with `downtime_ms` and `outage_ms`,
    /// from the run with the median pause over where QEMU's rate-limit windows fall in
    /// the guest's data ([`crate::model::phase`]).
    pub guest_downtime_ms: f64,
    /// Where the guest pause falls 90 % of the time around `guest_downtime_ms`, by a
    /// calibrated model's runs, ms (set by the caller that has the model).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guest_downtime_range_ms: Option<[f64; 2]>,
    /// Of the guest pause, the NFS storage handover (source flush, destination
    /// re-open and lock), ms.
    pub storage_ms: f64,
    /// Passes (dirty-sync-count).
    pub iterations: u64,
    /// Ping outage, ms.
    pub outage_ms: f64,
    /// Of which the network after resume, ms.
    pub network_ms: f64,
    /// Why the network took that long.
    pub network_cause: String,
    /// Per PV: the predicted longest stall.
    pub pv: Vec<PvStall>,
    /// Highest throttle, %.
    pub max_throttle_pct: f64,
}

/// A PV's predicted stall.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PvStall {
    /// PV name.
    pub name: String,
    /// Scan period, ms.
    pub scan_period_ms: f64,
    /// Longest time without an update (mean over scan phases), ms.
    pub stall_ms: f64,
    /// The shortest and the longest of it over the scan phases, ms: where in its
    /// scan period the PV stood when the network went away decides which.
    pub stall_ms_min: f64,
    /// See `stall_ms_min`.
    pub stall_ms_max: f64,
    /// Updates delivered late in a burst (mean over scan phases).
    pub late_values: f64,
}

/// The prediction from a model outcome.
pub fn predicted(p: &ModelParams, o: &Outcome) -> Predicted {
    Predicted {
        verdict: o.verdict.to_string(),
        converged: o.completed && !o.postcopy_used,
        total_time_ms: ns_to_ms(o.total_time_ns),
        memory_processed_bytes: o.bytes_sent.saturating_sub(p.guest.device_state_bytes),
        downtime_ms: ns_to_ms(o.downtime.reported_ns),
        guest_downtime_ms: ns_to_ms(o.downtime.guest_ns),
        guest_downtime_range_ms: None,
        storage_ms: ns_to_ms(o.downtime.storage_flush_ns + o.downtime.storage_open_ns),
        iterations: o.passes.last().map_or(1, |p| p.index),
        outage_ms: ns_to_ms(o.after_resume.outage_ns),
        network_ms: ns_to_ms(o.after_resume.network_ns),
        network_cause: o.after_resume.cause.clone(),
        pv: o
            .pvs
            .iter()
            .map(|p| PvStall {
                name: p.name.clone(),
                scan_period_ms: ns_to_ms(p.scan_period_ns),
                stall_ms: p.stall_ns.mean / 1e6,
                stall_ms_min: p.stall_ns.min / 1e6,
                stall_ms_max: p.stall_ns.max / 1e6,
                late_values: p.late_values.mean,
            })
            .collect(),
        max_throttle_pct: o.max_throttle_pct,
    }
}

/// One checked quantity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// What is compared.
    pub quantity: String,
    /// Observed value (or its lower bound).
    pub observed: f64,
    /// Upper bound of the observation when it is an interval.
    pub observed_hi: Option<f64>,
    /// Predicted value.
    pub predicted: f64,
    /// Error: relative for relative tolerances, else absolute, in the quantity's unit.
    pub error: f64,
    /// The tolerance stated.
    pub tolerance: String,
    /// Whether it is met.
    pub pass: bool,
}

fn rel(quantity: &str, observed: f64, predicted: f64, tol: f64) -> Check {
    let error = if observed != 0.0 {
        (predicted - observed) / observed
    } else {
        predicted
    };
    Check {
        quantity: quantity.into(),
        observed,
        observed_hi: None,
        predicted,
        error,
        tolerance: format!("{:.0} %", tol * 100.0),
        pass: error.abs() <= tol,
    }
}

/// Holds the observation against the prediction.
pub fn checks(obs: &Observation, pred: &Predicted, tol: &Tolerances) -> Vec<Check> {
    let mut out = Vec::new();
    if let Some(j) = &obs.job {
        out.push(Check {
            quantity: "converged".into(),
            observed: j.converged as u8 as f64,
            observed_hi: None,
            predicted: pred.converged as u8 as f64,
            error: (pred.converged as u8 as f64) - (j.converged as u8 as f64),
            tolerance: "same verdict".into(),
            pass: j.converged == pred.converged,
        });
        if j.converged && pred.converged {
            if let Some(t) = j.total_time_ms {
                out.push(rel(
                    "total_time_ms",
                    t,
                    pred.total_time_ms,
                    tol.total_time_rel,
                ));
            }
            if let Some(b) = j.memory_processed_bytes {
                out.push(rel(
                    "memory_processed_bytes",
                    b as f64,
                    pred.memory_processed_bytes as f64,
                    tol.bytes_rel,
                ));
            }
            if let (Some(d), false) = (j.downtime_ms, j.downtime_expected) {
                out.push(Check {
                    quantity: "downtime_ms".into(),
                    observed: d,
                    observed_hi: None,
                    predicted: pred.guest_downtime_ms,
                    error: pred.guest_downtime_ms - d,
                    tolerance: format!(
                        "{:.0} % or {:.0} ms",
                        tol.downtime_rel * 100.0,
                        tol.downtime_abs_ms
                    ),
                    pass: tol.downtime_within(pred.guest_downtime_ms, d),
                });
            }
        }
    }
    let converged_both = obs.job.as_ref().is_none_or(|j| j.converged) && pred.converged;
    if let (Some(p), true) = (&obs.ping, converged_both) {
        let slack_lo = (p.outage_ms_lo * tol.outage_rel).max(p.interval_ms);
        let hi = p.outage_ms_hi.unwrap_or(f64::INFINITY);
        let slack_hi = (hi * tol.outage_rel).max(p.interval_ms);
        let x = pred.outage_ms;
        let error = if x < p.outage_ms_lo {
            x - p.outage_ms_lo
        } else if x > hi {
            x - hi
        } else {
            0.0
        };
        out.push(Check {
            quantity: "ping_outage_ms".into(),
            observed: p.outage_ms_lo,
            observed_hi: p.outage_ms_hi,
            predicted: x,
            error,
            tolerance: format!(
                "within the bounds, {:.0} % or one probe beyond",
                tol.outage_rel * 100.0
            ),
            pass: x >= p.outage_ms_lo - slack_lo && x <= hi + slack_hi,
        });
    }
    if converged_both {
        for pv in &obs.pv {
            let (Some(stall), Some(pred)) = (
                pv.longest_stall_ms,
                pred.pv.iter().find(|p| p.name == pv.name),
            ) else {
                continue;
            };
            // One recording is one scan phase: it passes near the mean or inside the
            // range the phases give.
            let in_range = stall >= pred.stall_ms_min && stall <= pred.stall_ms_max;
            out.push(Check {
                quantity: format!("pv_stall_ms {}", pv.name),
                observed: stall,
                observed_hi: None,
                predicted: pred.stall_ms,
                error: pred.stall_ms - stall,
                tolerance: format!(
                    "{:.0} % or in {:.0}..{:.0} (scan phases)",
                    tol.outage_rel * 100.0,
                    pred.stall_ms_min,
                    pred.stall_ms_max
                ),
                pass: (pred.stall_ms - stall).abs() <= stall * tol.outage_rel || in_range,
            });
        }
    }
    out
}
