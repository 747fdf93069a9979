//! The analytic twin: the closed-form geometric model of pre-copy. With pages dirtied
//! uniformly at `D` bytes/s and sent at `B` bytes/s, pass `i` sends
//! `V_i = V_0 (D/B)^i`; pre-copy stops at the first pass whose volume fits under the
//! threshold `B x downtime_limit`.
//!
//! Its assumptions: writes land uniformly within each region, one load phase, no
//! throttling, and syncs at the end of full passes (threshold small against pass
//! volumes). The pages a pass leaves dirty are the expected number of distinct pages
//! `n` uniform writes touch in a region of `H` pages, `H (1 - e^(-n/H))`, which is
//! `n` (the geometric model) while a small share of the region is written per pass.
//! Where the assumptions hold, [`crate::model::simulate`] must agree with it; it is
//! also the fast first guess.

use super::params::ModelParams;
use super::precopy::{horizon_ns, send_rate};
use super::qemu::ZERO_PAGE_PAYLOAD_BYTES;
use super::switchover;
use super::workload::Layout;
use crate::units::{NS_PER_S, Nanos};
use serde::Serialize;

/// The twin's prediction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Twin {
    /// Pages sent by each pass.
    pub pass_pages: Vec<f64>,
    /// Whether pre-copy converges (D < B, within the horizon).
    pub converges: bool,
    /// Dirty rate over send rate.
    pub ratio: f64,
    /// Total time (setup, passes, reported downtime), when it converges.
    pub total_time_ns: Nanos,
    /// Stream bytes sent, when it converges.
    pub bytes_sent: f64,
    /// Reported downtime, when it converges.
    pub downtime_ns: Nanos,
}

/// Expected distinct pages that `writes` uniform writes touch among `pages` pages.
fn occupied(pages: f64, writes: f64) -> f64 {
    if pages <= 0.0 {
        0.0
    } else {
        -pages * (-writes / pages).exp_m1()
    }
}

/// Evaluates the model for the first load phase.
pub fn geometric(p: &ModelParams) -> Twin {
    let layout = Layout::of(p);
    let page = p.guest.page_size_bytes as f64;
    let hdr = p.link.page_header_bytes as f64;
    let normal_bytes = hdr + page * p.link.compression_ratio;
    let zero_bytes = hdr + ZERO_PAGE_PAYLOAD_BYTES as f64;
    let rate = send_rate(p);
    let link = p.link.payload_bytes_per_s;
    let scan_s = page / p.link.zero_scan_bytes_per_s;
    let phase = &p.workload.phases[0];
    let writes_per_s = phase.hot_writes_per_s + phase.cold_writes_per_s;
    let dirty_bytes_per_s = writes_per_s * normal_bytes;
    let (hot, cold) = (layout.hot_end as f64, layout.cold_pages() as f64);
    let distinct = |t_s: f64| {
        occupied(hot, phase.hot_writes_per_s * t_s) + occupied(cold, phase.cold_writes_per_s * t_s)
    };
    let ratio = dirty_bytes_per_s / rate;
    let threshold = rate * p.migration.downtime_limit_ns as f64 / NS_PER_S as f64;

    // Pass 0 sends all of RAM; the sender runs at link speed, capped per window.
    let v0 = layout.nonzero_pages() as f64 * normal_bytes + layout.zero_pages() as f64 * zero_bytes;
    let sender_s = v0 / link + layout.zero_pages() as f64 * scan_s;
    let mut t_pass = (v0 / rate).max(sender_s);
    let mut pages = layout.pages as f64;
    let mut pass_pages = vec![pages];
    let mut elapsed_s = switchover::first_page_ns(p) as f64 / NS_PER_S as f64;
    let mut bytes = 0.0;
    let horizon_s = horizon_ns(p) as f64 / NS_PER_S as f64;
    loop {
        elapsed_s += t_pass;
        bytes += if pass_pages.len() == 1 {
            v0
        } else {
            pages * normal_bytes
        };
        let prev = pages;
        pages = distinct(t_pass);
        if pages * page < threshold || pages < 1.0 {
            break;
        }
        if elapsed_s > horizon_s || pages >= prev {
            return Twin {
                pass_pages,
                converges: false,
                ratio,
                total_time_ns: 0,
                bytes_sent: bytes,
                downtime_ns: 0,
            };
        }
        pass_pages.push(pages);
        t_pass = pages * normal_bytes / rate;
    }
    let final_ns = (pages * normal_bytes / link * NS_PER_S as f64).round() as Nanos;
    let downtime = switchover::downtime(p, pages.round() as u64, final_ns);
    bytes += pages * normal_bytes + p.guest.device_state_bytes as f64;
    Twin {
        pass_pages,
        converges: true,
        ratio,
        total_time_ns: (elapsed_s * NS_PER_S as f64).round() as Nanos + downtime.reported_ns,
        bytes_sent: bytes,
        downtime_ns: downtime.reported_ns,
    }
}
