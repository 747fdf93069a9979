//! The `report` command's product, built without I/O beyond reading a bundle: the
//! explanation, the timeline SVG, the text tables and the plotted data.

use super::explain::{self, Explanation};
use super::timeline::{self, BundleTimeline, ScenarioTimeline};
use super::{replay as replay_report, simulate as simulate_report, timeline_svg};
use crate::bundle::Bundle;
use crate::model::{ModelParams, simulate};
use crate::replay::compare::Tolerances;
use crate::replay::observe::{ReplayError, observe_bundle};
use crate::replay::replay;
use serde::Serialize;

/// What was plotted.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Plotted {
    /// A recorded run.
    Bundle(BundleTimeline),
    /// A simulated one.
    Scenario(ScenarioTimeline),
}

/// A built report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Built {
    /// Where the outage goes.
    pub explanation: Explanation,
    /// The plotted data.
    pub timeline: Plotted,
    /// The timeline as SVG text.
    #[serde(skip)]
    pub svg: String,
    /// The text report (`simulate` or `replay`) for the HTML page.
    #[serde(skip)]
    pub tables: String,
}

/// Why a report could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The bundle or one of its files.
    #[error(transparent)]
    Replay(#[from] ReplayError),
    /// Plotting failed (a bug, not bad input).
    #[error("{0}")]
    Plot(String),
}

/// The report of scenario `name` simulated with `seed`.
pub fn scenario(
    name: &str,
    description: &str,
    p: &ModelParams,
    seed: u64,
) -> Result<Built, BuildError> {
    let o = simulate(p, seed);
    let tl = timeline::scenario_timeline(name, p, &o);
    let svg = timeline_svg::scenario_svg(&tl, &o, &explain::scenario_headline(name, &o))
        .map_err(BuildError::Plot)?;
    Ok(Built {
        explanation: explain::scenario(name, description, p, &o),
        tables: simulate_report::render_run(&simulate_report::run_report(name, &o), p, None),
        timeline: Plotted::Scenario(tl),
        svg,
    })
}

/// The report of a recorded bundle, replayed against the model with `seed`, using
/// `params` (e.g. filled in by a calibrated model) instead of the manifest's own.
pub fn bundle(b: &Bundle, params: Option<ModelParams>, seed: u64) -> Result<Built, BuildError> {
    let observed = observe_bundle(b)?;
    // A bundle whose parameters cannot be simulated is still worth drawing.
    let params = match params {
        Some(p) => Ok(p),
        None => b.params(),
    };
    let mut r = replay(
        &b.manifest.bundle.name,
        observed,
        params.as_ref().ok(),
        seed,
        Tolerances::default(),
    );
    if let Err(e) = &params {
        r.no_prediction = Some(format!("no prediction: {e}"));
    }
    let model = params.as_ref().ok().map(|p| simulate(p, seed));
    let tl = timeline::bundle_timeline(b, &r.observed, model.as_ref())?;
    let svg = timeline_svg::bundle_svg(&tl, &explain::bundle_headline(&r, &tl))
        .map_err(BuildError::Plot)?;
    Ok(Built {
        explanation: explain::bundle(b, &r, &tl, params.as_ref().ok().zip(model.as_ref())),
        tables: replay_report::render(&r),
        timeline: Plotted::Bundle(tl),
        svg,
    })
}
