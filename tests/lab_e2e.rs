//! End-to-end on the real lab: one converging and one non-converging (aborted at its
//! timeout) migration recorded with `migbench record`, each bundle loaded and
//! replayed (`migbench replay` when this build has it). Skipped unless MIGBENCH_LAB=1
//! (see tests/lab-e2e.sh).
#![cfg(feature = "lab")]

mod lab_support;

use lab_support::{LAB_LOCK, check_bundle, lab, replay};
use std::time::Duration;

fn replay_or_load(dir: &std::path::Path) {
    match replay(dir) {
        Some(out) => {
            let stdout = String::from_utf8_lossy(&out.stdout);
            println!(
                "replay {}: exit {:?}\n{stdout}",
                dir.display(),
                out.status.code()
            );
            assert_ne!(
                out.status.code(),
                Some(2),
                "replay refused the bundle: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            serde_json::from_str::<serde_json::Value>(&stdout).expect("replay --json prints JSON");
        }
        None => println!(
            "{}: `migbench replay` not in this build; the bundle loads and its model input builds",
            dir.display()
        ),
    }
}

#[test]
fn converging_then_non_converging() {
    let _guard = LAB_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let Some(lab) = lab("lab_e2e") else { return };

    // 1: idle guest, 64 MiB/s: converges, the guest moves
    let from = lab.guest_host();
    let dir = lab.bundle("e2e-idle-a");
    let out = lab.record_run(
        &dir,
        &[
            "--workload",
            "wws_mib=0,rate=0",
            "--bandwidth-mib-s",
            "64",
            "--timeout-s",
            "60",
        ],
        Duration::from_secs(150),
    );
    assert!(out.status.success(), "converging run failed");
    let b = check_bundle(&dir);
    assert!(b.manifest.bundle.complete);
    assert_eq!(b.manifest.bundle.outcome.as_deref(), Some("completed"));
    let jobs = std::fs::read_to_string(dir.join("jobstats.jsonl")).unwrap();
    assert!(
        jobs.lines().last().unwrap().contains("\"completed\":true"),
        "completed stats missing"
    );
    assert!(jobs.contains("\"downtime\":"));
    // the host right before the call: its load (which fit's breakdown reads) and its
    // boot, this machine's
    let lab_t = b.manifest.lab.as_ref().expect("[lab]");
    let load = lab_t["load_avg"].as_float().expect("[lab] load_avg");
    assert!((0.0..1000.0).contains(&load), "load_avg {load}");
    assert_eq!(
        lab_t.get("host_boot_id").and_then(|v| v.as_str()),
        std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
            .ok()
            .as_deref()
            .map(str::trim)
    );
    assert!(
        lab_t
            .get("host_free_2mib_blocks")
            .is_some_and(|v| v.is_integer())
    );
    let to = lab.guest_host();
    assert_ne!(from, to, "the guest did not move");
    replay_or_load(&dir);

    // 2: 20000 page writes/s over 64 MiB at 32 MiB/s never converges: aborted at the
    // timeout, a planned end, so the bundle is complete and the guest stays
    let dir = lab.bundle("e2e-nonconv-b");
    let out = lab.record_run(
        &dir,
        &[
            "--workload",
            "wws_mib=64,rate=20000",
            "--bandwidth-mib-s",
            "32",
            "--timeout-s",
            "25",
        ],
        Duration::from_secs(150),
    );
    assert!(
        out.status.success(),
        "non-converging run: the planned abort is not a failure"
    );
    let b = check_bundle(&dir);
    assert!(b.manifest.bundle.complete);
    assert_eq!(b.manifest.bundle.outcome.as_deref(), Some("aborted"));
    assert_eq!(
        lab.guest_host(),
        to,
        "an aborted job must leave the guest where it was"
    );
    let jobs = std::fs::read_to_string(dir.join("jobstats.jsonl")).unwrap();
    let iterations = jobs
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["memory_iteration"].as_u64())
        .max()
        .unwrap_or(0);
    assert!(iterations >= 3, "only {iterations} passes in 25 s");
    replay_or_load(&dir);
}
