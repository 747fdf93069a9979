//! `migbench simulate`.

use super::BadInput;
use super::progress;
use anyhow::Result;
use migbench::model::{analytic, montecarlo, phase, simulate};
use migbench::report::simulate::{render_run, render_summary, round3, run_report};
use migbench::scenario;
use migbench::units::ns_to_ms;
use std::path::PathBuf;

/// Simulate one migration of a scenario (or many, with --runs).
///
/// Prints the passes (one per dirty-bitmap sync, as QEMU's dirty-sync-count counts
/// them), total time, data sent, downtime with its parts, the ping outage, and a
/// verdict: converged, converged-with-throttle, needs-postcopy or needs-offline.
///
/// Examples:
///   migbench simulate scenarios/ihep-epics-demo.toml
///   migbench simulate scenarios/non-converging.toml --seed 7 --json
///   migbench simulate scenarios/ihep-heavy-cpu.toml --runs 200
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Scenario file (TOML; see scenarios/ for examples).
    pub scenario: PathBuf,
    /// Seed of the random page writes; the same seed gives the same run.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Monte Carlo: run this many seeds (seed, seed+1, ...) and report percentiles.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub runs: u64,
    /// Threads for --runs (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Also show the closed-form geometric model's prediction.
    #[arg(long)]
    pub twin: bool,
    /// A calibrated model file (models/*.toml) filling in what the scenario leaves
    /// unset: zero pages, stream overhead, sender and set-up costs, switchover.
    #[arg(long)]
    pub model: Option<PathBuf>,
}

/// Runs the command.
pub fn run(a: &Args, json: bool) -> Result<()> {
    let mut sc = scenario::load(&a.scenario).map_err(|e| BadInput(e.to_string()))?;
    let mut model_file = None;
    if let Some(m) = &a.model {
        let file = super::load_model(m)?;
        sc.params = super::with_model_file(&file, m, &sc.file, None)?;
        model_file = Some(file);
    }
    // Where the pause falls, by the model's calibration runs: around the median over
    // where QEMU's windows fall in the guest's data, as the model was validated.
    let run_report = |name: &str, o: &migbench::model::Outcome| {
        let mut r = run_report(name, o);
        if let (true, Some(m)) = (r.completed, &model_file) {
            r.downtime_phase_median_ms = phase::median_over_phases(&sc.params, o.seed)
                .map(|median| round3(ns_to_ms(median.downtime.guest_ns)));
            r.downtime_range_ms = r
                .downtime_phase_median_ms
                .and_then(|d| m.downtime_range_ms(d));
        }
        r
    };
    let twin = a.twin.then(|| analytic::geometric(&sc.params));
    if a.runs == 1 {
        let o = simulate(&sc.params, a.seed);
        let r = run_report(&sc.name, &o);
        if json {
            let mut v = serde_json::to_value(&r)?;
            if let (Some(t), Some(obj)) = (&twin, v.as_object_mut()) {
                obj.insert("twin".into(), serde_json::to_value(t)?);
            }
            println!("{}", serde_json::to_string_pretty(&v)?);
        } else {
            print!("{}", render_run(&r, &sc.params, twin.as_ref()));
        }
        return Ok(());
    }
    let threads = a
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let pb = progress::bar(a.runs, "simulating");
    let outcomes = montecarlo::run_batch(&sc.params, a.seed, a.runs, threads, &|| pb.inc(1));
    pb.finish_and_clear();
    let summary = montecarlo::summarize(&outcomes, a.seed);
    // The run with the median total time stands for the batch in the single-run fields.
    let mut order: Vec<usize> = (0..outcomes.len()).collect();
    order.sort_by_key(|&i| (outcomes[i].total_time_ns, i));
    let median = &outcomes[order[order.len() / 2]];
    if json {
        let mut v = serde_json::to_value(run_report(&sc.name, median))?;
        if let Some(obj) = v.as_object_mut() {
            obj.insert("runs".into(), a.runs.into());
            obj.insert("verdicts".into(), serde_json::to_value(&summary.verdicts)?);
            obj.insert("percentiles".into(), serde_json::to_value(&summary)?);
            if let Some(t) = &twin {
                obj.insert("twin".into(), serde_json::to_value(t)?);
            }
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print!("{}", render_summary(&sc.name, &summary));
        println!("\nmedian run (seed {}):", median.seed);
        print!(
            "{}",
            render_run(&run_report(&sc.name, median), &sc.params, twin.as_ref())
        );
    }
    Ok(())
}
