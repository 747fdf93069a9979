//! Host evacuation: several IOC VMs leave one host, at most `parallel` migrations at
//! a time, sharing the host's link. Each migration is simulated with the share of
//! the link it gets when it starts (it keeps that share: a stated simplification,
//! pessimistic for the last ones of a batch); the schedule runs on the event core.

use crate::model::params::ModelParams;
use crate::model::{Verdict, simulate};
use crate::sim::Scheduler;
use crate::units::{Nanos, ns_to_ms};
use serde::Serialize;

/// The order VMs leave in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Order {
    /// As given.
    Given,
    /// Smallest non-zero memory first (quick wins free the link early).
    SmallestFirst,
    /// Highest page-write rate first (the hardest gets the most bandwidth).
    HardestFirst,
}

/// One VM of the evacuation.
#[derive(Debug, Clone)]
pub struct Vm {
    /// Its name.
    pub name: String,
    /// Its parameters (its own link section is replaced by its share of the host's).
    pub params: ModelParams,
}

/// One VM's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VmResult {
    /// Name.
    pub name: String,
    /// Position in the order (0-based).
    pub position: usize,
    /// When its migration started, ms.
    pub start_ms: f64,
    /// When it ended, ms.
    pub end_ms: f64,
    /// Share of the host link it got, Mbit/s of payload.
    pub link_share_mbit_s: f64,
    /// Verdict.
    pub verdict: Verdict,
    /// Guest downtime, ms.
    pub downtime_ms: f64,
    /// Ping outage, ms.
    pub outage_ms: f64,
}

/// The evacuation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evacuation {
    /// Migrations at once.
    pub parallel: usize,
    /// The order used.
    pub order: Order,
    /// Until the last migration ended, ms.
    pub total_time_ms: f64,
    /// Per VM, in the order they left.
    pub vms: Vec<VmResult>,
}

/// A migration ended.
struct Done;

/// Plans and simulates the evacuation of `vms` over a host link of
/// `link_payload_bytes_per_s`.
pub fn evacuate(
    vms: &[Vm],
    link_payload_bytes_per_s: f64,
    parallel: usize,
    order: Order,
    seed: u64,
) -> Evacuation {
    let parallel = parallel.max(1);
    let mut idx: Vec<usize> = (0..vms.len()).collect();
    let nonzero = |p: &ModelParams| p.guest.memory_bytes as f64 * (1.0 - p.workload.zero_fraction);
    let writes = |p: &ModelParams| {
        p.workload.phases[0].hot_writes_per_s + p.workload.phases[0].cold_writes_per_s
    };
    match order {
        Order::Given => {}
        Order::SmallestFirst => {
            idx.sort_by(|&a, &b| nonzero(&vms[a].params).total_cmp(&nonzero(&vms[b].params)))
        }
        Order::HardestFirst => {
            idx.sort_by(|&a, &b| writes(&vms[b].params).total_cmp(&writes(&vms[a].params)))
        }
    }
    let mut sched: Scheduler<Done> = Scheduler::new();
    let mut results: Vec<Option<VmResult>> = vec![None; vms.len()];
    let mut next = 0;
    let mut active = 0usize;
    // `sharing`: migrations running on the link once this one has started.
    let mut start = |pos: usize, now: Nanos, sharing: usize, sched: &mut Scheduler<Done>| {
        let vm = &vms[idx[pos]];
        let share = link_payload_bytes_per_s / sharing.max(1) as f64;
        let mut p = vm.params.clone();
        p.link.payload_bytes_per_s = share;
        let o = simulate(&p, seed.wrapping_add(pos as u64));
        let end = now + o.total_time_ns;
        results[pos] = Some(VmResult {
            name: vm.name.clone(),
            position: pos,
            start_ms: ns_to_ms(now),
            end_ms: ns_to_ms(end),
            link_share_mbit_s: share * 8.0 / 1e6,
            verdict: o.verdict,
            downtime_ms: ns_to_ms(o.downtime.guest_ns),
            outage_ms: ns_to_ms(o.after_resume.outage_ns),
        });
        sched.schedule(end, Done);
    };
    let first_batch = parallel.min(vms.len());
    while next < first_batch {
        start(next, 0, first_batch, &mut sched);
        active += 1;
        next += 1;
    }
    let mut last_end = 0;
    while let Some((now, Done)) = sched.pop() {
        last_end = now;
        active -= 1;
        if next < vms.len() {
            start(next, now, active + 1, &mut sched);
            active += 1;
            next += 1;
        }
    }
    Evacuation {
        parallel,
        order,
        total_time_ms: ns_to_ms(last_end),
        vms: results.into_iter().flatten().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario;
    use std::path::Path;

    fn vm(name: &str, mem: u32, rate: u32) -> Vm {
        let t = format!(
            "[guest]\nmemory_mib = {mem}\n[workload]\nzero_fraction = 0.5\nwws_mib = 16\nhot_writes_per_s = {rate}\n"
        );
        Vm {
            name: name.into(),
            params: scenario::parse(&t, Path::new("v.toml")).unwrap().params,
        }
    }

    #[test]
    fn parallel_migrations_share_the_link_and_finish_sooner_overall() {
        let vms: Vec<Vm> = (0..4).map(|i| vm(&format!("ioc{i}"), 512, 1000)).collect();
        let link = 117e6;
        let serial = evacuate(&vms, link, 1, Order::Given, 1);
        let two = evacuate(&vms, link, 2, Order::Given, 1);
        assert_eq!(serial.vms.len(), 4);
        // One at a time: each starts when the previous ends.
        for w in serial.vms.windows(2) {
            assert_eq!(w[1].start_ms, w[0].end_ms);
        }
        assert!(
            (two.vms[0].link_share_mbit_s - serial.vms[0].link_share_mbit_s / 2.0).abs() < 1e-6
        );
        // Sharing costs each migration time; the total stays within a few percent.
        assert!(two.vms[0].end_ms > serial.vms[0].end_ms);
        assert!(two.total_time_ms < serial.total_time_ms * 1.1);
    }

    #[test]
    fn orders() {
        let vms = vec![
            vm("big", 1024, 100),
            vm("small", 256, 100),
            vm("hot", 512, 9000),
        ];
        let s = evacuate(&vms, 117e6, 1, Order::SmallestFirst, 1);
        assert_eq!(s.vms[0].name, "small");
        let h = evacuate(&vms, 117e6, 1, Order::HardestFirst, 1);
        assert_eq!(h.vms[0].name, "hot");
    }
}
