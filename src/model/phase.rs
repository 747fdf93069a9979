//! Where QEMU's rate-limit windows fall in the guest's data. With a bandwidth cap QEMU
//! sends a window's bytes every 100 ms and checks the pending bytes between windows,
//! so the first pass ends at a window boundary and the final pass is whatever data lies
//! beyond it. A few MB more or less data in the guest move that boundary by up to a
//! window (6.7 MB at 64 MiB/s), and nobody knows a guest's data that well before the
//! job. So the pause to predict is the median over the window's phase: the same
//! migration with the guest's data shifted across one window.

use super::outcome::Outcome;
use super::params::ModelParams;
use super::precopy::{send_rate, simulate};
use super::qemu::BUFFER_DELAY_NS;
use crate::units::NS_PER_S;

/// Phases one window is split into.
pub const PHASES: usize = 16;

/// `p` with the guest's non-zero memory larger by `frac` (-0.5 to 0.5) of one
/// window's bytes (the bytes QEMU sends in 100 ms at the rate pages leave at).
pub fn shifted(p: &ModelParams, frac: f64) -> ModelParams {
    let mut q = p.clone();
    let window_bytes = send_rate(p) * BUFFER_DELAY_NS as f64 / NS_PER_S as f64;
    let pages = (p.guest.memory_bytes / p.guest.page_size_bytes).max(1) as f64;
    let shift_pages = frac * window_bytes / p.guest.page_size_bytes as f64;
    q.workload.zero_fraction = (p.workload.zero_fraction - shift_pages / pages).clamp(0.0, 1.0);
    q
}

/// Of the runs over [`PHASES`] phases of one window (seed `seed`), the one whose
/// guest pause is the median among those that complete; None when none does.
pub fn median_over_phases(p: &ModelParams, seed: u64) -> Option<Outcome> {
    let mut runs: Vec<Outcome> = (0..PHASES)
        .map(|j| {
            let frac = (j as f64 + 0.5) / PHASES as f64 - 0.5;
            simulate(&shifted(p, frac), seed)
        })
        .filter(|o| o.completed)
        .collect();
    if runs.is_empty() {
        return None;
    }
    runs.sort_by_key(|o| o.downtime.guest_ns);
    let mid = runs.len() / 2;
    Some(runs.swap_remove(mid))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario;

    fn idle_guest() -> ModelParams {
        let f: scenario::ScenarioFile = toml::from_str(
            "[guest]\nmemory_mib = 512\n[workload]\nzero_fraction = 0.7\n\
             top_nonzero_mib = 16\n[migration]\nmax_bandwidth_mib_s = 64\n",
        )
        .unwrap();
        scenario::from_file(&f).unwrap()
    }

    #[test]
    fn a_shift_moves_the_data_by_a_share_of_one_window() {
        let p = idle_guest();
        let nonzero =
            |q: &ModelParams| (1.0 - q.workload.zero_fraction) * q.guest.memory_bytes as f64;
        let window = 64.0 * 1048576.0 / 10.0;
        let moved = nonzero(&shifted(&p, 0.5)) - nonzero(&shifted(&p, -0.5));
        assert!((moved - window).abs() < 4096.0, "{moved} bytes");
        assert_eq!(shifted(&p, 0.0), p);
    }

    #[test]
    fn the_pause_is_that_of_a_run_over_the_phases() {
        let p = idle_guest();
        let m = median_over_phases(&p, 1).expect("an idle guest completes");
        let pauses: Vec<u64> = (0..PHASES)
            .map(|j| {
                let frac = (j as f64 + 0.5) / PHASES as f64 - 0.5;
                simulate(&shifted(&p, frac), 1).downtime.guest_ns
            })
            .collect();
        assert!(pauses.contains(&m.downtime.guest_ns));
        let below = pauses.iter().filter(|&&x| x < m.downtime.guest_ns).count();
        let above = pauses.iter().filter(|&&x| x > m.downtime.guest_ns).count();
        assert!(below <= PHASES / 2 && above < PHASES / 2, "{pauses:?}");
        // Where the windows fall changes the final pass: the phases do not all agree.
        assert!(pauses.iter().any(|&x| x != pauses[0]), "{pauses:?}");
    }
}
