//! The guest's memory writes: Poisson page writes over a hot writable working set and
//! a cold remainder, with load phases over time and CPU throttling.
//!
//! RAM is laid out as `[hot working set][cold non-zero][zero pages][top non-zero]`.
//! Placement within RAM does not change what a pass resends: writes go to the dirty
//! log and reach the migration bitmap only at a sync, so a pass resends every page
//! written during the previous one wherever it lies. It does change where the first
//! pass can stop: QEMU checks the pending bytes against its threshold while the pass
//! runs, and the guest's top of RAM holds data (Linux places its boot-time
//! allocations top-down), so an idle guest still sends those pages while paused.

use super::bitmap::PageBitmap;
use super::params::{ModelParams, Phase, Workload};
use super::qemu::{CPU_THROTTLE_MAX_PCT, CPU_THROTTLE_TIMESLICE_NS};
use crate::sim::SimRng;
use crate::units::{NS_PER_S, Nanos};

/// Where the regions of guest RAM lie, in pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// All guest pages.
    pub pages: u64,
    /// Pages of the hot working set: `[0, hot_end)`.
    pub hot_end: u64,
    /// End of the cold non-zero pages: cold pages are `[hot_end, nonzero_end)`, zero
    /// pages `[nonzero_end, zero_end)`.
    pub nonzero_end: u64,
    /// Start of the top non-zero pages `[zero_end, pages)`, which the workload does
    /// not write.
    pub zero_end: u64,
}

impl Layout {
    /// The layout for a parameter set.
    pub fn of(p: &ModelParams) -> Self {
        let page = p.guest.page_size_bytes;
        let pages = p.guest.memory_bytes / page;
        let nonzero = ((pages as f64 * (1.0 - p.workload.zero_fraction)).round() as u64).min(pages);
        let hot = (p.workload.wws_bytes / page).min(nonzero);
        // The top pages come out of the non-zero memory the working set leaves.
        let top = (p.workload.top_nonzero_bytes / page).min(nonzero - hot);
        Self {
            pages,
            hot_end: hot,
            nonzero_end: nonzero - top,
            zero_end: pages - top,
        }
    }

    /// Pages in the cold region.
    pub fn cold_pages(&self) -> u64 {
        self.nonzero_end - self.hot_end
    }

    /// Zero pages.
    pub fn zero_pages(&self) -> u64 {
        self.zero_end - self.nonzero_end
    }

    /// Pages with data: the working set, the cold region and the top pages.
    pub fn nonzero_pages(&self) -> u64 {
        self.pages - self.zero_pages()
    }

    /// The zero pages as a range.
    pub fn zero_range(&self) -> std::ops::Range<u64> {
        self.nonzero_end..self.zero_end
    }
}

/// Expected (mean) page writes into the hot and cold regions during `[t0, t1)` at a
/// constant throttle, following the load phases.
pub fn expected_writes(w: &Workload, t0: Nanos, t1: Nanos, throttle_pct: f64) -> (f64, f64) {
    let (mut hot, mut cold) = (0.0, 0.0);
    for (i, ph) in w.phases.iter().enumerate() {
        let end = w.phases.get(i + 1).map_or(Nanos::MAX, |n| n.start_ns);
        let (a, b) = (t0.max(ph.start_ns), t1.min(end));
        if b > a {
            let secs = (b - a) as f64 / NS_PER_S as f64;
            let demand = w.cpu_s_per_write.map_or(1.0, |c| {
                ((ph.hot_writes_per_s + ph.cold_writes_per_s) * c).min(1.0)
            });
            let keep = throttle_keep(throttle_pct, demand, w.catch_up_ns);
            hot += ph.hot_writes_per_s * secs * keep;
            cold += ph.cold_writes_per_s * secs * keep;
        }
    }
    (hot, cold)
}

/// Share of its writes a workload still makes under a CPU throttle of `throttle_pct`.
///
/// A throttled vCPU runs one 10 ms timeslice per cycle of `10 ms / (1 - throttle)` and
/// sleeps the rest. A workload that needs `cpu_demand` of the vCPU at its rate and
/// paces itself by the clock does, per cycle, what falls due unless the slice is too
/// short for it (`slice / cpu_demand` of work) or the backlog exceeds what it makes up
/// after a stall (`slice + catch_up`). A CPU-bound workload (`cpu_demand` 1), and one
/// that makes up nothing (`catch_up` 0), keep `1 - throttle`: the premise of QEMU's
/// auto-converge.
pub fn throttle_keep(throttle_pct: f64, cpu_demand: f64, catch_up_ns: Option<Nanos>) -> f64 {
    if throttle_pct <= 0.0 {
        return 1.0;
    }
    let f = (throttle_pct.min(CPU_THROTTLE_MAX_PCT)) / 100.0;
    let slice = CPU_THROTTLE_TIMESLICE_NS as f64;
    let cycle = slice / (1.0 - f);
    let by_cpu = slice / cpu_demand.max(f64::MIN_POSITIVE);
    let by_catch_up = catch_up_ns.map_or(f64::INFINITY, |c| slice + c as f64);
    (cycle.min(by_cpu).min(by_catch_up) / cycle).clamp(0.0, 1.0)
}

/// The phase in force at `t`.
pub fn phase_at(w: &Workload, t: Nanos) -> &Phase {
    let i = w
        .phases
        .partition_point(|p| p.start_ns <= t)
        .saturating_sub(1);
    &w.phases[i]
}

/// How dirtying is drawn at a sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DirtyDraw {
    /// Each page of a region is dirty independently with the probability that `n`
    /// uniform writes touch it: cost follows the pages dirtied, not the writes.
    #[default]
    Bulk,
    /// One random page per write: the exact per-write model, for checking `Bulk`.
    PerWrite,
}

/// Draws the writes of a sync interval into `bitmap`: a Poisson number of writes per
/// region, each landing on a uniformly chosen page. Returns pages newly set.
pub fn dirty_interval(
    bitmap: &mut PageBitmap,
    layout: &Layout,
    mean_writes: (f64, f64),
    draw: DirtyDraw,
    rng: &mut SimRng,
) -> u64 {
    let regions = [
        (0, layout.hot_end, mean_writes.0),
        (layout.hot_end, layout.nonzero_end, mean_writes.1),
    ];
    let mut new = 0;
    for (start, end, mean) in regions {
        if end <= start || mean <= 0.0 {
            continue;
        }
        let writes = rng.poisson(mean);
        if writes == 0 {
            continue;
        }
        new += match draw {
            DirtyDraw::PerWrite => bitmap.set_uniform_writes(start, end, writes, rng),
            DirtyDraw::Bulk => {
                let size = (end - start) as f64;
                // P(page touched by at least one of n uniform writes) = 1 - (1 - 1/H)^n
                let p = -(writes as f64 * (-1.0 / size).ln_1p()).exp_m1();
                bitmap.set_bernoulli(start, end, p, rng)
            }
        };
    }
    new
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::NS_PER_MS;

    fn two_phases() -> Workload {
        Workload {
            zero_fraction: 0.5,
            wws_bytes: 0,
            top_nonzero_bytes: 0,
            phases: vec![
                Phase {
                    start_ns: 0,
                    hot_writes_per_s: 1000.0,
                    cold_writes_per_s: 10.0,
                },
                Phase {
                    start_ns: NS_PER_S,
                    hot_writes_per_s: 3000.0,
                    cold_writes_per_s: 0.0,
                },
            ],
            cpu_s_per_write: None,
            catch_up_ns: None,
        }
    }

    #[test]
    fn throttle_slows_paced_work_only_when_the_slice_is_short() {
        // CPU-bound: QEMU's premise.
        assert!((throttle_keep(40.0, 1.0, None) - 0.6).abs() < 1e-12);
        assert_eq!(throttle_keep(0.0, 1.0, Some(0)), 1.0);
        // Nothing made up: what falls due while the vCPU sleeps is skipped.
        assert!((throttle_keep(40.0, 0.01, Some(0)) - 0.6).abs() < 1e-12);
        // Needs 5 % of the vCPU: full pace up to 95 % throttle, then the slice limits.
        assert!((throttle_keep(90.0, 0.05, None) - 1.0).abs() < 1e-12);
        assert!((throttle_keep(99.0, 0.05, None) - 0.2).abs() < 1e-9);
        // Makes up at most 100 ms: at 99 % (1 s cycles) it does 110 ms worth per cycle.
        assert!((throttle_keep(99.0, 0.05, Some(100 * NS_PER_MS)) - 0.11).abs() < 1e-9);
        assert!((throttle_keep(90.0, 0.05, Some(100 * NS_PER_MS)) - 1.0).abs() < 1e-12);
        // The ceiling is QEMU's 99 %.
        assert_eq!(
            throttle_keep(100.0, 1.0, None),
            throttle_keep(99.0, 1.0, None)
        );
        // Per phase: the demand follows the rate.
        let mut w = two_phases();
        w.cpu_s_per_write = Some(1.0 / 20_000.0);
        let (h, _) = expected_writes(&w, 0, NS_PER_S, 90.0);
        assert!((h - 1000.0).abs() < 1e-9, "{h}");
        let (h, _) = expected_writes(&w, NS_PER_S, 2 * NS_PER_S, 95.0);
        assert!(
            (h - 3000.0 * (0.05 / (3000.0 / 20_000.0))).abs() < 1e-6,
            "{h}"
        );
    }

    #[test]
    fn writes_follow_phases_and_throttle() {
        let w = two_phases();
        let (h, c) = expected_writes(&w, 500 * NS_PER_MS, 1500 * NS_PER_MS, 0.0);
        assert!((h - 2000.0).abs() < 1e-9 && (c - 5.0).abs() < 1e-9);
        let (h, _) = expected_writes(&w, 500 * NS_PER_MS, 1500 * NS_PER_MS, 75.0);
        assert!((h - 500.0).abs() < 1e-9);
        assert_eq!(phase_at(&w, 999 * NS_PER_MS).hot_writes_per_s, 1000.0);
        assert_eq!(phase_at(&w, NS_PER_S).hot_writes_per_s, 3000.0);
    }

    #[test]
    fn top_pages_come_out_of_the_non_zero_memory() {
        let toml = "[guest]\nmemory_mib = 64\n[workload]\nzero_fraction = 0.5\nwws_mib = 8\n\
                    top_nonzero_mib = 4\n";
        let p = crate::scenario::parse(toml, std::path::Path::new("t.toml"))
            .unwrap()
            .params;
        let l = Layout::of(&p);
        // 16384 pages: 8192 non-zero = 2048 hot + 4096 cold + 1024 top.
        assert_eq!(l.pages, 16384);
        assert_eq!((l.hot_end, l.nonzero_end, l.zero_end), (2048, 7168, 15360));
        assert_eq!((l.zero_pages(), l.nonzero_pages()), (8192, 8192));
        assert_eq!(l.zero_range(), 7168..15360);
        // More top pages than the working set leaves: clamped to what is left.
        let mut q = p.clone();
        q.workload.top_nonzero_bytes = 64 << 20;
        let l = Layout::of(&q);
        assert_eq!((l.hot_end, l.nonzero_end, l.zero_end), (2048, 2048, 10240));
        assert_eq!(l.nonzero_pages(), 8192);
    }

    #[test]
    fn bulk_and_per_write_agree_on_distinct_pages() {
        let layout = Layout {
            pages: 20_000,
            hot_end: 4_000,
            nonzero_end: 16_000,
            zero_end: 20_000,
        };
        for writes in [(500.0, 100.0), (8_000.0, 3_000.0), (40_000.0, 50_000.0)] {
            let mut sums = [0.0f64; 2];
            let runs = 200;
            for (k, draw) in [DirtyDraw::Bulk, DirtyDraw::PerWrite]
                .into_iter()
                .enumerate()
            {
                let mut rng = SimRng::seeded(k as u64 * 1000 + 1);
                for _ in 0..runs {
                    let mut b = PageBitmap::empty(layout.pages);
                    sums[k] += dirty_interval(&mut b, &layout, writes, draw, &mut rng) as f64;
                }
            }
            let (bulk, exact) = (sums[0] / runs as f64, sums[1] / runs as f64);
            assert!(
                (bulk - exact).abs() / exact < 0.01,
                "{writes:?}: bulk {bulk} vs per-write {exact}"
            );
        }
    }
}
