//! Replays of real recorded bundles: the regression tests of what migbench measures
//! from raw files and predicts for them (with the model calibrated on traces/).

mod cli_support;
use cli_support::{migbench, stdout_ok};

fn replay_json(bundle: &str) -> serde_json::Value {
    let out = migbench(&["replay", bundle, "--model", "models/lab-tcg.toml", "--json"]);
    // 0: every check passed; 3: some check missed its tolerance. Both are reports.
    assert!(
        matches!(out.status.code(), Some(0) | Some(3)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

#[test]
fn replay_reports_of_recorded_runs() {
    for (name, bundle) in [
        ("idle", "traces/lab-tcg-cal-idle-512m-64mibs-a2b"),
        ("dirty5k", "traces/lab-tcg-cal-dirty5k-64m-512m-64mibs-b2a"),
        (
            "nonconverging",
            "traces/lab-tcg-cal-dirty20k-64m-512m-32mibs-a2b",
        ),
        (
            "nfs_rtt10",
            "traces/lab-tcg-cal-nfs-idle-disk256k-rtt10-512m-a2b",
        ),
        ("stp_fd10s", "traces/lab-tcg-stp-fd10s-idle-512m-a2b"),
        (
            "recorder_jsonl",
            "traces/lab-tcg-rec-dirty5k-64m-512m-2-a2b",
        ),
    ] {
        let out = migbench(&["replay", bundle, "--model", "models/lab-tcg.toml"]);
        assert!(matches!(out.status.code(), Some(0) | Some(3)));
        insta::assert_snapshot!(
            format!("replay_{name}"),
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

#[test]
fn json_has_observed_predicted_and_verdict() {
    let v = replay_json("traces/lab-tcg-stp-fd5s-idle-512m-a2b");
    for k in ["observed", "predicted", "verdict", "checks"] {
        assert!(!v[k].is_null(), "{k} missing");
    }
    let ping = &v["observed"]["ping"];
    assert_eq!(ping["lost"], 74);
    assert!(ping["outage_ms_lo"].as_f64().unwrap() >= 7000.0);
    let pvs = v["observed"]["pv"].as_array().unwrap();
    assert_eq!(pvs.len(), 2);
    for pv in pvs {
        for k in ["name", "longest_stall_ms", "server_gap_ms", "late_values"] {
            assert!(!pv[k].is_null(), "pv.{k} missing");
        }
        assert_eq!(pv["stall_kind"], "clients-cut-off");
        // The IOC kept scanning: server stamps never stopped for long.
        assert!(pv["server_gap_ms"].as_f64().unwrap() < 1500.0);
        assert!(pv["longest_stall_ms"].as_f64().unwrap() > 7000.0);
    }
    let parts = &v["observed"]["outage_parts"];
    assert!(
        parts["network_ms_lo"].as_f64().unwrap() > 7000.0
            && parts["downtime_ms"].as_f64().unwrap() < 300.0
    );
}

#[test]
fn stp_runs_are_predicted_within_ten_percent() {
    // Ping outage and PV stall with STP on the destination bridge (and off).
    for fd in ["off", "fd2s", "fd5s", "fd10s"] {
        let v = replay_json(&format!("traces/lab-tcg-stp-{fd}-idle-512m-a2b"));
        for c in v["checks"].as_array().unwrap() {
            let q = c["quantity"].as_str().unwrap();
            if q == "ping_outage_ms" || q.starts_with("pv_stall_ms") {
                assert_eq!(c["pass"], true, "{fd}: {q}: {c}");
            }
        }
    }
}

#[test]
fn loose_files_replay_without_a_manifest() {
    let d = "traces/lab-tcg-stp-fd5s-idle-512m-a2b";
    let v: serde_json::Value = serde_json::from_str(&stdout_ok(&[
        "replay",
        "--ping",
        &format!("{d}/ping.log"),
        "--pv",
        &format!("{d}/camonitor.log"),
        "--jobstats",
        &format!("{d}/domjobinfo-series.txt"),
        "--jobstats",
        &format!("{d}/domjobinfo-completed.txt"),
        "--json",
    ]))
    .unwrap();
    assert_eq!(v["verdict"], "observed-only");
    let ping = &v["observed"]["ping"];
    for k in ["lost", "outage_ms_lo", "outage_ms_hi"] {
        assert!(ping[k].is_number(), "observed.ping.{k}");
    }
    assert_eq!(ping["lost"], 74);
    assert_eq!(v["observed"]["pv"].as_array().unwrap().len(), 2);
    // The wrong file in the wrong place is bad input.
    let out = migbench(&["replay", "--ping", &format!("{d}/camonitor.log")]);
    assert_eq!(out.status.code(), Some(2));
    let out = migbench(&["replay", "--pv", "Cargo.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Cargo.toml"));
}

#[test]
fn loose_archiver_csv_fping_and_bad_input() {
    let dir = std::env::temp_dir().join(format!("migbench-loose-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Archiver CSV (secs,val,severity,status,nanos) carries no PV name: the file names it.
    let csv = dir.join("rootHost:ai1.csv");
    let rows: String = (0..20)
        .filter(|i| !(8..12).contains(i))
        .map(|i| format!("{},{},0,0,500000000\n", 1_764_118_900 + i, i % 10))
        .collect();
    std::fs::write(&csv, rows).unwrap();
    // fping -D -l -p 100 counts from 0; probes 10..14 time out.
    let mut fp = String::new();
    for seq in 0..30u64 {
        let t = 1_764_118_900.0 + seq as f64 * 0.1;
        if (10..15).contains(&seq) {
            fp.push_str(&format!(
                "[{t:.5}] ioc : [{seq}], timed out (0.40 avg, 10% loss)\n"
            ));
        } else {
            fp.push_str(&format!(
                "[{t:.5}] ioc : [{seq}], 64 bytes, 0.40 ms (0.40 avg, 0% loss)\n"
            ));
        }
    }
    fp.push_str("ioc : xmt/rcv/%loss = 30/25/16%, min/avg/max = 0.40/0.40/0.40\n");
    let fping = dir.join("fping.log");
    std::fs::write(&fping, fp).unwrap();
    let v: serde_json::Value = serde_json::from_str(&stdout_ok(&[
        "replay",
        "--ping",
        fping.to_str().unwrap(),
        "--pv",
        csv.to_str().unwrap(),
        "--json",
    ]))
    .unwrap();
    let ping = &v["observed"]["ping"];
    assert_eq!(ping["lost"], 5);
    assert_eq!(ping["total_lost"], 5, "no phantom probe after fping's last");
    assert_eq!(ping["probes"], 30);
    let pv = &v["observed"]["pv"][0];
    assert_eq!(pv["name"], "rootHost:ai1");
    assert_eq!(pv["server_gap_ms"], 5000.0);

    // An empty file says so, naming it.
    let empty = dir.join("empty.log");
    std::fs::write(&empty, "").unwrap();
    let out = migbench(&["replay", "--ping", empty.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("empty.log: empty file, expected a ping"),
        "{err}"
    );

    // A manifest naming a missing file: the manifest line of its entry.
    let b = dir.join("bundle");
    std::fs::create_dir_all(&b).unwrap();
    std::fs::write(
        b.join("trace.toml"),
        "[bundle]\nname = \"bundle\"\ntimezone = \"UTC\"\n\n[[files]]\npath = \"ping.log\"\nformat = \"ping\"\nrole = \"ping\"\n",
    )
    .unwrap();
    let out = migbench(&["replay", b.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "trace.toml:6: [[files]] names `ping.log` (format ping), which does not exist"
        ),
        "{err}"
    );
    // A camonitor log where the manifest says ping: wrong format, with the line.
    std::fs::write(
        b.join("ping.log"),
        "rootHost:ai1                   2025-11-26 01:02:03.000072(2025-11-26 01:02:03.001307) 3  \n",
    )
    .unwrap();
    let out = migbench(&["replay", b.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("ping.log:1: expected ping but this looks like camonitor"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn replay_report_says_clients_cut_off_and_splits_the_outage() {
    let out = migbench(&[
        "replay",
        "traces/lab-tcg-stp-fd5s-idle-512m-a2b",
        "--model",
        "models/lab-tcg.toml",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("PVs say:   clients cut off"), "{text}");
    assert!(
        text.contains("ms migration downtime (job statistics) + ")
            && text.contains("ms network reconvergence"),
        "{text}"
    );
}

#[test]
fn a_calibrated_replay_states_the_pause_range() {
    let bundle = "traces/lab-tcg-stp-off-idle-512m-a2b-q2";
    let v = replay_json(bundle);
    let p = &v["predicted"];
    let pause = p["guest_downtime_ms"].as_f64().unwrap();
    let range = p["guest_downtime_range_ms"]
        .as_array()
        .expect("a range from the fitted model");
    let (lo, hi) = (range[0].as_f64().unwrap(), range[1].as_f64().unwrap());
    assert!(lo <= pause && pause < hi, "{lo}..{hi} around {pause} ms");
    let observed = v["observed"]["job"]["downtime_ms"].as_f64().unwrap();
    let out = migbench(&["replay", bundle, "--model", "models/lab-tcg.toml"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let said = format!(
        "observed {observed:.0} ms, {}",
        if (lo..=hi).contains(&observed) {
            "inside"
        } else {
            "outside"
        }
    );
    assert!(
        text.contains("guest pause range") && text.contains(&said),
        "{said}: {text}"
    );
    // Without a model there is no range to state.
    let bare = migbench(&["replay", bundle, "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&bare.stdout).unwrap();
    assert!(v["predicted"].get("guest_downtime_range_ms").is_none());
}
