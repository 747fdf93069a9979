//! `migbench sweep` and `migbench advise` on the shipped scenarios: snapshots of what
//! users read, the SVG plot, and errors for bad specs.

mod cli_support;
use cli_support::{migbench, stdout_ok};

#[test]
fn sweep_of_the_heavy_cpu_scenario() {
    let svg = std::env::temp_dir().join(format!("migbench-sweep-{}.svg", std::process::id()));
    let text = stdout_ok(&[
        "sweep",
        "scenarios/ihep-heavy-cpu.toml",
        "--vary",
        "write_rate=1000..16000:16",
        "--plot",
        svg.to_str().unwrap(),
    ]);
    let text = text.replace(svg.to_str().unwrap(), "sweep.svg");
    insta::assert_snapshot!("sweep_ihep_heavy_cpu_write_rate", text);
    let plot = std::fs::read_to_string(&svg).expect("plot written");
    assert!(
        plot.starts_with("<svg") && plot.contains("convergence boundary"),
        "{}",
        &plot[..200.min(plot.len())]
    );
    assert!(plot.contains("region: needs-offline"));
    std::fs::remove_file(svg).ok();
}

#[test]
fn sweep_map_of_two_parameters() {
    let text = stdout_ok(&[
        "sweep",
        "scenarios/non-converging.toml",
        "--vary",
        "write_rate=2000..20000:6",
        "--vary",
        "max_bandwidth=16..112:4",
    ]);
    insta::assert_snapshot!("sweep_non_converging_map", text);
    let v: serde_json::Value = serde_json::from_str(&stdout_ok(&[
        "sweep",
        "scenarios/non-converging.toml",
        "--vary",
        "write_rate=2000..20000:6",
        "--vary",
        "max_bandwidth=16..112:4",
        "--json",
    ]))
    .unwrap();
    assert_eq!(v["points"].as_array().unwrap().len(), 24);
    assert_eq!(v["boundary"].as_array().unwrap().len(), 4);
}

#[test]
fn advise_on_the_shipped_scenarios() {
    for s in ["ihep-epics-demo", "ihep-heavy-cpu", "non-converging"] {
        let text = stdout_ok(&["advise", &format!("scenarios/{s}.toml")]);
        insta::assert_snapshot!(format!("advise_{s}"), text);
    }
    let v: serde_json::Value = serde_json::from_str(&stdout_ok(&[
        "advise",
        "scenarios/non-converging.toml",
        "--json",
    ]))
    .unwrap();
    assert_eq!(v["recommended"], "postcopy");
    assert_eq!(v["options"].as_array().unwrap().len(), 4);
}

#[test]
fn advise_from_a_measured_dirty_rate() {
    let text = stdout_ok(&[
        "advise",
        "--measured-dirty-rate",
        "20000",
        "--memory-mib",
        "1024",
        "--max-bandwidth-mib-s",
        "32",
        "--pv",
        "rootHost:ai1:0.1",
    ]);
    insta::assert_snapshot!("advise_measured_20000", text);
}

#[test]
fn bad_what_if_input_exits_2() {
    for args in [
        vec![
            "sweep",
            "scenarios/ihep-epics-demo.toml",
            "--vary",
            "speed=1..2",
        ],
        vec![
            "sweep",
            "scenarios/ihep-epics-demo.toml",
            "--vary",
            "wws=1..99999:3",
        ],
        vec![
            "sweep",
            "scenarios/ihep-epics-demo.toml",
            "--vary",
            "wws=1..2",
            "--vary",
            "wws=1..2",
            "--vary",
            "wws=1..2",
        ],
        vec!["advise"],
        vec!["advise", "--measured-dirty-rate", "100"],
        vec![
            "advise",
            "--measured-dirty-rate",
            "100",
            "--memory-mib",
            "0",
        ],
        vec!["advise", "scenarios/ihep-epics-demo.toml", "--pv", "nope"],
    ] {
        let out = migbench(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.starts_with("migbench: ") && !err.contains("panicked"),
            "{err}"
        );
    }
}

#[test]
fn evacuation_of_a_host() {
    let text = stdout_ok(&[
        "evacuate",
        "scenarios/ihep-epics-demo.toml",
        "scenarios/non-converging.toml",
        "--copies",
        "2",
        "--parallel",
        "2",
        "--order",
        "smallest-first",
    ]);
    insta::assert_snapshot!("evacuate_mixed_two_at_a_time", text);
    let v: serde_json::Value = serde_json::from_str(&stdout_ok(&[
        "evacuate",
        "scenarios/ihep-epics-demo.toml",
        "--copies",
        "4",
        "--parallel",
        "4",
        "--json",
        "--link-mbit-s",
        "400",
    ]))
    .unwrap();
    let vms = v["vms"].as_array().unwrap();
    assert_eq!(vms.len(), 4);
    // Four at once on 400 Mbit/s: each gets a quarter of the payload rate.
    assert!(
        (vms[0]["link_share_mbit_s"].as_f64().unwrap() - 400.0 * 1448.0 / 1538.0 / 4.0).abs()
            < 1e-6
    );
}
