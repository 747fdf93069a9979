//! Helpers of the tests that need a real lab (`tests/lab_*.rs`).
//!
//! They run only with `MIGBENCH_LAB=1` and a lab up (`LAB`, `LAB_NS_PREFIX` as for
//! lab/up.sh); `tests/lab-e2e.sh` brings a private lab up, runs them and tears it
//! down. Without it each test says why it is skipped and passes.

#![allow(dead_code)]

use migbench::bundle::Bundle;
use migbench::lab::recorder::{self, Host};
use migbench::lab::safety::PlacementReport;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One lab, one guest: tests in a binary take turns.
pub static LAB_LOCK: Mutex<()> = Mutex::new(());

/// The lab under test.
pub struct Lab {
    /// `$LAB`.
    pub dir: PathBuf,
    /// `$LAB_NS_PREFIX`.
    pub prefix: String,
    /// Where bundles go.
    pub out: PathBuf,
}

/// The lab, or None (with a message) when the lab tests are not enabled.
pub fn lab(test: &str) -> Option<Lab> {
    if std::env::var("MIGBENCH_LAB").ok().as_deref() != Some("1") {
        eprintln!(
            "{test}: skipped: needs a real lab (MIGBENCH_LAB=1, LAB, LAB_NS_PREFIX); run tests/lab-e2e.sh"
        );
        return None;
    }
    let dir =
        PathBuf::from(std::env::var("LAB").unwrap_or_else(|_| "/var/lib/migbench-lab".into()));
    let prefix = std::env::var("LAB_NS_PREFIX").unwrap_or_else(|_| "mb-".into());
    let out = std::env::var("MIGBENCH_LAB_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|_| dir.join("test-bundles"));
    std::fs::create_dir_all(&out).expect("bundle output dir");
    // "domain not found" on the host the guest is not on is an answer, not an error
    virt::error::clear_error_callback();
    Some(Lab { dir, prefix, out })
}

impl Lab {
    /// Host hA or hB.
    pub fn host(&self, name: &str) -> Host {
        Host {
            name: name.into(),
            uri: format!(
                "qemu+unix:///system?socket={}/{name}/run/libvirt-sock",
                self.dir.display()
            ),
            ip: None,
        }
    }

    /// Where the guest runs.
    pub fn placement(&self) -> PlacementReport {
        recorder::placement(&self.host("hA"), &self.host("hB"), "ioc1")
    }

    /// The host the guest runs on now (panics if not exactly one).
    pub fn guest_host(&self) -> String {
        let p = self.placement();
        assert!(p.ok(), "{p}");
        p.host()
    }

    /// A fresh bundle path.
    pub fn bundle(&self, name: &str) -> PathBuf {
        let p = self.out.join(name);
        let _ = std::fs::remove_dir_all(&p);
        p
    }

    /// `migbench record --lab --alternate ...` (starts where the guest is).
    pub fn record(&self, out: &Path, extra: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_migbench"));
        c.args([
            "record",
            "--lab",
            "--alternate",
            "--link-mbit-s",
            "1000",
            "--settle-s",
            "2",
            "--tail-s",
            "3",
            "-o",
        ])
        .arg(out)
        .args(extra)
        .env("LAB", &self.dir)
        .env("LAB_NS_PREFIX", &self.prefix)
        .stdin(Stdio::null());
        c
    }

    /// Runs a recording to its end, bounded; returns its output.
    pub fn record_run(&self, out: &Path, extra: &[&str], limit: Duration) -> Output {
        let child = self
            .record(out, extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start migbench record");
        wait_bounded(child, limit)
    }

    /// Network namespace of a host.
    pub fn ns(&self, host: &str) -> String {
        format!("{}{host}", self.prefix)
    }

    /// The pid of a host's QEMU for the guest (libvirt's pid file).
    pub fn qemu_pid(&self, host: &str) -> Option<u32> {
        std::fs::read_to_string(self.dir.join(host).join("run/qemu/ioc1.pid"))
            .ok()?
            .trim()
            .parse()
            .ok()
    }
}

/// Waits for a child at most `limit`, killing it past that; returns its output.
pub fn wait_bounded(mut child: Child, limit: Duration) -> Output {
    let t0 = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if t0.elapsed() > limit {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let out = child.wait_with_output().expect("output");
    eprintln!(
        "--- migbench record stdout:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    eprintln!("--- stderr:\n{}", String::from_utf8_lossy(&out.stderr));
    out
}

/// Waits until the bundle's job statistics show the migration running with at least
/// `mib` MiB sent.
pub fn wait_for_job(bundle: &Path, mib: u64, limit: Duration) -> bool {
    let t0 = Instant::now();
    while t0.elapsed() < limit {
        if let Ok(text) = std::fs::read_to_string(bundle.join("jobstats.jsonl")) {
            for l in text.lines().rev().take(3) {
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(l)
                    && v["type"] == "unbounded"
                    && v["memory_processed"].as_u64().unwrap_or(0) >= mib << 20
                {
                    return true;
                }
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    false
}

/// Loads the bundle and checks what every bundle must have.
pub fn check_bundle(dir: &Path) -> Bundle {
    let b = Bundle::load(dir).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(b.manifest.bundle.recorder, "migbench record");
    assert!(!b.manifest.bundle.synthetic);
    assert!(
        matches!(b.manifest.hosts.accel.as_deref(), Some("tcg" | "kvm")),
        "accel {:?}",
        b.manifest.hosts.accel
    );
    b.params().unwrap_or_else(|e| panic!("{e}"));
    let ping = std::fs::read_to_string(dir.join("ping.log")).expect("ping.log");
    assert!(
        ping.contains("packets transmitted"),
        "ping.log has no footer"
    );
    let jobs = std::fs::read_to_string(dir.join("jobstats.jsonl")).expect("jobstats.jsonl");
    let mut last_t = 0.0;
    for l in jobs.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}"));
        let t = v["t"].as_f64().expect("t");
        assert!(t > last_t, "jobstats t not increasing");
        last_t = t;
    }
    assert!(
        jobs.contains("\"type\":\"unbounded\""),
        "jobstats never saw the job running"
    );
    let ca = std::fs::read_to_string(dir.join("camonitor.log")).expect("camonitor.log");
    assert!(
        ca.lines()
            .filter(|l| l.starts_with("rootHost:calcExample "))
            .count()
            >= 3,
        "too few PV updates"
    );
    b
}

/// `migbench replay` when this build has it; else None.
pub fn replay(dir: &Path) -> Option<Output> {
    let bin = env!("CARGO_BIN_EXE_migbench");
    let has = Command::new(bin)
        .args(["replay", "--help"])
        .output()
        .is_ok_and(|o| o.status.success());
    has.then(|| {
        Command::new(bin)
            .args(["replay", "--json"])
            .arg(dir)
            .output()
            .expect("run migbench replay")
    })
}
