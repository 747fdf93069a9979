//! Properties the pre-copy model must have, checked over generated scenarios.

use migbench::model::analytic::geometric;
use migbench::model::precopy::nonzero_bytes;
use migbench::model::workload::DirtyDraw;
use migbench::model::{ModelParams, RunOptions, Verdict, simulate, simulate_with};
use migbench::scenario;
use proptest::prelude::*;
use std::path::Path;

fn params(toml: &str) -> ModelParams {
    match scenario::parse(toml, Path::new("generated.toml")) {
        Ok(s) => s.params,
        Err(e) => panic!("generated scenario rejected: {e}\n{toml}"),
    }
}

/// A small scenario with a hot working set, some cold writes and zero pages.
#[derive(Debug, Clone, Copy)]
struct Small {
    mem_mib: u32,
    wws_mib: u32,
    hot: u32,
    cold: u32,
    zero: f64,
    mbit: u32,
    cap: Option<u32>,
    limit_ms: u32,
}

impl Small {
    fn toml(self) -> String {
        let Small {
            mem_mib,
            wws_mib,
            hot,
            cold,
            zero,
            mbit,
            cap,
            limit_ms,
        } = self;
        let cap = cap.map_or(String::new(), |c| format!("max_bandwidth_mib_s = {c}\n"));
        format!(
            "[guest]\nmemory_mib = {mem_mib}\n[workload]\nzero_fraction = {zero}\nwws_mib = {wws_mib}\n\
             hot_writes_per_s = {hot}\ncold_writes_per_s = {cold}\n[link]\nbandwidth_mbit_s = {mbit}\n\
             [migration]\ndowntime_limit_ms = {limit_ms}\n{cap}completion_timeout_s = 120\n"
        )
    }
}

fn small(
    mem_mib: u32,
    wws_mib: u32,
    hot: u32,
    zero: f64,
    cap: Option<u32>,
    limit_ms: u32,
) -> Small {
    Small {
        mem_mib,
        wws_mib,
        hot,
        cold: 0,
        zero,
        mbit: 1000,
        cap,
        limit_ms,
    }
}

fn small_strategy() -> impl Strategy<Value = String> {
    (
        64u32..512,
        1u32..32,
        0u32..20_000,
        0u32..2_000,
        0.0f64..0.9,
        100u32..2_000,
        prop::option::of(8u32..128),
        10u32..500,
    )
        .prop_map(|(mem_mib, w, hot, cold, z, mbit, cap, limit_ms)| {
            let zero = (z * 100.0).round() / 100.0;
            let wws_mib = w.min((mem_mib as f64 * (1.0 - zero)) as u32).max(1);
            Small {
                mem_mib,
                wws_mib,
                hot,
                cold,
                zero,
                mbit,
                cap,
                limit_ms,
            }
            .toml()
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn same_seed_same_run(toml in small_strategy(), seed in 0u64..1000) {
        let p = params(&toml);
        prop_assert_eq!(simulate(&p, seed), simulate(&p, seed));
    }

    #[test]
    fn never_sends_less_than_nonzero_memory(toml in small_strategy(), seed in 0u64..1000) {
        let p = params(&toml);
        let o = simulate(&p, seed);
        // Every non-zero page crosses the link at least once, with its header.
        prop_assert!(o.bytes_sent >= nonzero_bytes(&p), "{} < {}", o.bytes_sent, nonzero_bytes(&p));
    }

    #[test]
    fn more_bandwidth_never_slows_a_converging_case(toml in small_strategy(), seed in 0u64..1000, factor in 1.2f64..4.0) {
        let p = params(&toml);
        let o = simulate(&p, seed);
        prop_assume!(o.completed && o.verdict == Verdict::Converged);
        let mut faster = p.clone();
        faster.link.payload_bytes_per_s *= factor;
        if let Some(cap) = faster.migration.max_bandwidth_bytes_per_s.as_mut() {
            *cap *= factor;
        }
        let f = simulate(&faster, seed);
        prop_assert!(f.completed, "faster link did not converge");
        prop_assert!(f.total_time_ns <= o.total_time_ns, "{} s > {} s", f.total_time_ns as f64 / 1e9, o.total_time_ns as f64 / 1e9);
    }

    #[test]
    fn dirtying_faster_than_the_link_never_converges_unthrottled(mem in 256u32..1024, over in 1.2f64..3.0, mbit in 100u32..1000, seed in 0u64..100) {
        // Uniform writes over all of RAM, each a new page, at `over` x the send rate.
        let send_pages_per_s = mbit as f64 * 1e6 / 8.0 * 0.94 / 4104.0;
        let writes = (send_pages_per_s * over).round() as u32;
        let toml = format!(
            "[guest]\nmemory_mib = {mem}\n[workload]\ncold_writes_per_s = {writes}\n[link]\nbandwidth_mbit_s = {mbit}\n\
             [migration]\ncompletion_timeout_s = 60\n"
        );
        let o = simulate(&params(&toml), seed);
        prop_assert!(!o.completed, "converged with dirty rate {over:.2} x bandwidth");
        prop_assert_eq!(o.verdict, Verdict::NeedsPostcopy);
    }
}

#[test]
fn agrees_with_the_analytic_twin_on_uniform_dirtying() {
    // Uniform writes over all non-zero RAM, dirty/send ratios from 0.05 to 0.6, small
    // downtime limits: where the twin's assumptions hold.
    let mut worst: f64 = 0.0;
    for (mem_gib, mbit, ratio, limit_ms, zero) in [
        (4, 1000, 0.2, 30, 0.0),
        (8, 1000, 0.05, 50, 0.3),
        (4, 10_000, 0.4, 20, 0.0),
        (16, 10_000, 0.6, 30, 0.5),
        (2, 1000, 0.3, 10, 0.0),
    ] {
        let send_pages_per_s = mbit as f64 * 1e6 / 8.0 * (1448.0 / 1538.0) / 4104.0;
        let writes = send_pages_per_s * ratio;
        let toml = format!(
            "[guest]\nmemory_mib = {}\n[workload]\nzero_fraction = {zero}\ncold_writes_per_s = {writes}\n\
             [link]\nbandwidth_mbit_s = {mbit}\n[migration]\ndowntime_limit_ms = {limit_ms}\n",
            mem_gib * 1024
        );
        let p = params(&toml);
        let twin = geometric(&p);
        assert!(twin.converges);
        let runs = 5;
        let (mut t, mut b) = (0.0, 0.0);
        for seed in 0..runs {
            let o = simulate(&p, seed);
            assert_eq!(o.verdict, Verdict::Converged);
            t += o.total_time_ns as f64 / runs as f64;
            b += o.bytes_sent as f64 / runs as f64;
        }
        let et = (t - twin.total_time_ns as f64).abs() / twin.total_time_ns as f64;
        let eb = (b - twin.bytes_sent).abs() / twin.bytes_sent;
        worst = worst.max(et).max(eb);
        assert!(
            et < 0.02,
            "{mem_gib} GiB @ {mbit} Mbit/s ratio {ratio}: time off by {:.2} %",
            et * 100.0
        );
        assert!(
            eb < 0.02,
            "{mem_gib} GiB @ {mbit} Mbit/s ratio {ratio}: bytes off by {:.2} %",
            eb * 100.0
        );
    }
    eprintln!(
        "worst relative difference to the twin: {:.3} %",
        worst * 100.0
    );
}

#[test]
fn bulk_dirtying_matches_the_per_write_model() {
    // Small cases where one event per write is affordable: total time, bytes and the
    // dirty set the first pass leaves agree within 2 % over 120 seeds, converging or
    // not.
    for toml in [
        Small {
            cold: 200,
            ..small(128, 16, 3000, 0.5, Some(32), 100)
        }
        .toml(),
        small(256, 64, 20000, 0.75, Some(32), 300).toml(),
        Small {
            cold: 1500,
            mbit: 300,
            ..small(96, 8, 800, 0.2, None, 50)
        }
        .toml(),
    ] {
        let p = params(&toml);
        let mean = |draw: DirtyDraw| {
            let n = 120;
            let mut acc = [0.0; 3];
            for seed in 0..n {
                let o = simulate_with(&p, seed, RunOptions { draw });
                acc[0] += o.total_time_ns as f64 / n as f64;
                acc[1] += o.bytes_sent as f64 / n as f64;
                // The dirty set the first pass leaves: a clean occupancy statistic.
                acc[2] += o.passes.first().map_or(0.0, |ps| ps.remaining_pages as f64) / n as f64;
            }
            acc
        };
        let (bulk, exact) = (mean(DirtyDraw::Bulk), mean(DirtyDraw::PerWrite));
        for (i, what) in ["total time", "bytes", "dirty set after the first pass"]
            .iter()
            .enumerate()
        {
            let rel = (bulk[i] - exact[i]).abs() / exact[i];
            assert!(
                rel < 0.02,
                "{what}: bulk {} vs per-write {} ({:.2} %)\n{toml}",
                bulk[i],
                exact[i],
                rel * 100.0
            );
        }
    }
}

#[test]
fn auto_converge_rescues_a_non_converging_guest() {
    let base = small(512, 64, 20000, 0.75, Some(32), 300).toml();
    let p = params(&base);
    let o = simulate(&p, 3);
    assert_eq!(o.verdict, Verdict::NeedsPostcopy);
    let p = params(&base.replace("[migration]\n", "[migration]\nauto_converge = true\n"));
    let o = simulate(&p, 3);
    assert_eq!(
        o.verdict,
        Verdict::ConvergedWithThrottle,
        "{:?}",
        o.passes.last()
    );
    assert!(o.max_throttle_pct >= 20.0);
    assert!(o.guest.late_probes > 0.0 || o.max_throttle_pct < 95.0);
}

#[test]
fn postcopy_after_first_pass_finishes_what_precopy_cannot() {
    let base = small(512, 64, 20000, 0.75, Some(32), 300).toml();
    let p = params(&base.replace("[migration]\n", "[migration]\npostcopy = true\n"));
    let o = simulate(&p, 3);
    assert!(o.completed && o.postcopy_used);
    assert_eq!(o.verdict, Verdict::NeedsPostcopy);
    assert_eq!(o.passes.len(), 1);
    assert!(
        o.downtime.guest_ns < 100_000_000,
        "post-copy downtime {} ns",
        o.downtime.guest_ns
    );
}

/// The first pass ends on the guest's top non-zero pages: while they are below the
/// threshold, an idle guest sends them with the guest paused (QEMU checks the pending
/// bytes while the pass runs); above it, only what is left when it falls under.
#[test]
fn an_idle_guest_pauses_with_its_top_pages() {
    let idle = |top_mib: f64, cap: u32| {
        params(&format!(
            "[guest]\nmemory_mib = 512\n[workload]\nzero_fraction = 0.7\ntop_nonzero_mib = {top_mib}\n\
             [link]\nbandwidth_mbit_s = 1000\n[migration]\nmax_bandwidth_mib_s = {cap}\n\
             downtime_limit_ms = 300\n"
        ))
    };
    let final_mib = |p: &ModelParams| {
        let o = simulate(p, 1);
        assert!(o.completed);
        let last = o.passes.last().unwrap();
        assert!(last.stop_and_copy);
        last.normal_pages as f64 * 4096.0 / 1048576.0
    };
    // Without top pages an idle guest pauses with nothing left to send.
    assert_eq!(final_mib(&idle(0.0, 64)), 0.0);
    // 12 MiB at the top, threshold 64 MiB/s x 300 ms = 19.2 MiB: sent while paused,
    // less what the window that crossed the threshold already sent.
    let twelve = final_mib(&idle(12.0, 64));
    assert!((5.0..=12.0).contains(&twelve), "{twelve} MiB");
    // At 32 MiB/s the threshold is 9.6 MiB: at most that is left for the pause.
    let capped = final_mib(&idle(12.0, 32));
    assert!(capped > 0.0 && capped <= 9.6, "{capped} MiB");
    // The top pages are part of the non-zero memory: the bytes sent do not change.
    let (a, b) = (simulate(&idle(0.0, 64), 1), simulate(&idle(12.0, 64), 1));
    let rel = (a.bytes_sent as f64 - b.bytes_sent as f64).abs() / a.bytes_sent as f64;
    assert!(rel < 0.01, "{} vs {}", a.bytes_sent, b.bytes_sent);
}

#[test]
fn opening_an_nfs_image_delays_the_first_page_by_its_round_trips() {
    let run = |storage: &str| {
        let p = params(&format!(
            "[guest]\nmemory_mib = 256\n[workload]\nzero_fraction = 0.7\n\
             [migration]\nmax_bandwidth_mib_s = 64\nsetup_ms = 100\n[storage]\n{storage}\n"
        ));
        let o = simulate(&p, 1);
        assert!(o.completed);
        (o.total_time_ns, o.passes[0].start_ns, o.bytes_sent)
    };
    let nfs = "kind = \"nfs\"\nnfs_rtt_ms = 20";
    let (t0, s0, b0) = run(nfs);
    let (t1, s1, b1) = run(&format!("{nfs}\nprepare_round_trips = 10"));
    // 10 round trips of 20 ms before the first page, and nothing else changes.
    assert_eq!(s0, 100_000_000);
    assert_eq!(s1 - s0, 200_000_000);
    assert_eq!(t1 - t0, 200_000_000);
    assert_eq!(b1, b0);
    // Without an NFS disk there is nothing to open.
    let (_, s2, _) = run("kind = \"shared\"\nprepare_round_trips = 10");
    assert_eq!(s2, 100_000_000);
}
