//! The `replay` report: what the recording shows, what the model predicts, and each
//! check against its tolerance.

use super::table::Table;
use crate::replay::Replay;
use crate::units::MIB;

fn ms(x: Option<f64>) -> String {
    x.map_or("-".into(), |v| format!("{v:.0}"))
}

/// The human-readable replay report.
pub fn render(r: &Replay) -> String {
    let mut s = format!("replay of {}\n\nobserved\n", r.name);
    let o = &r.observed;
    if let Some(j) = &o.job {
        s.push_str(&format!(
            "  migration  {}{} after {} ms, downtime {} ms{}, {} sent, {} passes{}\n",
            j.outcome,
            if j.postcopy { " (post-copy)" } else { "" },
            ms(j.total_time_ms),
            ms(j.downtime_ms),
            if j.downtime_expected {
                " (expected, not real)"
            } else {
                ""
            },
            j.memory_processed_bytes
                .map_or("-".into(), |b| format!("{:.1} MiB", b as f64 / MIB as f64)),
            j.iterations.map_or("-".into(), |i| i.to_string()),
            j.max_throttle_pct
                .filter(|&t| t > 0)
                .map_or(String::new(), |t| format!(", throttled up to {t} %")),
        ));
        if let Some(b) = j.final_pass_bytes {
            let pages = match (j.final_pass_pages, j.final_pass_zero_pages) {
                (Some(p), Some(z)) => format!(": {p} pages, {z} of them zero pages"),
                _ => String::new(),
            };
            s.push_str(&format!(
                "  final pass {:.2} MiB sent while paused{pages}\n",
                b as f64 / MIB as f64
            ));
        }
        if let (Some(p), Some(t)) = (j.first_sync_new_pages, j.first_sync_after_ms) {
            let size = j.page_size_bytes.map_or(String::new(), |b| {
                format!(
                    " ({:.2} MiB at {} KiB)",
                    (p * b) as f64 / MIB as f64,
                    b / 1024
                )
            });
            s.push_str(&format!(
                "  first pass ended {:.2} s into the job; the guest wrote {p} pages{size} during it\n",
                t / 1e3,
            ));
        }
    } else {
        s.push_str("  migration  no job statistics recorded\n");
    }
    if let Some(p) = &o.ping {
        s.push_str(&format!(
            "  ping       {} probes lost at the switch: outage between {:.0} and {} ms (probe every {:.0} ms); \
             {} lost in all, {} late{}\n",
            p.lost,
            p.outage_ms_lo,
            p.outage_ms_hi.map_or("?".into(), |h| format!("{h:.0}")),
            p.interval_ms,
            p.total_lost,
            p.late_replies,
            o.ping_rtt_before_job_ms
                .map_or(String::new(), |r| format!(
                    "; mean round trip before the job {r:.2} ms"
                )),
        ));
    }
    if let Some(op) = &o.outage_parts {
        s.push_str(&format!(
            "  outage     {:.0} ms migration downtime (job statistics) + {:.0}..{} ms network reconvergence \
             (the guest ran again but could not be reached)\n",
            op.downtime_ms,
            op.network_ms_lo,
            op.network_ms_hi.map_or("?".into(), |h| format!("{h:.0}"))
        ));
    }
    if !o.pv.is_empty() {
        let mut t = Table::new(&[
            "  PV",
            "updates",
            "stall ms",
            "server gap ms",
            "late",
            "missed",
            "offset before ms",
            "after ms",
            "kind",
        ]);
        for p in &o.pv {
            t.row(vec![
                format!("  {}", p.name),
                p.updates.to_string(),
                ms(p.longest_stall_ms),
                ms(p.server_gap_ms),
                p.late_values.to_string(),
                p.missed_values.map_or("-".into(), |m| m.to_string()),
                ms(p.offset_before_ms),
                ms(p.offset_after_ms),
                p.stall_kind.label().to_string(),
            ]);
        }
        s.push_str(&t.render());
        s.push_str(&format!(
            "  PVs say:   {}: {}\n",
            o.stall_kind.label(),
            o.stall_kind.meaning()
        ));
    }
    for sk in &o.skipped {
        s.push_str(&format!(
            "  skipped    {} {} in {} (known tool noise: {}), first at line {}\n",
            sk.count,
            if sk.count == 1 { "line" } else { "lines" },
            sk.file,
            sk.reason,
            sk.first_line
        ));
    }
    if let Some(p) = &r.predicted {
        s.push_str(&format!(
            "\npredicted\n  {} in {:.0} ms, downtime {:.0} ms (guest paused {:.0} ms), {:.1} MiB, {} passes; \
             ping outage {:.0} ms ({:.0} ms network: {})\n",
            p.verdict,
            p.total_time_ms,
            p.downtime_ms,
            p.guest_downtime_ms,
            p.memory_processed_bytes as f64 / MIB as f64,
            p.iterations,
            p.outage_ms,
            p.network_ms,
            p.network_cause
        ));
        if let Some([lo, hi]) = p.guest_downtime_range_ms {
            let seen = r
                .observed
                .job
                .as_ref()
                .filter(|j| !j.downtime_expected)
                .and_then(|j| j.downtime_ms)
                .map_or(String::new(), |d| {
                    format!(
                        "; observed {d:.0} ms, {}",
                        if (lo..=hi).contains(&d) {
                            "inside"
                        } else {
                            "outside"
                        }
                    )
                });
            s.push_str(&format!(
                "  guest pause range {lo:.0}-{hi:.0} ms: where the calibrated model's runs put 90 % of \
                 pauses around a prediction like this{seen}\n"
            ));
        }
        if p.storage_ms > 0.0 {
            s.push_str(&format!(
                "  of the guest pause, the NFS storage handover (flush on the source, re-open and lock on the \
                 destination) takes {:.1} ms\n",
                p.storage_ms
            ));
        }
        for pv in &p.pv {
            s.push_str(&format!(
                "  {}: longest stall {:.0} ms, {:.0} late values\n",
                pv.name, pv.stall_ms, pv.late_values
            ));
        }
    }
    if let Some(why) = &r.no_prediction {
        s.push_str(&format!("\nno prediction: {why}\n"));
    }
    if !r.checks.is_empty() {
        let mut t = Table::new(&[
            "check",
            "observed",
            "predicted",
            "error",
            "tolerance",
            "result",
        ]);
        for c in &r.checks {
            let observed = match c.observed_hi {
                Some(h) => format!("{:.0}..{h:.0}", c.observed),
                None if c.quantity.contains("bytes") => format!("{:.0}", c.observed),
                None => format!("{:.1}", c.observed),
            };
            let error = if c.tolerance.ends_with('%') {
                format!("{:+.1} %", c.error * 100.0)
            } else {
                format!("{:+.1}", c.error)
            };
            t.row(vec![
                c.quantity.clone(),
                observed,
                format!("{:.1}", c.predicted),
                error,
                c.tolerance.clone(),
                if c.pass { "pass" } else { "FAIL" }.into(),
            ]);
        }
        s.push('\n');
        s.push_str(&t.render());
    }
    s.push_str(&format!("\nverdict: {}\n", r.verdict));
    s
}
