//! The one seeded random number generator of a run, and the draws the models need.
//!
//! ChaCha8 is used because its output for a seed is fixed by its specification, so a
//! seed gives the same run on every machine and every build.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Poisson};

/// The random source of one simulation run.
#[derive(Debug, Clone)]
pub struct SimRng {
    inner: ChaCha8Rng,
}

impl SimRng {
    /// A generator for `seed`; equal seeds give equal streams.
    pub fn seeded(seed: u64) -> Self {
        Self {
            inner: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// A uniform draw from (0, 1]: never zero, so its logarithm is finite.
    pub fn open01(&mut self) -> f64 {
        1.0 - self.inner.random::<f64>()
    }

    /// A uniform integer in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.inner.random_range(0..n.max(1))
    }

    /// A Poisson count with the given mean; a normal approximation above 1e9 where the
    /// relative error is negligible and exact sampling gets slow.
    pub fn poisson(&mut self, mean: f64) -> u64 {
        if mean.is_nan() || mean <= 0.0 || !mean.is_finite() {
            return 0;
        }
        if mean > 1e9 {
            let z = self.standard_normal();
            return (mean + z * mean.sqrt()).round().max(0.0) as u64;
        }
        match Poisson::new(mean) {
            Ok(d) => d.sample(&mut self.inner) as u64,
            Err(_) => mean.round() as u64,
        }
    }

    /// A standard normal draw (Box-Muller).
    pub fn standard_normal(&mut self) -> f64 {
        let u1 = self.open01();
        let u2 = self.open01();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// The number of failures before the first success of Bernoulli(`p`) trials, as a
    /// gap for skipping over pages that are not picked. `ln_1mp` is `ln(1 - p)`,
    /// passed in so a hot loop computes it once.
    pub fn geometric_gap(&mut self, ln_1mp: f64) -> u64 {
        if ln_1mp >= 0.0 {
            return u64::MAX;
        }
        let g = (self.open01().ln() / ln_1mp).floor();
        if g >= u64::MAX as f64 {
            u64::MAX
        } else {
            g as u64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let mut a = SimRng::seeded(7);
        let mut b = SimRng::seeded(7);
        for _ in 0..100 {
            assert_eq!(a.below(1000), b.below(1000));
        }
        let mut c = SimRng::seeded(8);
        let va: Vec<u64> = (0..20).map(|_| a.below(1 << 40)).collect();
        let vc: Vec<u64> = (0..20).map(|_| c.below(1 << 40)).collect();
        assert_ne!(va, vc);
    }

    #[test]
    fn poisson_mean_is_right() {
        let mut r = SimRng::seeded(1);
        for mean in [0.5, 30.0, 5e4, 2e9] {
            let n = 2000;
            let sum: f64 = (0..n).map(|_| r.poisson(mean) as f64).sum();
            let avg = sum / n as f64;
            let sd_of_avg = (mean / n as f64).sqrt();
            assert!(
                (avg - mean).abs() < 5.0 * sd_of_avg,
                "mean {mean}: got {avg}"
            );
        }
        assert_eq!(r.poisson(0.0), 0);
        assert_eq!(r.poisson(f64::NAN), 0);
    }

    #[test]
    fn geometric_gap_mean_is_right() {
        let mut r = SimRng::seeded(3);
        let p: f64 = 0.01;
        let l = (-p).ln_1p();
        let n = 20000;
        let avg = (0..n).map(|_| r.geometric_gap(l) as f64).sum::<f64>() / n as f64;
        let expect = (1.0 - p) / p;
        assert!(
            (avg - expect).abs() / expect < 0.05,
            "got {avg}, want {expect}"
        );
        assert_eq!(r.geometric_gap(0.0), u64::MAX);
    }
}
