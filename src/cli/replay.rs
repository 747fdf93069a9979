//! `migbench replay`.

use super::BadInput;
use anyhow::Result;
use migbench::bundle::Bundle;
use migbench::calibrate::ModelFile;
use migbench::replay::compare::Tolerances;
use migbench::replay::observe::{LooseFiles, observe_files};
use migbench::replay::{Replay, replay, replay_bundle};
use migbench::report::replay::render;
use migbench::scenario;
use std::path::PathBuf;

/// Replay a recorded migration: measure what really happened from the raw files and
/// hold it against the model's prediction for the recorded parameters.
///
/// From a bundle (a directory with trace.toml and the raw files), or from loose files
/// for a quick look: a ping log, PV logs (camonitor, Phoebus export, Archiver
/// Appliance JSON/CSV) and job statistics (virsh domjobinfo, a timestamped series,
/// libvirt job statistics JSON lines, QEMU query-migrate).
///
/// It reports the migration window from the job statistics; the ping outage at the
/// switch as an interval (a 0.1 s probe cannot see less than its interval); per PV
/// the longest stall in client time, the longest gap in server time, late and missed
/// values, the server-vs-client clock offset before and after the switch, and whether
/// the IOC stopped or only its clients were cut off; then the prediction and a
/// pass/fail per quantity against stated tolerances (total time and bytes 5 %,
/// downtime 20 % or 20 ms, ping outage and PV stall 10 % or one period).
///
/// Exit status: 0 pass (or observed only), 3 when a check fails, 2 bad input.
///
/// Examples:
///   migbench replay traces/lab-tcg-idle-512m-a2b
///   migbench replay --ping ping.log --pv camonitor.log --jobstats domjobinfo.txt --json
///   migbench replay --ping ping.log --pv cam.log --timezone +01:00 --scenario my.toml
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// A bundle directory (with trace.toml).
    pub bundle: Option<PathBuf>,
    /// Loose ping (or fping) log.
    #[arg(long, conflicts_with = "bundle")]
    pub ping: Option<PathBuf>,
    /// Loose PV log (repeatable): camonitor, Phoebus export, Archiver JSON, or Archiver
    /// CSV (which carries no PV name: it is named after its file, rootHost:ai1.csv).
    #[arg(long, conflicts_with = "bundle")]
    pub pv: Vec<PathBuf>,
    /// Loose job statistics (repeatable: a series and a --completed snapshot).
    #[arg(long, conflicts_with = "bundle")]
    pub jobstats: Vec<PathBuf>,
    /// Zone of local-time stamps in loose PV logs: UTC or +HH:MM.
    #[arg(long, default_value = "UTC")]
    pub timezone: String,
    /// Ping interval of the loose ping log, s.
    #[arg(long, default_value_t = 0.1)]
    pub ping_interval_s: f64,
    /// Scan period of a PV in the loose logs, NAME:SECONDS (repeatable; default 1 s).
    #[arg(long, value_name = "NAME:SECONDS")]
    pub scan_period: Vec<String>,
    /// Parameters to predict loose files from (a scenario file); a bundle uses its own.
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    /// A calibrated model file filling in what the recording's parameters leave
    /// unset (with a bundle, its link probe and NFS round trip are used too).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Seed of the prediction.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// Runs the command; returns whether every check passed.
pub fn run(a: &Args, json: bool) -> Result<bool> {
    let tol = Tolerances::default();
    // The model file read once, with its path for messages.
    let model = match a.model.as_deref() {
        Some(path) => Some((path, super::load_model(path)?)),
        None => None,
    };
    let mut r: Replay = if let Some(dir) = &a.bundle {
        let b = Bundle::load(dir).map_err(|e| BadInput(e.to_string()))?;
        let params = match (&a.scenario, &model) {
            (Some(s), _) => Some(params_of(s, model.as_ref())?),
            (None, Some((path, m))) => {
                let run = migbench::calibrate::Run::from_bundle(&b)
                    .map_err(|e| BadInput(e.to_string()))?;
                Some(super::with_model_file(
                    m,
                    path,
                    &b.scenario_file(),
                    run.as_ref(),
                )?)
            }
            (None, None) => None,
        };
        replay_bundle(&b, params, a.seed, tol).map_err(|e| BadInput(e.to_string()))?
    } else {
        if a.ping.is_none() && a.pv.is_empty() && a.jobstats.is_empty() {
            return Err(BadInput(
                "give a bundle directory, or loose files with --ping, --pv, --jobstats".into(),
            )
            .into());
        }
        if !(a.ping_interval_s.is_finite() && a.ping_interval_s > 0.0) {
            return Err(BadInput(format!(
                "--ping-interval-s: {} is not an interval",
                a.ping_interval_s
            ))
            .into());
        }
        let mut files = LooseFiles {
            ping: a.ping.clone(),
            pv: a.pv.clone(),
            jobstats: a.jobstats.clone(),
            utc_offset: Some(
                a.timezone
                    .parse()
                    .map_err(|m: String| BadInput(format!("--timezone: {m}")))?,
            ),
            ping_interval_ms: Some(a.ping_interval_s * 1000.0),
            ..Default::default()
        };
        for spec in &a.scan_period {
            let (name, period) = spec
                .rsplit_once(':')
                .and_then(|(n, p)| p.parse::<f64>().ok().filter(|p| *p > 0.0).map(|p| (n, p)))
                .ok_or_else(|| BadInput(format!("--scan-period {spec}: expected NAME:SECONDS")))?;
            files
                .pv_params
                .insert(name.to_string(), (period * 1000.0, None));
        }
        let observed = observe_files(&files).map_err(|e| BadInput(e.to_string()))?;
        let params = match &a.scenario {
            Some(s) => Some(params_of(s, model.as_ref())?),
            None => None,
        };
        replay("loose files", observed, params.as_ref(), a.seed, tol)
    };
    if let (Some((_, m)), Some(p)) = (&model, r.predicted.as_mut())
        && p.converged
    {
        p.guest_downtime_range_ms = m.downtime_range_ms(p.guest_downtime_ms);
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        print!("{}", render(&r));
    }
    Ok(r.verdict != "fail")
}

/// A scenario's model input, with a calibrated model filling in when given.
fn params_of(
    scenario_path: &std::path::Path,
    model: Option<&(&std::path::Path, ModelFile)>,
) -> Result<migbench::model::ModelParams> {
    let sc = scenario::load(scenario_path).map_err(|e| BadInput(e.to_string()))?;
    match model {
        Some((path, m)) => super::with_model_file(m, path, &sc.file, None),
        None => Ok(sc.params),
    }
}
