//! `migbench sweep`.

use super::{BadInput, progress};
use anyhow::{Context, Result};
use migbench::report::{plot, sweep as report};
use migbench::scenario;
use migbench::whatif::{sweep, vary};
use std::path::PathBuf;

/// Simulate a scenario over a range of one or two parameters: a table, the
/// convergence boundary, and an SVG plot of total time and downtime against the
/// varied parameter with the verdict regions shaded.
///
/// Parameters (NAME=FROM..TO[:STEPS[:log]], 11 steps by default):
///   write_rate       page writes/s into the working set (workload.hot_writes_per_s)
///   cold_write_rate  page writes/s elsewhere             (workload.cold_writes_per_s)
///   cpu_load         vCPU load of the writing work, %    (workload.cpu_load_pct; the
///                    write rate follows through page_writes_per_cpu_s or --model)
///   wws              working set, MiB                    (workload.wws_mib)
///   memory           guest RAM, MiB                      (guest.memory_mib)
///   bandwidth        link rate, Mbit/s                   (link.bandwidth_mbit_s)
///   max_bandwidth    max-bandwidth, MiB/s                (migration.max_bandwidth_mib_s)
///   downtime_limit   downtime limit, ms                  (migration.downtime_limit_ms)
///   nfs_rtt          NFS round trip, ms                  (storage.nfs_rtt_ms)
///   forward_delay    bridge forward delay, s             (network.forward_delay_s)
/// or any numeric scenario field by its path, e.g. link.rtt_ms. Give --vary twice
/// for a map.
///
/// Examples:
///   migbench sweep scenarios/ihep-heavy-cpu.toml --vary write_rate=1000..40000:40 --plot sweep.svg
///   migbench sweep scenarios/ihep-heavy-cpu.toml --model models/lab-tcg.toml --vary cpu_load=1..20:20
///   migbench sweep scenarios/ihep-epics-demo.toml --vary wws=8..512:20:log --vary max_bandwidth=16..112:7
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Scenario file to start from.
    pub scenario: PathBuf,
    /// NAME=FROM..TO[:STEPS[:log]]; once for a line, twice for a map.
    #[arg(long, required = true, value_name = "SPEC")]
    pub vary: Vec<String>,
    /// Seed of every run (the same seed at every point, so only the parameter changes).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Write an SVG plot here.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
    /// Threads (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// A calibrated model file (models/*.toml) filling in what the scenario leaves
    /// unsaid at every point; `cpu_load` needs one (or the scenario's
    /// workload.page_writes_per_cpu_s) to turn CPU load into a write rate.
    #[arg(long, value_name = "FILE.toml")]
    pub model: Option<PathBuf>,
}

/// Runs the command.
pub fn run(a: &Args, json: bool) -> Result<()> {
    let sc = scenario::load(&a.scenario).map_err(|e| BadInput(e.to_string()))?;
    if a.vary.len() > 2 {
        return Err(BadInput("--vary: at most two parameters (a line or a map)".into()).into());
    }
    let vary = a
        .vary
        .iter()
        .map(|s| vary::parse(s).map_err(|e| BadInput(format!("--vary {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let total: usize = vary.iter().map(|v| v.values.len()).product();
    if total > 1_000_000 {
        return Err(BadInput(format!(
            "--vary: {total} points is too many (at most 1000000)"
        ))
        .into());
    }
    let pb = progress::bar(total as u64, "sweeping");
    let threads = a.threads.unwrap_or_else(migbench::par::cores);
    let model = a
        .model
        .as_deref()
        .map(migbench::calibrate::ModelFile::load)
        .transpose()
        .map_err(|e| BadInput(e.to_string()))?;
    let s = sweep::run(&sc.file, &vary, model.as_ref(), a.seed, threads, &|| {
        pb.inc(1)
    })
    .map_err(|e| BadInput(format!("{}: {e}", a.scenario.display())))?;
    pb.finish_and_clear();
    if let Some(path) = &a.plot {
        let title = format!("{}: {}", sc.name, s.names.join(" x "));
        let svg = plot::sweep_svg(&s, &title).map_err(anyhow::Error::msg)?;
        std::fs::write(path, svg).with_context(|| format!("writing {}", path.display()))?;
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&s)?);
    } else {
        print!("{}", report::render(&s, &sc.name));
        if let Some(path) = &a.plot {
            println!("plot written to {}", path.display());
        }
    }
    Ok(())
}
