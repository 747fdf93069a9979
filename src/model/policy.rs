//! QEMU's convergence policy: bandwidth measured per 100 ms period, the switchover
//! threshold, and auto-converge's throttle trigger (constants in [`super::qemu`]).

use super::params::Migration;
use super::qemu::{DIRTY_RATE_PERIOD_NS, THROTTLE_TRIGGER_COUNT};
use crate::units::{NS_PER_S, Nanos};

/// `migration_update_counters`: bandwidth over the current period and the threshold.
#[derive(Debug, Clone)]
pub struct BandwidthMeter {
    period_start_ns: Nanos,
    period_bytes: f64,
    /// Last measured bandwidth, bytes/s (0 before the first period ends).
    pub bandwidth_bytes_per_s: f64,
}

impl BandwidthMeter {
    /// A meter whose first period starts at `now_ns`.
    pub fn new(now_ns: Nanos) -> Self {
        Self {
            period_start_ns: now_ns,
            period_bytes: 0.0,
            bandwidth_bytes_per_s: 0.0,
        }
    }

    /// Start of the current period.
    pub fn period_start_ns(&self) -> Nanos {
        self.period_start_ns
    }

    /// Bytes sent so far in the current period.
    pub fn period_bytes(&self) -> f64 {
        self.period_bytes
    }

    /// Counts bytes sent in the current period.
    pub fn add(&mut self, bytes: f64) {
        self.period_bytes += bytes;
    }

    /// Closes the period at `now_ns` if it is at least `period_ns` long; returns the
    /// new bandwidth when it did.
    pub fn update(&mut self, now_ns: Nanos, period_ns: Nanos) -> Option<f64> {
        let spent = now_ns.saturating_sub(self.period_start_ns);
        if spent < period_ns || spent == 0 {
            return None;
        }
        self.bandwidth_bytes_per_s = self.period_bytes * NS_PER_S as f64 / spent as f64;
        self.period_start_ns = now_ns;
        self.period_bytes = 0.0;
        Some(self.bandwidth_bytes_per_s)
    }

    /// `threshold_size`: the bytes that may remain at switchover.
    pub fn threshold_bytes(&self, downtime_limit_ns: Nanos) -> f64 {
        self.bandwidth_bytes_per_s * downtime_limit_ns as f64 / NS_PER_S as f64
    }
}

/// Auto-converge's state across bitmap syncs (`migration_bitmap_sync` and
/// `migration_trigger_throttle` in migration/ram.c).
#[derive(Debug, Clone)]
pub struct AutoConverge {
    enabled: bool,
    initial_pct: f64,
    increment_pct: f64,
    max_pct: f64,
    trigger_pct: f64,
    high_count: u32,
    period_start_ns: Option<Nanos>,
    period_dirty_pages: u64,
    period_xfer_start_bytes: u64,
    /// Current throttle, percent (0 = not throttling).
    pub throttle_pct: f64,
    /// QEMU's `dirty-pages-rate`, pages/s, as of the last period.
    pub dirty_pages_rate: f64,
}

impl AutoConverge {
    /// The policy for the given migration parameters.
    pub fn new(m: &Migration) -> Self {
        Self {
            enabled: m.auto_converge,
            initial_pct: m.throttle_initial_pct,
            increment_pct: m.throttle_increment_pct,
            max_pct: m.throttle_max_pct,
            trigger_pct: m.throttle_trigger_pct,
            high_count: 0,
            period_start_ns: None,
            period_dirty_pages: 0,
            period_xfer_start_bytes: 0,
            throttle_pct: 0.0,
            dirty_pages_rate: 0.0,
        }
    }

    /// Whether throttling can still rise.
    pub fn can_throttle_more(&self) -> bool {
        self.enabled && self.throttle_pct < self.max_pct
    }

    /// Called at every bitmap sync with the pages it newly found dirty and the bytes
    /// transferred so far. Returns true when the throttle changed.
    pub fn on_sync(
        &mut self,
        now_ns: Nanos,
        new_dirty_pages: u64,
        transferred_bytes: u64,
        page_bytes: u64,
    ) -> bool {
        let start = *self.period_start_ns.get_or_insert(now_ns);
        self.period_dirty_pages += new_dirty_pages;
        if now_ns <= start + DIRTY_RATE_PERIOD_NS {
            return false;
        }
        let xfer = transferred_bytes.saturating_sub(self.period_xfer_start_bytes) as f64;
        let dirty = (self.period_dirty_pages * page_bytes) as f64;
        let mut changed = false;
        if self.enabled && dirty > xfer * self.trigger_pct / 100.0 {
            self.high_count += 1;
            if self.high_count >= THROTTLE_TRIGGER_COUNT {
                self.high_count = 0;
                let next = if self.throttle_pct == 0.0 {
                    self.initial_pct
                } else {
                    self.throttle_pct + self.increment_pct
                };
                let next = next.min(self.max_pct);
                changed = next != self.throttle_pct;
                self.throttle_pct = next;
            }
        }
        self.dirty_pages_rate =
            self.period_dirty_pages as f64 * NS_PER_S as f64 / (now_ns - start) as f64;
        self.period_start_ns = Some(now_ns);
        self.period_dirty_pages = 0;
        self.period_xfer_start_bytes = transferred_bytes;
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::params::Postcopy;
    use crate::units::NS_PER_MS;

    fn mig(auto: bool) -> Migration {
        Migration {
            downtime_limit_ns: 300 * NS_PER_MS,
            max_bandwidth_bytes_per_s: None,
            auto_converge: auto,
            throttle_initial_pct: 20.0,
            throttle_increment_pct: 10.0,
            throttle_max_pct: 99.0,
            throttle_trigger_pct: 50.0,
            postcopy: Postcopy::Off,
            postcopy_available: true,
            auto_converge_available: true,
            completion_timeout_ns: None,
            setup_ns: 0,
        }
    }

    #[test]
    fn bandwidth_and_threshold() {
        let mut m = BandwidthMeter::new(0);
        m.add(12.5e6);
        assert_eq!(m.update(50 * NS_PER_MS, 100 * NS_PER_MS), None);
        assert_eq!(m.update(100 * NS_PER_MS, 100 * NS_PER_MS), Some(125e6));
        assert!((m.threshold_bytes(300 * NS_PER_MS) - 37.5e6).abs() < 1.0);
    }

    #[test]
    fn throttle_starts_on_second_high_period_then_steps_to_max() {
        let mut a = AutoConverge::new(&mig(true));
        let page = 4096;
        let mut t = 0;
        let mut xfer = 0;
        a.on_sync(t, 0, xfer, page);
        let mut seen = vec![];
        for _ in 0..30 {
            t += 1100 * NS_PER_MS;
            xfer += 100 * page; // dirtied 100 pages per period vs 100 sent: 100 % > 50 %
            a.on_sync(t, 100, xfer, page);
            seen.push(a.throttle_pct);
        }
        assert_eq!(seen[0], 0.0);
        assert_eq!(seen[1], 20.0);
        assert_eq!(seen[3], 30.0);
        assert_eq!(*seen.last().unwrap(), 99.0);
        assert!(!a.can_throttle_more());
    }

    #[test]
    fn no_throttle_when_disabled_or_below_trigger() {
        let mut off = AutoConverge::new(&mig(false));
        let mut low = AutoConverge::new(&mig(true));
        let mut xfer = 0;
        for i in 0..10u64 {
            xfer += 1000 * 4096;
            off.on_sync(i * 1100 * NS_PER_MS, 1000, xfer, 4096);
            low.on_sync(i * 1100 * NS_PER_MS, 400, xfer, 4096);
        }
        assert_eq!(off.throttle_pct, 0.0);
        assert_eq!(low.throttle_pct, 0.0);
        assert!(low.dirty_pages_rate > 300.0);
    }
}
