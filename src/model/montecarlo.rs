//! Monte Carlo: the same scenario over consecutive seeds, in parallel on every core,
//! summarised as percentiles (statrs) and verdict counts.

use super::outcome::{Outcome, Verdict};
use super::params::ModelParams;
use super::precopy::simulate;
use crate::units::ns_to_ms;
use serde::Serialize;
use statrs::statistics::{Data, Distribution, Max, Min, OrderStatistics};
use std::collections::BTreeMap;

/// Percentiles of one quantity over the runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spread {
    /// Smallest value.
    pub min: f64,
    /// 5th percentile.
    pub p5: f64,
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// Largest value.
    pub max: f64,
    /// Mean.
    pub mean: f64,
}

impl Spread {
    /// The spread of `values` (empty input gives zeros).
    pub fn of(values: &[f64]) -> Self {
        if values.is_empty() {
            return Self {
                min: 0.0,
                p5: 0.0,
                p50: 0.0,
                p95: 0.0,
                max: 0.0,
                mean: 0.0,
            };
        }
        let mut d = Data::new(values.to_vec());
        Self {
            min: d.min(),
            p5: d.quantile(0.05),
            p50: d.median(),
            p95: d.quantile(0.95),
            max: d.max(),
            mean: d.mean().unwrap_or(0.0),
        }
    }
}

/// The summary of a Monte Carlo batch.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Number of runs.
    pub runs: u64,
    /// First seed; run `i` used `seed + i`.
    pub first_seed: u64,
    /// How many runs ended with each verdict.
    pub verdicts: BTreeMap<Verdict, u64>,
    /// Total time, ms (all runs).
    pub total_time_ms: Spread,
    /// Guest downtime, ms (completed runs).
    pub downtime_ms: Spread,
    /// Downtime as libvirt reports it, ms (completed runs).
    pub reported_downtime_ms: Spread,
    /// Ping outage, ms (completed runs).
    pub outage_ms: Spread,
    /// Bytes sent (all runs).
    pub bytes_sent: Spread,
    /// Number of passes (all runs).
    pub passes: Spread,
}

/// Runs `runs` simulations with seeds `seed..seed + runs`, using up to `threads`
/// threads, and returns the outcomes in seed order.
pub fn run_batch(
    p: &ModelParams,
    seed: u64,
    runs: u64,
    threads: usize,
    on_done: &(dyn Fn() + Sync),
) -> Vec<Outcome> {
    let seeds: Vec<u64> = (0..runs).map(|i| seed.wrapping_add(i)).collect();
    crate::par::map(&seeds, threads, &|&s| simulate(p, s), on_done)
}

/// Summarises outcomes.
pub fn summarize(outcomes: &[Outcome], first_seed: u64) -> Summary {
    let mut verdicts = BTreeMap::new();
    for o in outcomes {
        *verdicts.entry(o.verdict).or_insert(0) += 1;
    }
    let all = |f: &dyn Fn(&Outcome) -> f64| Spread::of(&outcomes.iter().map(f).collect::<Vec<_>>());
    let done = |f: &dyn Fn(&Outcome) -> f64| {
        Spread::of(
            &outcomes
                .iter()
                .filter(|o| o.completed)
                .map(f)
                .collect::<Vec<_>>(),
        )
    };
    Summary {
        runs: outcomes.len() as u64,
        first_seed,
        verdicts,
        total_time_ms: all(&|o| ns_to_ms(o.total_time_ns)),
        downtime_ms: done(&|o| ns_to_ms(o.downtime.guest_ns)),
        reported_downtime_ms: done(&|o| ns_to_ms(o.downtime.reported_ns)),
        outage_ms: done(&|o| ns_to_ms(o.after_resume.outage_ns)),
        bytes_sent: all(&|o| o.bytes_sent as f64),
        passes: all(&|o| o.passes.len() as f64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_of_simple_values() {
        let s = Spread::of(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!((s.min, s.p50, s.max, s.mean), (1.0, 3.0, 5.0, 3.0));
        assert!(s.p5 >= 1.0 && s.p5 < 2.0 && s.p95 > 4.0 && s.p95 <= 5.0);
        assert_eq!(Spread::of(&[]).max, 0.0);
    }
}
