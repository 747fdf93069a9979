//! Command-line parsing and dispatch.

mod advise;
mod evacuate;
mod fit;
mod lab;
mod progress;
mod record;
mod replay;
mod report;
mod simulate;
mod sweep;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Bad input: a scenario, trace or flag the user must fix (exit status 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

/// migbench: predict, record and replay live migrations of KVM VMs running EPICS IOCs.
///
/// Simulate QEMU's pre-copy before you try a migration: how long it takes, how much
/// it sends, how long the IOC goes dark, and whether it converges at all.
#[derive(Debug, Parser)]
#[command(
    name = "migbench",
    version,
    propagate_version = true,
    max_term_width = 100
)]
struct Cli {
    /// Print machine-readable JSON instead of tables.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Simulate(simulate::Args),
    Sweep(sweep::Args),
    Advise(advise::Args),
    Evacuate(evacuate::Args),
    Record(Box<record::Args>),
    Lab(lab::Args),
    Replay(replay::Args),
    Fit(fit::FitArgs),
    Validate(fit::ValidateArgs),
    Report(report::Args),
}

/// The model input for `file` with a calibrated model file filling in what it leaves
/// unset; for a recorded `run` (whose parameters `file` holds), at the host load and
/// NFS round trip it measured.
pub fn with_model(
    model: &std::path::Path,
    file: &migbench::scenario::ScenarioFile,
    run: Option<&migbench::calibrate::Run>,
) -> anyhow::Result<migbench::model::ModelParams> {
    with_model_file(&load_model(model)?, model, file, run)
}

/// Reads a model file; a bad one is bad input.
pub fn load_model(model: &std::path::Path) -> anyhow::Result<migbench::calibrate::ModelFile> {
    Ok(migbench::calibrate::ModelFile::load(model).map_err(|e| BadInput(e.to_string()))?)
}

/// [`with_model`] with the model file already read from `model`.
pub fn with_model_file(
    m: &migbench::calibrate::ModelFile,
    model: &std::path::Path,
    file: &migbench::scenario::ScenarioFile,
    run: Option<&migbench::calibrate::Run>,
) -> anyhow::Result<migbench::model::ModelParams> {
    let filled = match run {
        Some(r) => r.filled(m),
        None => m.fill(file, None, None, None),
    };
    migbench::scenario::from_file(&filled).map_err(|problems| {
        BadInput(format!(
            "{} with {}: {}",
            file.name.as_deref().unwrap_or("scenario"),
            model.display(),
            problems
                .iter()
                .map(|p| format!("{}: {}", p.field, p.message))
                .collect::<Vec<_>>()
                .join("; ")
        ))
        .into()
    })
}

/// Parses the command line, runs the command and maps errors to exit codes.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Simulate(a) => simulate::run(a, cli.json),
        Command::Sweep(a) => sweep::run(a, cli.json),
        Command::Advise(a) => advise::run(a, cli.json),
        Command::Evacuate(a) => evacuate::run(a, cli.json),
        Command::Fit(a) => fit::run_fit(a, cli.json),
        Command::Validate(a) => fit::run_validate(a, cli.json),
        Command::Record(a) => record::run(a, cli.json),
        Command::Lab(a) => lab::run(a, cli.json),
        Command::Report(a) => report::run(a, cli.json),
        Command::Replay(a) => match replay::run(a, cli.json) {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::from(3),
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("migbench: {e:#}");
            if e.downcast_ref::<BadInput>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
