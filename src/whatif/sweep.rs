//! Sweeps: the scenario simulated at every point of one or two varied parameters, in
//! parallel, with the convergence boundary found along each line.

use super::vary::{Vary, apply};
use crate::calibrate::ModelFile;
use crate::model::{Verdict, simulate};
use crate::scenario::ScenarioFile;
use crate::units::ns_to_ms;
use serde::Serialize;

/// One simulated point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    /// The varied values, in the order of the `--vary` options.
    pub values: Vec<f64>,
    /// Verdict.
    pub verdict: Verdict,
    /// Total time, ms.
    pub total_time_ms: f64,
    /// Guest downtime, ms (0 when not completed).
    pub downtime_ms: f64,
    /// Predicted ping outage, ms (0 when not completed).
    pub outage_ms: f64,
    /// Stream bytes sent.
    pub bytes_sent: u64,
    /// Passes.
    pub passes: usize,
    /// Highest CPU throttle, %.
    pub max_throttle_pct: f64,
    /// Offline (stop-and-copy) downtime, ms.
    pub offline_downtime_ms: f64,
}

/// A finished sweep.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sweep {
    /// Names of the varied parameters.
    pub names: Vec<String>,
    /// Scenario field paths they set.
    pub paths: Vec<String>,
    /// Seed of every run.
    pub seed: u64,
    /// The points, first parameter varying slowest.
    pub points: Vec<Point>,
    /// Along the first parameter: the first value at which pre-copy no longer
    /// converges unthrottled, per value of the second parameter (one entry without one).
    pub boundary: Vec<Option<f64>>,
}

/// Every combination of the varied values, first varying slowest.
pub fn grid(vary: &[Vary]) -> Vec<Vec<f64>> {
    let mut out: Vec<Vec<f64>> = vec![vec![]];
    for v in vary {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                v.values.iter().map(move |x| {
                    let mut p = prefix.clone();
                    p.push(*x);
                    p
                })
            })
            .collect();
    }
    out
}

/// Checks every grid point first, so a bad value is reported before any work.
pub fn run(
    base: &ScenarioFile,
    vary: &[Vary],
    model: Option<&ModelFile>,
    seed: u64,
    threads: usize,
    on_done: &(dyn Fn() + Sync),
) -> Result<Sweep, String> {
    let points = grid(vary);
    let params = points
        .iter()
        .map(|values| {
            let settings: Vec<(&str, f64)> = vary
                .iter()
                .map(|v| v.path.as_str())
                .zip(values.iter().copied())
                .collect();
            apply(base, &settings, model).map_err(|e| {
                let at: Vec<String> = vary
                    .iter()
                    .zip(values)
                    .map(|(v, x)| format!("{}={x}", v.name))
                    .collect();
                format!("at {}: {e}", at.join(", "))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let jobs: Vec<(Vec<f64>, crate::model::ModelParams)> = points.into_iter().zip(params).collect();
    let results = crate::par::map(
        &jobs,
        threads,
        &|(values, p)| {
            let o = simulate(p, seed);
            Point {
                values: values.clone(),
                verdict: o.verdict,
                total_time_ms: ns_to_ms(o.total_time_ns),
                downtime_ms: ns_to_ms(o.downtime.guest_ns),
                outage_ms: ns_to_ms(o.after_resume.outage_ns),
                bytes_sent: o.bytes_sent,
                passes: o.passes.len(),
                max_throttle_pct: o.max_throttle_pct,
                offline_downtime_ms: ns_to_ms(o.alternatives.offline_downtime_ns),
            }
        },
        on_done,
    );
    let boundary = boundaries(vary, &results);
    Ok(Sweep {
        names: vary.iter().map(|v| v.name.clone()).collect(),
        paths: vary.iter().map(|v| v.path.clone()).collect(),
        seed,
        points: results,
        boundary,
    })
}

fn boundaries(vary: &[Vary], points: &[Point]) -> Vec<Option<f64>> {
    let n1 = vary.first().map_or(0, |v| v.values.len());
    let n2 = vary.get(1).map_or(1, |v| v.values.len());
    (0..n2)
        .map(|j| {
            (0..n1)
                .map(|i| &points[i * n2 + j])
                .find(|p| p.verdict != Verdict::Converged)
                .map(|p| p.values[0])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::whatif::vary::parse;

    #[test]
    fn grid_orders_first_slowest() {
        let a = parse("wws=1..2:2").unwrap();
        let b = parse("write_rate=10..30:3").unwrap();
        let g = grid(&[a, b]);
        assert_eq!(g.len(), 6);
        assert_eq!(g[0], vec![1.0, 10.0]);
        assert_eq!(g[1], vec![1.0, 20.0]);
        assert_eq!(g[3], vec![2.0, 10.0]);
    }

    #[test]
    fn finds_the_convergence_boundary() {
        let base: ScenarioFile = toml::from_str(
            "[guest]\nmemory_mib = 512\n[workload]\nzero_fraction = 0.75\nwws_mib = 64\n[migration]\nmax_bandwidth_mib_s = 32\ncompletion_timeout_s = 60\n",
        )
        .unwrap();
        let v = parse("write_rate=1000..30000:30").unwrap();
        let s = run(&base, &[v], None, 1, 2, &|| {}).unwrap();
        let b = s.boundary[0].expect("a boundary");
        assert!(b > 2000.0 && b < 20000.0, "{b}");
        assert_eq!(s.points[0].verdict, Verdict::Converged);
        assert_ne!(s.points.last().unwrap().verdict, Verdict::Converged);
    }
}
