//! `migbench simulate` as users run it: snapshots of the reports on the shipped
//! scenarios, and clear errors with exit status 2 on bad input.

use std::path::Path;

mod cli_support;
use cli_support::{migbench, stdout_ok};

fn json(args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&stdout_ok(args)).expect("valid JSON")
}

#[test]
fn seed_scenario_report() {
    let text = stdout_ok(&["simulate", "scenarios/ihep-epics-demo.toml", "--twin"]);
    insta::assert_snapshot!("simulate_ihep_epics_demo", text);
}

#[test]
fn heavy_cpu_report() {
    let text = stdout_ok(&["simulate", "scenarios/ihep-heavy-cpu.toml"]);
    insta::assert_snapshot!("simulate_ihep_heavy_cpu", text);
}

#[test]
fn non_converging_report() {
    let text = stdout_ok(&["simulate", "scenarios/non-converging.toml"]);
    insta::assert_snapshot!("simulate_non_converging", text);
}

#[test]
fn json_has_the_documented_fields() {
    let v = json(&[
        "simulate",
        "scenarios/ihep-epics-demo.toml",
        "--json",
        "--seed",
        "3",
    ]);
    for key in [
        "verdict",
        "total_time_ms",
        "downtime_ms",
        "bytes_sent",
        "passes",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert_eq!(v["verdict"], "converged");
    assert_eq!(v["seed"], 3);
    let passes = v["passes"].as_array().expect("passes array");
    assert!(passes.len() >= 2);
    assert_eq!(passes.last().unwrap()["stop_and_copy"], true);
    insta::assert_json_snapshot!("simulate_ihep_epics_demo_json", v);
}

#[test]
fn monte_carlo_reports_percentiles() {
    let v = json(&[
        "simulate",
        "scenarios/ihep-heavy-cpu.toml",
        "--runs",
        "40",
        "--json",
        "--threads",
        "2",
    ]);
    assert_eq!(v["runs"], 40);
    let p = &v["percentiles"];
    for q in ["total_time_ms", "downtime_ms", "bytes_sent", "passes"] {
        let s = &p[q];
        let (p5, p50, p95) = (
            s["p5"].as_f64().unwrap(),
            s["p50"].as_f64().unwrap(),
            s["p95"].as_f64().unwrap(),
        );
        assert!(p5 <= p50 && p50 <= p95, "{q}: {p5} {p50} {p95}");
    }
    assert_eq!(v["verdicts"]["converged"], 40);
    // Same seeds, same numbers, whatever the thread count.
    let again = json(&[
        "simulate",
        "scenarios/ihep-heavy-cpu.toml",
        "--runs",
        "40",
        "--json",
        "--threads",
        "1",
    ]);
    assert_eq!(v, again);
}

#[test]
fn non_converging_is_flagged_with_alternatives() {
    let v = json(&["simulate", "scenarios/non-converging.toml", "--json"]);
    assert_eq!(v["verdict"], "needs-postcopy");
    assert_eq!(v["completed"], false);
    assert!(v["offline_downtime_ms"].as_f64().unwrap() > 500.0);
    assert!(v["postcopy_downtime_ms"].as_f64().unwrap() < 100.0);
}

fn bad(args: &[&str], toml: Option<&str>) -> String {
    // A directory per call: tests run in parallel threads of one process.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("migbench-cli-{}-{call}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.toml");
    let mut a: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    if let Some(t) = toml {
        std::fs::write(&file, t).unwrap();
        a.push(file.to_string_lossy().into_owned());
    }
    let refs: Vec<&str> = a.iter().map(String::as_str).collect();
    let out = migbench(&refs);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!err.contains("panicked"), "{err}");
    err.replace(&file.to_string_lossy().into_owned(), "bad.toml")
}

#[test]
fn bad_scenarios_exit_2_naming_file_line_and_field() {
    assert_eq!(
        bad(&["simulate"], Some("[guest]\nmemory_mib = -512\n")),
        "migbench: bad.toml:2: guest.memory_mib: -512 is out of range: allowed (0, 16777216] MiB\n"
    );
    let e = bad(
        &["simulate"],
        Some("[guest]\nmemory_mib = 512\n[migration]\nmax_bandwidth_mib_s = \"1 Gbit/s\"\n"),
    );
    assert!(
        e.contains("bad.toml:4: migration.max_bandwidth_mib_s:") && e.contains("119.209"),
        "{e}"
    );
    let e = bad(
        &["simulate"],
        Some("[guest]\nmemory_mib = 512\n[link]\nspeed = 5\n"),
    );
    assert!(
        e.contains("bad.toml:4: link.speed: unknown field `speed`"),
        "{e}"
    );
    let e = bad(&["simulate"], Some("\u{0}\u{1}binary garbage"));
    assert!(e.starts_with("migbench: bad.toml:1:"), "{e}");
    let e = bad(&["simulate", "no/such/file.toml"], None);
    assert!(e.contains("no/such/file.toml: cannot read"), "{e}");
}

#[test]
fn bad_flags_exit_2() {
    let e = bad(
        &["simulate", "scenarios/ihep-epics-demo.toml", "--runs", "0"],
        None,
    );
    assert!(e.contains("--runs"), "{e}");
    let e = bad(
        &["simulate", "scenarios/ihep-epics-demo.toml", "--seed", "x"],
        None,
    );
    assert!(e.contains("--seed") && e.contains("'x'"), "{e}");
    let e = bad(&["simulate"], None);
    assert!(e.contains("<SCENARIO>"), "{e}");
}

#[test]
fn every_shipped_scenario_simulates() {
    for entry in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")).unwrap()
    {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let v = json(&["simulate", path.to_str().unwrap(), "--json"]);
            assert!(
                v["total_time_ms"].as_f64().unwrap() > 0.0,
                "{}",
                path.display()
            );
        }
    }
}

#[test]
fn a_reader_that_goes_away_ends_it_quietly() {
    // `migbench ... | head`: the pipe closes before the output is written.
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_migbench"))
        .args(["simulate", "scenarios/ihep-epics-demo.toml", "--json"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_calibrated_prediction_follows_the_host_load_the_scenario_states() {
    // The lab model's set-up and CPU-bound costs at the reference free CPU, then on a
    // host with half of it: the prediction takes longer.
    let dir = std::env::temp_dir().join(format!("migbench-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let base = std::fs::read_to_string("scenarios/ihep-epics-demo.toml").unwrap();
    let total = |extra: &str| {
        let file = dir.join("s.toml");
        std::fs::write(
            &file,
            base.replacen("[link]\n", &format!("[link]\n{extra}"), 1),
        )
        .unwrap();
        json(&[
            "simulate",
            file.to_str().unwrap(),
            "--model",
            "models/lab-tcg.toml",
            "--json",
        ])["total_time_ms"]
            .as_f64()
            .unwrap()
    };
    let model = migbench::calibrate::ModelFile::load(Path::new("models/lab-tcg.toml")).unwrap();
    let reference = model.host.reference_probe_mbit_s;
    let at_reference = total("");
    assert_eq!(
        total(&format!("probe_mbit_s = {reference}\n")),
        at_reference
    );
    let busy = total(&format!("probe_mbit_s = {}\n", reference / 2.0));
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(busy > at_reference + 100.0, "{busy} vs {at_reference} ms");
    assert!(
        bad(
            &["simulate"],
            Some("[guest]\nmemory_mib = 512\nping_rtt_ms = 0\n")
        )
        .contains("guest.ping_rtt_ms: 0 is out of range")
    );
}

#[test]
fn a_calibrated_model_states_the_downtime_range_its_runs_show() {
    // The lab model carries where its runs' downtimes fell around their predictions;
    // the seed paper's priors carry no runs and state no range.
    let args = |model: &'static str| {
        [
            "simulate",
            "scenarios/ihep-epics-demo.toml",
            "--model",
            model,
            "--json",
        ]
    };
    let v = json(&args("models/lab-tcg.toml"));
    // Centred, as in validation, on the median pause over where QEMU's windows fall
    // in the guest's data: it differs from this run's pause by at most the time one
    // window's data takes to send while the guest is paused.
    let down = v["downtime_ms"].as_f64().unwrap();
    let centre = v["downtime_phase_median_ms"]
        .as_f64()
        .expect("the phase median");
    assert!((centre - down).abs() < 100.0, "{centre} vs {down} ms");
    let range = v["downtime_range_ms"].as_array().expect("a downtime range");
    let (lo, hi) = (range[0].as_f64().unwrap(), range[1].as_f64().unwrap());
    assert!(lo <= centre && centre < hi, "{lo}..{hi} around {centre} ms");
    let model = migbench::calibrate::ModelFile::load(Path::new("models/lab-tcg.toml")).unwrap();
    let e = model.switchover.downtime_error.expect("fitted spread");
    assert!(
        (hi - (centre + e.p95_ms)).abs() < 1e-6,
        "{hi} vs {centre} + {}",
        e.p95_ms
    );
    let text = stdout_ok(&args("models/lab-tcg.toml")[..4]);
    assert!(text.contains("downtime range  "), "{text}");
    assert!(
        json(&args("models/ihep-2013.toml"))
            .get("downtime_range_ms")
            .is_none()
    );
}
