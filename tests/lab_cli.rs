//! The lab commands' command-line behaviour, without a lab: clear errors, exit 2 for
//! bad input, `lab status --json` on a lab that is not up.

use std::process::Command;

fn migbench(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_migbench"))
        .args(args)
        .env("LAB", "/nonexistent/migbench-lab-cli-test")
        .env("LAB_NS_PREFIX", "mbclitest-")
        .output()
        .expect("run migbench")
}

#[test]
fn record_without_hosts_is_bad_input() {
    let out = migbench(&["record", "-o", "/tmp/never-written-bundle"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    if cfg!(feature = "lab") {
        assert!(err.contains("--source is required (or use --lab)"), "{err}");
    } else {
        assert!(err.contains("built without the `lab` feature"), "{err}");
    }
    assert!(!std::path::Path::new("/tmp/never-written-bundle").exists());
}

#[cfg(feature = "lab")]
#[test]
fn record_rejects_bad_workloads_and_numbers() {
    let base = [
        "record",
        "--source",
        "test:///default",
        "--dest",
        "test:///other",
        "--domain",
        "d",
        "--guest-ip",
        "192.0.2.10",
        "-o",
        "/tmp/never-written-bundle",
    ];
    let mut a = base.to_vec();
    a.extend(["--workload", "wws_mib=64,speed=3"]);
    let out = migbench(&a);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown key `speed`"));
    let mut a = base.to_vec();
    a.extend(["--timeout-s", "-1"]);
    let out = migbench(&a);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn lab_status_json_on_a_lab_that_is_not_up() {
    let out = migbench(&["lab", "status", "--json"]);
    let is_root = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.to_string())
        })
        .and_then(|l| l.split_whitespace().nth(2).map(|u| u == "0"))
        .unwrap_or(false);
    if !is_root {
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("needs root"));
        return;
    }
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["up"], false);
    assert_eq!(v["lab"], "/nonexistent/migbench-lab-cli-test");
}
