//! `migbench evacuate`.

use super::BadInput;
use anyhow::Result;
use migbench::report::table::Table;
use migbench::scenario;
use migbench::units::mbit_s_to_bytes_per_s;
use migbench::whatif::evacuate::{Evacuation, Order, Vm, evacuate};
use std::path::PathBuf;

/// Evacuate a host: several IOC VMs leave it, at most --parallel migrations at a time
/// sharing the host's link. Prints the order, when each migration ran, its share of
/// the link, its downtime and verdict, and the total time.
///
/// Each migration is simulated with the share of the link it gets when it starts and
/// keeps it (pessimistic for the last of a batch).
///
/// Examples:
///   migbench evacuate scenarios/ihep-epics-demo.toml --copies 6 --parallel 2
///   migbench evacuate a.toml b.toml c.toml --order hardest-first --link-mbit-s 10000
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Scenario files, one per VM (see --copies).
    #[arg(required = true)]
    pub scenarios: Vec<PathBuf>,
    /// Each scenario stands for this many identical VMs.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub copies: u64,
    /// Migrations at once.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=1_000))]
    pub parallel: u64,
    /// Order in which VMs leave.
    #[arg(long, value_enum, default_value_t = Order::Given)]
    pub order: Order,
    /// The host's link, Mbit/s (default: the first scenario's link).
    #[arg(long)]
    pub link_mbit_s: Option<f64>,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// Runs the command.
pub fn run(a: &Args, json: bool) -> Result<()> {
    let mut vms = Vec::new();
    for path in &a.scenarios {
        let s = scenario::load(path).map_err(|e| BadInput(e.to_string()))?;
        for i in 0..a.copies {
            let name = if a.copies > 1 {
                format!("{}-{}", s.name, i + 1)
            } else {
                s.name.clone()
            };
            vms.push(Vm {
                name,
                params: s.params.clone(),
            });
        }
    }
    let link = match a.link_mbit_s {
        Some(x) if x.is_finite() && x > 0.0 => mbit_s_to_bytes_per_s(x) * (1448.0 / 1538.0),
        Some(x) => return Err(BadInput(format!("--link-mbit-s: {x} is not a link rate")).into()),
        None => vms[0].params.link.payload_bytes_per_s,
    };
    let e = evacuate(&vms, link, a.parallel as usize, a.order, a.seed);
    if json {
        println!("{}", serde_json::to_string_pretty(&e)?);
    } else {
        print!("{}", render(&e));
    }
    Ok(())
}

fn render(e: &Evacuation) -> String {
    let mut t = Table::new(&[
        "#",
        "VM",
        "start s",
        "end s",
        "link Mbit/s",
        "verdict",
        "downtime ms",
        "ping outage s",
    ]);
    let done = |v: &migbench::whatif::evacuate::VmResult| {
        matches!(
            v.verdict,
            migbench::model::Verdict::Converged | migbench::model::Verdict::ConvergedWithThrottle
        )
    };
    for v in &e.vms {
        // A migration that never switches over has no downtime or outage to show.
        let (downtime, outage) = if done(v) {
            (
                format!("{:.1}", v.downtime_ms),
                format!("{:.2}", v.outage_ms / 1e3),
            )
        } else {
            ("-".into(), "-".into())
        };
        t.row(vec![
            (v.position + 1).to_string(),
            v.name.clone(),
            format!("{:.2}", v.start_ms / 1e3),
            format!("{:.2}", v.end_ms / 1e3),
            format!("{:.0}", v.link_share_mbit_s),
            v.verdict.to_string(),
            downtime,
            outage,
        ]);
    }
    let stuck = e.vms.iter().filter(|v| !done(v)).count();
    format!(
        "evacuation of {} VMs, {} at a time\n\n{}\nhost empty after {:.2} s{}\n",
        e.vms.len(),
        e.parallel,
        t.render(),
        e.total_time_ms / 1e3,
        if stuck > 0 {
            format!("; {stuck} VM(s) do not converge and hold the link until their timeout")
        } else {
            String::new()
        }
    )
}
