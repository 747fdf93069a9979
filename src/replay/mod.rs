//! Replay of recorded traces: what really happened, measured from the raw data, and
//! held against the model's prediction for the recorded parameters.

pub mod compare;
pub mod observe;
pub mod observed;

use crate::bundle::Bundle;
use crate::model::{ModelParams, phase, simulate};
use crate::units::ns_to_ms;
use compare::{Check, Predicted, Tolerances};
use observe::{Observation, ReplayError};
use serde::Serialize;

/// A replayed recording.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Replay {
    /// Bundle name (or "loose files").
    pub name: String,
    /// What the recording shows.
    pub observed: Observation,
    /// What the model predicts for the recorded parameters, when they are known.
    pub predicted: Option<Predicted>,
    /// Each quantity held against its tolerance.
    pub checks: Vec<Check>,
    /// `pass`, `fail`, or `observed-only` (no parameters to predict from).
    pub verdict: String,
    /// Why there is no prediction, when there is none.
    pub no_prediction: Option<String>,
    /// The tolerances used.
    pub tolerances: Tolerances,
}

/// Replays an observation against `params` (when given).
pub fn replay(
    name: &str,
    observed: Observation,
    params: Option<&ModelParams>,
    seed: u64,
    tol: Tolerances,
) -> Replay {
    let predicted = params.map(|p| {
        let mut pred = compare::predicted(p, &simulate(p, seed));
        // The pause over where QEMU's windows fall in the guest's data (model::phase).
        if let Some(o) = phase::median_over_phases(p, seed) {
            pred.downtime_ms = ns_to_ms(o.downtime.reported_ns);
            pred.guest_downtime_ms = ns_to_ms(o.downtime.guest_ns);
            pred.outage_ms = ns_to_ms(o.after_resume.outage_ns);
        }
        pred
    });
    let checks = predicted
        .as_ref()
        .map_or_else(Vec::new, |pred| compare::checks(&observed, pred, &tol));
    let verdict = match (&predicted, checks.iter().all(|c| c.pass)) {
        (None, _) => "observed-only",
        (Some(_), true) => "pass",
        (Some(_), false) => "fail",
    };
    Replay {
        name: name.to_string(),
        observed,
        no_prediction: params
            .is_none()
            .then(|| "no parameters to predict from".to_string()),
        predicted,
        checks,
        verdict: verdict.to_string(),
        tolerances: tol,
    }
}

/// Replays a bundle with the parameters it records (or `params` instead).
pub fn replay_bundle(
    b: &Bundle,
    params: Option<ModelParams>,
    seed: u64,
    tol: Tolerances,
) -> Result<Replay, ReplayError> {
    let observed = observe::observe_bundle(b)?;
    let params = match params {
        Some(p) => p,
        None => b.params()?,
    };
    Ok(replay(
        &b.manifest.bundle.name,
        observed,
        Some(&params),
        seed,
        tol,
    ))
}
