//! Fault tests on the real lab: mid-migration, kill the destination's QEMU, take the
//! migration link down, and send SIGINT to `migbench record`. Each time the guest
//! must end up running on exactly one host (the source) and the bundle must be kept,
//! marked incomplete. Skipped unless MIGBENCH_LAB=1 (see tests/lab-e2e.sh).
#![cfg(feature = "lab")]

mod lab_support;

use lab_support::{LAB_LOCK, check_bundle, lab, wait_bounded, wait_for_job};
use std::process::{Command, Stdio};
use std::time::Duration;

/// A load that keeps the job running long enough to hit it mid-way.
const HEAVY: &[&str] = &[
    "--workload",
    "wws_mib=64,rate=20000",
    "--bandwidth-mib-s",
    "32",
    "--timeout-s",
    "90",
    "--stall-s",
    "6",
];

fn other(h: &str) -> &'static str {
    if h == "hA" { "hB" } else { "hA" }
}

/// Runs one fault: start a heavy recording, wait for the job, `inject`, then check.
fn fault(
    name: &str,
    inject: impl FnOnce(&lab_support::Lab, &str, u32),
    undo: impl FnOnce(&lab_support::Lab, &str),
) {
    let _guard = LAB_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let Some(lab) = lab(name) else { return };
    let source = lab.guest_host();
    let dest = other(&source);
    let dir = lab.bundle(name);
    let child = lab
        .record(&dir, HEAVY)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start migbench record");
    let pid = child.id();
    let running = wait_for_job(&dir, 40, Duration::from_secs(60));
    if running {
        inject(&lab, dest, pid);
    }
    let out = wait_bounded(child, Duration::from_secs(150));
    undo(&lab, dest);
    assert!(running, "{name}: the migration never got going");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{name}: exit {:?}\n{stdout}", out.status.code());
    assert!(!out.status.success(), "{name}: a fault must not exit 0");
    assert_ne!(out.status.code(), Some(2), "{name}: not a bad-input error");
    // exactly one host, and it is the source: the job never completed
    let p = lab.placement();
    assert!(p.ok(), "{name}: {p}");
    assert_eq!(p.host(), source, "{name}: {p}");
    assert!(
        stdout.contains(&format!("guest runs on {source} only")),
        "{name}: the tool must say where"
    );
    let b = check_bundle(&dir);
    assert!(
        !b.manifest.bundle.complete,
        "{name}: bundle must be incomplete"
    );
    assert_ne!(b.manifest.bundle.outcome.as_deref(), Some("completed"));
    let lab_t = b.manifest.lab.as_ref().expect("[lab]");
    assert_eq!(lab_t["guest_after"].as_str(), Some(source.as_str()));
}

#[test]
fn kill_destination_qemu_mid_migration() {
    fault(
        "lab-fault-kill-dest-qemu",
        |lab, dest, _| {
            let pid = lab.qemu_pid(dest).expect("destination QEMU pid file");
            println!("killing the destination's QEMU (pid {pid}) on {dest}");
            let st = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status()
                .unwrap();
            assert!(st.success());
        },
        |_, _| {},
    );
}

#[test]
fn link_down_mid_migration() {
    fault(
        "lab-fault-link-down",
        |lab, dest, _| {
            println!("taking {dest}'s link down");
            let st = Command::new("ip")
                .args(["-n", &lab.ns(dest), "link", "set", "eth0", "down"])
                .status()
                .unwrap();
            assert!(st.success());
        },
        |lab, dest| {
            let _ = Command::new("ip")
                .args(["-n", &lab.ns(dest), "link", "set", "eth0", "up"])
                .status();
            // the host bridge forwards again at once (STP off); give ARP a moment
            std::thread::sleep(Duration::from_secs(2));
        },
    );
}

#[test]
fn sigint_mid_migration() {
    fault(
        "lab-fault-sigint",
        |_, _, pid| {
            println!("SIGINT to migbench record (pid {pid})");
            let st = Command::new("kill")
                .args(["-INT", &pid.to_string()])
                .status()
                .unwrap();
            assert!(st.success());
        },
        |_, _| {},
    );
}
