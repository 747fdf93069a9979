//! The guest's responsiveness under CPU throttling: a throttled vCPU runs one 10 ms
//! timeslice and then sleeps `pct / (1 - pct)` timeslices, so a ping or an IOC scan
//! that falls into the sleep waits for the next slice.

use super::qemu::CPU_THROTTLE_TIMESLICE_NS;
use crate::units::Nanos;

/// How long a vCPU throttled at `pct` percent sleeps between timeslices.
pub fn sleep_ns(pct: f64) -> Nanos {
    if pct <= 0.0 {
        return 0;
    }
    let f = (pct / 100.0).min(0.99);
    (CPU_THROTTLE_TIMESLICE_NS as f64 * f / (1.0 - f)).round() as Nanos
}

/// Share of probes arriving at a random moment that wait longer than `late_ns`.
pub fn late_fraction(pct: f64, late_ns: Nanos) -> f64 {
    let sleep = sleep_ns(pct) as f64;
    if sleep <= late_ns as f64 {
        return 0.0;
    }
    // A probe landing in the sleep waits for the rest of it, uniformly distributed.
    (sleep - late_ns as f64) / (sleep + CPU_THROTTLE_TIMESLICE_NS as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::NS_PER_MS;

    #[test]
    fn sleep_follows_qemu_formula() {
        assert_eq!(sleep_ns(0.0), 0);
        assert_eq!(sleep_ns(50.0), 10 * NS_PER_MS);
        assert_eq!(sleep_ns(99.0), 990 * NS_PER_MS);
        assert_eq!(late_fraction(50.0, 100 * NS_PER_MS), 0.0);
        assert!((late_fraction(99.0, 100 * NS_PER_MS) - 0.89).abs() < 1e-9);
    }
}
