//! `migbench report`.

use super::BadInput;
use anyhow::{Context, Result};
use migbench::bundle::{Bundle, MANIFEST};
use migbench::report::build::{self, BuildError, Built};
use migbench::report::{explain, html};
use migbench::scenario;
use std::path::{Path, PathBuf};

/// Draw a migration timeline and explain where the outage goes.
///
/// From a recorded bundle (a directory with trace.toml): remaining and processed
/// memory with the passes marked, bandwidth and dirty rate, the CPU throttle, ping
/// round trips with lost probes, and every PV's values at client and server time, with
/// the migration window and the pause marked; the outage split into the pause (job
/// statistics) and the network, each PV's stall explained, and the model's prediction
/// beside it.
///
/// From a scenario (a TOML file): the simulated passes (remaining memory, bytes per
/// pass, bandwidth, throttle, expected downtime), the pause in its parts, and what
/// happens after it: STP listening and learning, self-announce rounds, the ping outage
/// and each PV's Channel Access circuit resuming at a TCP retransmission.
///
/// The explanation is printed (or JSON with --json); the plot is SVG, the page HTML
/// with the SVG inline and no external assets.
///
/// Exit status: 0 success, 2 bad input (the message names the file).
///
/// Examples:
///   migbench report scenarios/ihep-epics-demo.toml -o demo.svg --html demo.html
///   migbench report traces/lab-tcg-stp-fd10s-idle-512m-a2b -o stp.svg
///   migbench report traces/lab-tcg-idle-512m-a2b --json
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// A bundle directory (with trace.toml) or a scenario file (TOML).
    pub input: PathBuf,
    /// Write the timeline here (SVG).
    #[arg(short = 'o', long = "output", value_name = "FILE.svg")]
    pub output: Option<PathBuf>,
    /// Write a self-contained HTML page here: the SVG, the explanation, the tables.
    #[arg(long, value_name = "FILE.html")]
    pub html: Option<PathBuf>,
    /// Seed of the simulation (of the scenario, or of the bundle's prediction).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// A calibrated model file (models/*.toml) filling in what the scenario or the
    /// recording's parameters leave unset.
    #[arg(long)]
    pub model: Option<PathBuf>,
}

fn build(a: &Args) -> Result<Built> {
    let input = &a.input;
    let plot_bug = |e: BuildError| -> anyhow::Error {
        match e {
            BuildError::Replay(r) => BadInput(r.to_string()).into(),
            BuildError::Plot(p) => anyhow::anyhow!("{}: {p}", input.display()),
        }
    };
    if input.is_dir() {
        if !input.join(MANIFEST).is_file() {
            return Err(BadInput(format!(
                "{}: a directory without {MANIFEST} is not a bundle",
                input.display()
            ))
            .into());
        }
        let b = Bundle::load(input).map_err(|e| BadInput(e.to_string()))?;
        let params = match &a.model {
            Some(m) => {
                let run = migbench::calibrate::Run::from_bundle(&b)
                    .map_err(|e| BadInput(e.to_string()))?;
                Some(super::with_model(m, &b.scenario_file(), run.as_ref())?)
            }
            None => None,
        };
        return build::bundle(&b, params, a.seed).map_err(plot_bug);
    }
    if !input.exists() {
        return Err(BadInput(format!(
            "{}: no such bundle directory or scenario file",
            input.display()
        ))
        .into());
    }
    let mut sc = scenario::load(input).map_err(|e| BadInput(e.to_string()))?;
    if let Some(m) = &a.model {
        sc.params = super::with_model(m, &sc.file, None)?;
    }
    let description = sc.file.description.clone().unwrap_or_default();
    build::scenario(&sc.name, &description, &sc.params, a.seed).map_err(plot_bug)
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// Runs the command.
pub fn run(a: &Args, json: bool) -> Result<()> {
    let r = build(a)?;
    if let Some(p) = &a.output {
        write(p, &r.svg)?;
        eprintln!("timeline written to {}", p.display());
    }
    if let Some(p) = &a.html {
        write(p, &html::page(&r.explanation, &r.svg, &r.tables))?;
        eprintln!("page written to {}", p.display());
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        print!("{}", explain::render(&r.explanation));
    }
    Ok(())
}
