//! `migbench advise`.

use super::BadInput;
use anyhow::Result;
use migbench::report::table::Table;
use migbench::scenario::{self, ScenarioFile};
use migbench::whatif::advise::{Advice, advise};
use std::path::PathBuf;

/// Which migration to use: live pre-copy, auto-converge, post-copy or offline.
///
/// Simulates each on the scenario (or on a dirty rate you measured), prints the
/// predicted downtime, total time and degraded time of each, what every PV's clients
/// will see (how long without updates, how many updates arrive late or are never
/// produced, whether they disconnect), and which strategy to use and why.
///
/// Examples:
///   migbench advise scenarios/ihep-heavy-cpu.toml
///   migbench advise --measured-dirty-rate 8000 --memory-mib 512 --max-bandwidth-mib-s 32
///   migbench advise scenarios/ihep-epics-demo.toml --measured-dirty-rate 20000 --json
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Scenario file (optional with --measured-dirty-rate: defaults stand in).
    pub scenario: Option<PathBuf>,
    /// A dirty rate you measured, pages/s (libvirt's "Dirty rate", QEMU's
    /// dirty-pages-rate): modelled as that many new pages written per second, the
    /// pessimistic reading.
    #[arg(long, value_name = "PAGES_PER_S")]
    pub measured_dirty_rate: Option<f64>,
    /// Guest RAM, MiB (with --measured-dirty-rate and no scenario: required).
    #[arg(long)]
    pub memory_mib: Option<f64>,
    /// Link rate, Mbit/s.
    #[arg(long)]
    pub bandwidth_mbit_s: Option<f64>,
    /// max-bandwidth, MiB/s.
    #[arg(long)]
    pub max_bandwidth_mib_s: Option<f64>,
    /// Downtime limit, ms.
    #[arg(long)]
    pub downtime_limit_ms: Option<f64>,
    /// A PV and its scan period, NAME:SECONDS (repeatable; adds to the scenario's).
    #[arg(long, value_name = "NAME:SECONDS")]
    pub pv: Vec<String>,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

fn base(a: &Args) -> Result<(String, ScenarioFile)> {
    let (name, mut f) = match &a.scenario {
        Some(path) => {
            let s = scenario::load(path).map_err(|e| BadInput(e.to_string()))?;
            (s.name, s.file)
        }
        None => {
            if a.measured_dirty_rate.is_none() {
                return Err(
                    BadInput("give a scenario file or --measured-dirty-rate".into()).into(),
                );
            }
            let mem = a
                .memory_mib
                .ok_or_else(|| BadInput("--memory-mib is needed without a scenario".into()))?;
            let mut f = ScenarioFile::default();
            f.guest.memory_mib = mem;
            ("measured".to_string(), f)
        }
    };
    if let Some(rate) = a.measured_dirty_rate {
        if !(rate.is_finite() && rate >= 0.0) {
            return Err(BadInput(format!(
                "--measured-dirty-rate: {rate} is not a rate in pages/s"
            ))
            .into());
        }
        f.workload.wws_mib = Some(0.0);
        f.workload.hot_writes_per_s = Some(0.0);
        f.workload.cold_writes_per_s = Some(rate);
        f.workload.phases.clear();
    }
    if let Some(m) = a.memory_mib {
        f.guest.memory_mib = m;
    }
    if a.bandwidth_mbit_s.is_some() {
        f.link.bandwidth_mbit_s = a.bandwidth_mbit_s;
    }
    if a.max_bandwidth_mib_s.is_some() {
        f.migration.max_bandwidth_mib_s = a.max_bandwidth_mib_s;
    }
    if a.downtime_limit_ms.is_some() {
        f.migration.downtime_limit_ms = a.downtime_limit_ms;
    }
    for spec in &a.pv {
        let (name, period) = spec
            .rsplit_once(':')
            .and_then(|(n, p)| p.parse::<f64>().ok().map(|p| (n, p)))
            .ok_or_else(|| {
                BadInput(format!(
                    "--pv {spec}: expected NAME:SECONDS, e.g. rootHost:ai1:0.1"
                ))
            })?;
        f.pvs.push(scenario::schema::PvSection {
            name: name.to_string(),
            scan_period_s: period,
            counting_modulo: None,
        });
    }
    Ok((name, f))
}

/// Runs the command.
pub fn run(a: &Args, json: bool) -> Result<()> {
    let (name, f) = base(a)?;
    let params = scenario::from_file(&f).map_err(|problems| {
        BadInput(
            problems
                .iter()
                .map(|p| format!("{}: {}", p.field, p.message))
                .collect::<Vec<_>>()
                .join("\n"),
        )
    })?;
    let advice = advise(&params, a.seed);
    if json {
        println!("{}", serde_json::to_string_pretty(&advice)?);
    } else {
        print!("{}", render(&name, &advice));
    }
    Ok(())
}

fn render(name: &str, a: &Advice) -> String {
    let mut out = format!("advice for {name}\n\n");
    let mut t = Table::new(&[
        "strategy",
        "possible",
        "completes",
        "downtime ms",
        "total s",
        "degraded s",
        "throttle %",
        "ping outage s",
    ]);
    for o in &a.options {
        let done = o.available && o.completes;
        t.row(vec![
            o.strategy.as_str().to_string(),
            if o.available { "yes" } else { "no" }.into(),
            if o.completes { "yes" } else { "no" }.into(),
            if done {
                format!("{:.1}", o.downtime_ms)
            } else {
                "-".into()
            },
            if done {
                format!("{:.2}", o.total_time_ms / 1e3)
            } else {
                "-".into()
            },
            if done {
                format!("{:.2}", o.degraded_ms / 1e3)
            } else {
                "-".into()
            },
            format!("{:.0}", o.max_throttle_pct),
            if done {
                format!("{:.2}", o.outage_ms / 1e3)
            } else {
                "-".into()
            },
        ]);
    }
    out.push_str(&t.render());
    out.push_str(&format!(
        "\nrecommended: {}\nwhy: {}\n",
        a.recommended.as_str(),
        a.reason
    ));
    let with_pvs: Vec<_> = a
        .options
        .iter()
        .filter(|o| o.available && o.completes && !o.pvs.is_empty())
        .collect();
    if !with_pvs.is_empty() {
        out.push_str("\nwhat the PV clients see\n");
        let mut t = Table::new(&[
            "strategy",
            "PV",
            "scan s",
            "no update for s",
            "late updates",
            "never produced",
            "disconnect",
        ]);
        for o in with_pvs {
            for p in &o.pvs {
                t.row(vec![
                    o.strategy.as_str().to_string(),
                    p.name.clone(),
                    format!("{}", p.scan_period_s),
                    format!("{:.2}", p.stall_s),
                    format!("{:.0}", p.late_updates),
                    format!("{:.0}", p.skipped_updates),
                    if p.disconnect { "yes" } else { "no" }.into(),
                ]);
            }
        }
        out.push_str(&t.render());
    }
    out
}
