//! The pre-copy run: QEMU's migration thread as discrete events on [`crate::sim`].
//!
//! Each `Iterate` event is one turn of `migration_thread`: check the pending bytes
//! against the threshold (syncing the dirty log when they fall under it, as
//! `ram_save_pending` does), then send pages for up to `MAX_WAIT` or until the
//! rate-limit window's bytes are used, then sleep to the end of the window.

use super::bitmap::{Budget, PageBitmap, PageCost, Taken};
use super::clients;
use super::guest;
use super::outcome::{Alternatives, Downtime, GuestImpact, Outcome, Pass, Verdict};
use super::params::{ModelParams, Postcopy};
use super::policy::{AutoConverge, BandwidthMeter};
use super::qemu::{BUFFER_DELAY_NS, MAX_WAIT_NS, PAGE_SIZE_BYTES, ZERO_PAGE_PAYLOAD_BYTES};
use super::switchover;
use super::workload::{DirtyDraw, Layout, dirty_interval, expected_writes};
use crate::sim::{Scheduler, SimRng};
use crate::units::{NS_PER_S, Nanos, transfer_ns};

/// Knobs that change how a run is computed, not what is modelled.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions {
    /// How dirtying is drawn at syncs.
    pub draw: DirtyDraw,
}

/// Simulates one migration with the given seed.
pub fn simulate(p: &ModelParams, seed: u64) -> Outcome {
    simulate_with(p, seed, RunOptions::default())
}

/// Simulates one migration with the given seed and options.
pub fn simulate_with(p: &ModelParams, seed: u64, opts: RunOptions) -> Outcome {
    Run::new(p, seed, opts).run()
}

/// The time after which a migration that has not completed is given up: the
/// completion timeout if set, else the longer of 10 minutes and 20 full passes.
pub fn horizon_ns(p: &ModelParams) -> Nanos {
    if let Some(t) = p.migration.completion_timeout_ns {
        return t;
    }
    let rate = send_rate(p);
    let full_pass = transfer_ns(p.guest.memory_bytes as f64, rate);
    (600 * NS_PER_S).max(full_pass.saturating_mul(20))
}

/// The rate pages leave at while pre-copy iterates: the link, capped by max-bandwidth.
pub fn send_rate(p: &ModelParams) -> f64 {
    let link = p.link.payload_bytes_per_s;
    p.migration
        .max_bandwidth_bytes_per_s
        .map_or(link, |cap| cap.min(link))
}

/// Stream bytes and sender time of a normal page and a zero page at `rate`.
fn page_costs(p: &ModelParams, rate: f64) -> (PageCost, PageCost) {
    let hdr = p.link.page_header_bytes as f64;
    let page = p.guest.page_size_bytes as f64;
    let nb = hdr + page * p.link.compression_ratio;
    let zb = hdr + ZERO_PAGE_PAYLOAD_BYTES as f64;
    let scan_ns = page / p.link.zero_scan_bytes_per_s * NS_PER_S as f64;
    (
        PageCost {
            bytes: nb,
            ns: nb / rate * NS_PER_S as f64,
        },
        PageCost {
            bytes: zb,
            ns: zb / rate * NS_PER_S as f64 + scan_ns,
        },
    )
}

fn stream_bytes(t: Taken, normal: PageCost, zero: PageCost) -> f64 {
    t.normal_pages as f64 * normal.bytes + t.zero_pages as f64 * zero.bytes
}

#[derive(Debug)]
enum Event {
    Iterate,
}

#[derive(Debug, Default)]
struct PassAcc {
    start_ns: Nanos,
    normal: u64,
    zero: u64,
    bytes: f64,
}

struct Run<'a> {
    p: &'a ModelParams,
    seed: u64,
    opts: RunOptions,
    layout: Layout,
    bitmap: PageBitmap,
    cursor: u64,
    rng: SimRng,
    sched: Scheduler<Event>,
    meter: BandwidthMeter,
    ac: AutoConverge,
    sync_count: u64,
    last_sync_ns: Nanos,
    pass: PassAcc,
    passes: Vec<Pass>,
    bytes_total: f64,
    guest: GuestImpact,
    max_throttle_pct: f64,
    horizon_ns: Nanos,
    best_pending_bytes: f64,
    passes_since_best: u32,
}

/// Passes without a new low in pending bytes, with nothing left that could change
/// the dynamics, after which a run is taken to be stuck (see [`Run::stuck`]).
const STEADY_PASSES: u32 = 12;

impl<'a> Run<'a> {
    fn new(p: &'a ModelParams, seed: u64, opts: RunOptions) -> Self {
        let layout = Layout::of(p);
        let setup = switchover::first_page_ns(p);
        let mut ac = AutoConverge::new(&p.migration);
        // ram_save_setup syncs once before the first pass (dirty-sync-count = 1).
        ac.on_sync(setup, 0, 0, p.guest.page_size_bytes);
        Self {
            p,
            seed,
            opts,
            layout,
            bitmap: PageBitmap::full(layout.pages),
            cursor: 0,
            rng: SimRng::seeded(seed),
            sched: Scheduler::new(),
            meter: BandwidthMeter::new(setup),
            ac,
            sync_count: 1,
            last_sync_ns: setup,
            pass: PassAcc {
                start_ns: setup,
                ..Default::default()
            },
            passes: Vec::new(),
            bytes_total: 0.0,
            guest: GuestImpact::default(),
            max_throttle_pct: 0.0,
            horizon_ns: horizon_ns(p),
            best_pending_bytes: f64::INFINITY,
            passes_since_best: 0,
        }
    }

    fn run(mut self) -> Outcome {
        self.sched
            .schedule(switchover::first_page_ns(self.p), Event::Iterate);
        loop {
            let Some((now, Event::Iterate)) = self.sched.pop() else {
                // Nothing left to do without completing: the migration did not finish.
                let now = self.sched.now_ns();
                return self.give_up(now);
            };
            if let Some(outcome) = self.iterate(now) {
                return outcome;
            }
        }
    }

    fn page_bytes(&self) -> f64 {
        self.p.guest.page_size_bytes as f64
    }

    fn pending_bytes(&self) -> f64 {
        self.bitmap.count() as f64 * self.page_bytes()
    }

    /// One turn of the migration thread; returns the outcome when the run ends.
    fn iterate(&mut self, now: Nanos) -> Option<Outcome> {
        let threshold = self
            .meter
            .threshold_bytes(self.p.migration.downtime_limit_ns);
        if self.pending_bytes() < threshold {
            self.sync(now);
            if let Postcopy::AfterPasses(n) = self.p.migration.postcopy
                && self.passes.len() as u64 >= n as u64
                && self.pending_bytes() >= threshold
            {
                return Some(self.switch_to_postcopy(now));
            }
        }
        let pending = self.pending_bytes();
        if pending == 0.0 || pending < threshold {
            return Some(self.complete(now));
        }
        if now >= self.horizon_ns || self.stuck(now, threshold) {
            return Some(self.give_up(now));
        }

        // Pages leave at link speed; max-bandwidth only limits the bytes per window
        // (QEMU sends a window's worth in a burst, then sleeps to the window's end).
        let mut rate = self.p.link.payload_bytes_per_s;
        if self.p.link.jitter > 0.0 {
            let j = 1.0 + self.p.link.jitter * self.rng.standard_normal();
            rate *= j.clamp(0.1, 3.0);
        }
        let (normal, zero) = page_costs(self.p, rate);
        let window_limit = self
            .p
            .migration
            .max_bandwidth_bytes_per_s
            .map(|cap| cap * BUFFER_DELAY_NS as f64 / NS_PER_S as f64);
        let mut budget = Budget {
            bytes: window_limit.map_or(f64::INFINITY, |l| l - self.meter.period_bytes()),
            ns: MAX_WAIT_NS as f64,
        };
        let taken = if budget.bytes > 0.0 {
            self.bitmap.take(
                &mut self.cursor,
                self.layout.zero_range(),
                normal,
                zero,
                &mut budget,
            )
        } else {
            Taken::default()
        };
        let bytes = stream_bytes(taken, normal, zero);
        let elapsed = (MAX_WAIT_NS as f64 - budget.ns).max(0.0).round() as Nanos;
        self.meter.add(bytes);
        self.bytes_total += bytes;
        self.pass.normal += taken.normal_pages;
        self.pass.zero += taken.zero_pages;
        self.pass.bytes += bytes;

        let mut next = now + elapsed;
        let window_end = self.meter.period_start_ns() + BUFFER_DELAY_NS;
        if window_limit.is_some_and(|l| self.meter.period_bytes() >= l) || elapsed == 0 {
            // migration_rate_limit: the window's bytes are used, sleep to its end.
            next = next.max(window_end);
        }
        self.meter.update(next, BUFFER_DELAY_NS);
        self.sched.schedule(next, Event::Iterate);
        None
    }

    /// `migration_bitmap_sync`: the dirty log since the last sync joins the bitmap.
    fn sync(&mut self, now: Nanos) -> u64 {
        let throttle = self.ac.throttle_pct;
        let mean = expected_writes(&self.p.workload, self.last_sync_ns, now, throttle);
        let new = dirty_interval(
            &mut self.bitmap,
            &self.layout,
            mean,
            self.opts.draw,
            &mut self.rng,
        );
        self.sync_count += 1;
        let page = self.p.guest.page_size_bytes;
        self.ac.on_sync(now, new, self.bytes_total as u64, page);
        self.close_pass(now, new, throttle);
        let pending = self.pending_bytes();
        // A throttle step starts a new state: the steady test starts again (at 99 %
        // a paced workload may only now slow down).
        if self.ac.throttle_pct != throttle || pending < self.best_pending_bytes * 0.999 {
            self.best_pending_bytes = pending;
            self.passes_since_best = 0;
        } else {
            self.passes_since_best += 1;
        }
        self.last_sync_ns = now;
        self.max_throttle_pct = self.max_throttle_pct.max(self.ac.throttle_pct);
        new
    }

    fn close_pass(&mut self, now: Nanos, dirtied: u64, throttle_pct: f64) {
        let bw = self.meter.bandwidth_bytes_per_s;
        let remaining = self.bitmap.count();
        let expected_downtime_ns = if bw > 0.0 {
            transfer_ns(remaining as f64 * self.page_bytes(), bw)
        } else {
            0
        };
        let acc = std::mem::replace(
            &mut self.pass,
            PassAcc {
                start_ns: now,
                ..Default::default()
            },
        );
        if throttle_pct > 0.0 {
            let span = now - acc.start_ns;
            let interval = self.p.network.ping_interval_ns.max(1);
            self.guest.throttled_ns += span;
            self.guest.max_stall_ns = self.guest.max_stall_ns.max(guest::sleep_ns(throttle_pct));
            self.guest.late_probes +=
                span as f64 / interval as f64 * guest::late_fraction(throttle_pct, interval);
        }
        self.passes.push(Pass {
            index: self.sync_count,
            start_ns: acc.start_ns,
            end_ns: now,
            normal_pages: acc.normal,
            zero_pages: acc.zero,
            bytes_sent: acc.bytes.round() as u64,
            dirtied_pages: dirtied,
            remaining_pages: remaining,
            throttle_pct,
            bandwidth_bytes_per_s: bw,
            expected_downtime_ns,
            dirty_rate_pages_s: self.ac.dirty_pages_rate,
            stop_and_copy: false,
        });
    }

    /// `migration_completion`: stop the guest, final sync, send the rest unthrottled.
    fn complete(&mut self, stop_at: Nanos) -> Outcome {
        let found = self.sync(stop_at);
        let rate = self.p.link.payload_bytes_per_s;
        let (normal, zero) = page_costs(self.p, rate);
        let mut budget = Budget {
            bytes: f64::INFINITY,
            ns: f64::INFINITY,
        };
        let taken = self.bitmap.take(
            &mut self.cursor,
            self.layout.zero_range(),
            normal,
            zero,
            &mut budget,
        );
        let final_bytes = stream_bytes(taken, normal, zero);
        let final_ram_ns = (taken.normal_pages as f64 * normal.ns
            + taken.zero_pages as f64 * zero.ns)
            .round() as Nanos;
        let downtime =
            switchover::downtime(self.p, taken.normal_pages + taken.zero_pages, final_ram_ns);
        // The final sync closed the last iterative pass (usually empty: QEMU syncs in
        // ram_save_pending and again in ram_save_complete); the stop-and-copy pass is
        // what the paused guest sends.
        let stop = Pass {
            index: self.sync_count,
            start_ns: stop_at,
            end_ns: stop_at + final_ram_ns,
            normal_pages: taken.normal_pages,
            zero_pages: taken.zero_pages,
            bytes_sent: final_bytes.round() as u64,
            dirtied_pages: found,
            remaining_pages: 0,
            throttle_pct: self.ac.throttle_pct,
            bandwidth_bytes_per_s: rate,
            expected_downtime_ns: final_ram_ns,
            dirty_rate_pages_s: self.ac.dirty_pages_rate,
            stop_and_copy: true,
        };
        match self.passes.last_mut() {
            Some(last) if last.end_ns == last.start_ns && last.bytes_sent == 0 => *last = stop,
            _ => self.passes.push(stop),
        }
        self.bytes_total += final_bytes + self.p.guest.device_state_bytes as f64;
        let verdict = if self.max_throttle_pct > 0.0 {
            Verdict::ConvergedWithThrottle
        } else {
            Verdict::Converged
        };
        self.finish(stop_at, downtime, verdict, true, false)
    }

    /// Switch to post-copy: stop, send device state, resume on the destination and
    /// pull the remaining pages from there.
    fn switch_to_postcopy(&mut self, stop_at: Nanos) -> Outcome {
        let downtime = switchover::downtime(self.p, 0, 0);
        let remaining = self.bitmap.count() as f64;
        let (normal, _) = page_costs(self.p, self.p.link.payload_bytes_per_s);
        let pull_ns = (remaining * normal.ns).round() as Nanos;
        self.bytes_total += remaining * normal.bytes + self.p.guest.device_state_bytes as f64;
        let mut o = self.finish(stop_at, downtime, Verdict::NeedsPostcopy, true, true);
        o.total_time_ns += pull_ns;
        o.alternatives.postcopy_degraded_ns = pull_ns;
        o
    }

    /// A steady state that cannot converge: throttling can rise no further, no load
    /// phase is ahead, no post-copy switch is due, and pending bytes have made no new
    /// low for [`STEADY_PASSES`] passes while staying well above the threshold. The
    /// rest of the run until the timeout is then extrapolated, not simulated.
    fn stuck(&self, now: Nanos, threshold: f64) -> bool {
        let phases_ahead = self.p.workload.phases.iter().any(|ph| ph.start_ns > now);
        self.passes_since_best >= STEADY_PASSES
            && !self.ac.can_throttle_more()
            && !phases_ahead
            && self.p.migration.postcopy == Postcopy::Off
            && self.best_pending_bytes > 1.25 * threshold
    }

    /// Gives up at the horizon; a run stopped early in a steady state is extrapolated
    /// to it: the sender stays busy at its rate, the throttle stays where it is.
    fn give_up(&mut self, now: Nanos) -> Outcome {
        let verdict = if self.p.migration.postcopy_available {
            Verdict::NeedsPostcopy
        } else {
            Verdict::NeedsOffline
        };
        let end = self.horizon_ns.max(now);
        let rest = end - now;
        let extrapolated_from_ns = (rest > 0).then_some(now);
        if rest > 0 {
            self.bytes_total += send_rate(self.p) * rest as f64 / NS_PER_S as f64;
            let pct = self.ac.throttle_pct;
            if pct > 0.0 {
                let interval = self.p.network.ping_interval_ns.max(1);
                self.guest.throttled_ns += rest;
                self.guest.late_probes +=
                    rest as f64 / interval as f64 * guest::late_fraction(pct, interval);
            }
        }
        let mut o = self.finish(end, Downtime::default(), verdict, false, false);
        o.extrapolated_from_ns = extrapolated_from_ns;
        o
    }

    fn finish(
        &mut self,
        stop_at: Nanos,
        downtime: Downtime,
        verdict: Verdict,
        completed: bool,
        postcopy: bool,
    ) -> Outcome {
        let resume_at = stop_at + downtime.guest_ns;
        let (after_resume, pvs) = if completed {
            clients::after_switchover(self.p, 0, stop_at, resume_at, self.max_throttle_pct)
        } else {
            Default::default()
        };
        let alternatives = self.alternatives();

        Outcome {
            seed: self.seed,
            verdict,
            completed,
            total_time_ns: stop_at + downtime.reported_ns,
            bytes_sent: self.bytes_total.round() as u64,
            passes: std::mem::take(&mut self.passes),
            downtime,
            after_resume,
            guest: std::mem::take(&mut self.guest),
            max_throttle_pct: self.max_throttle_pct,
            postcopy_used: postcopy,
            alternatives,
            pvs,
            extrapolated_from_ns: None,
        }
    }

    fn alternatives(&self) -> Alternatives {
        let p = self.p;
        let rate = p.link.payload_bytes_per_s;
        let (normal, zero) = page_costs(p, rate);
        let all = self.layout.nonzero_pages() as f64 * normal.ns
            + self.layout.zero_pages() as f64 * zero.ns;
        let offline = switchover::downtime(p, self.layout.pages, all.round() as Nanos);
        let postcopy = switchover::downtime(p, 0, 0);
        // Post-copy after the first pass pulls what that pass left dirty.
        let left = self
            .passes
            .first()
            .map_or(self.layout.hot_end, |ps| ps.remaining_pages) as f64;
        Alternatives {
            offline_downtime_ns: offline.guest_ns,
            postcopy_downtime_ns: postcopy.guest_ns,
            postcopy_degraded_ns: (left * normal.ns).round() as Nanos,
        }
    }
}

/// Bytes of non-zero guest memory: no run can send less.
pub fn nonzero_bytes(p: &ModelParams) -> u64 {
    Layout::of(p).nonzero_pages() * PAGE_SIZE_BYTES.min(p.guest.page_size_bytes)
}
