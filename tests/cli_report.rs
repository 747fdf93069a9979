//! `migbench report` as users run it: the SVG it writes rendered to PNG (resvg) and
//! checked for content, the HTML page, the JSON, snapshots of the explanation for the
//! seed scenario and the STP runs, and exit status 2 on bad input.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

mod cli_support;
use cli_support::{migbench, stdout_ok};

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli_report-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

/// Renders SVG text to an RGBA image (and saves it as PNG beside the SVG).
fn render_png(svg_path: &Path) -> (u32, u32, Vec<u8>) {
    let svg = std::fs::read_to_string(svg_path).expect("SVG written");
    let mut opt = resvg::usvg::Options::default();
    // Text needs fonts; without any installed the lines and areas still render.
    let db = opt.fontdb_mut();
    db.load_system_fonts();
    // plotters asks for "sans-serif"; map it to a sans face this machine has.
    let sans = db
        .faces()
        .flat_map(|f| f.families.iter().map(|(name, _)| name.clone()))
        .find(|n| n.contains("Sans"));
    if let Some(name) = sans {
        db.set_sans_serif_family(name);
    }
    let tree = resvg::usvg::Tree::from_str(&svg, &opt).expect("valid SVG");
    let size = tree.size().to_int_size();
    let mut pixmap =
        resvg::tiny_skia::Pixmap::new(size.width(), size.height()).expect("non-empty size");
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::default(),
        &mut pixmap.as_mut(),
    );
    pixmap
        .save_png(svg_path.with_extension("png"))
        .expect("PNG written");
    (size.width(), size.height(), pixmap.data().to_vec())
}

/// Checks a rendered timeline is a real plot: ink on a good share of it, many
/// colours, and coloured data (not only grey axes and text) in every band of
/// `band_px` rows below the header.
fn assert_not_blank(svg_path: &Path, header_px: u32, band_px: u32) {
    let (w, h, rgba) = render_png(svg_path);
    assert!(w >= 800 && h >= 500, "{w}x{h}");
    let px = |x: u32, y: u32| {
        let i = ((y * w + x) * 4) as usize;
        (rgba[i], rgba[i + 1], rgba[i + 2])
    };
    let mut ink = 0u64;
    let mut colours = BTreeSet::new();
    for y in 0..h {
        for x in 0..w {
            let (r, g, b) = px(x, y);
            if (r, g, b) != (255, 255, 255) {
                ink += 1;
            }
            colours.insert((r >> 4, g >> 4, b >> 4));
        }
    }
    let share = ink as f64 / (w * h) as f64;
    assert!(
        share > 0.08,
        "only {:.1} % of the image is not white",
        share * 100.0
    );
    assert!(colours.len() >= 12, "only {} colours", colours.len());
    let chromatic = |(r, g, b): (u8, u8, u8)| {
        let (r, g, b) = (i32::from(r), i32::from(g), i32::from(b));
        (r - g).abs() + (g - b).abs() + (b - r).abs() > 60
    };
    let mut y0 = header_px;
    while y0 + band_px <= h {
        let coloured = (y0..y0 + band_px)
            .flat_map(|y| (80..w - 80).map(move |x| (x, y)))
            .filter(|&(x, y)| chromatic(px(x, y)))
            .count();
        assert!(
            coloured > 200,
            "{}: rows {y0}..{} hold no data ({coloured} coloured pixels)",
            svg_path.display(),
            y0 + band_px
        );
        y0 += band_px;
    }
}

#[test]
fn seed_scenario_timeline_renders() {
    let d = scratch("demo");
    let svg = d.join("demo.svg");
    let html = d.join("demo.html");
    let text = stdout_ok(&[
        "report",
        "scenarios/ihep-epics-demo.toml",
        "-o",
        svg.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
    ]);
    assert!(text.contains("where the ping outage goes"), "{text}");
    assert_not_blank(&svg, 100, 140);
    let page = std::fs::read_to_string(&html).expect("HTML written");
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("<svg") && page.contains("STP listening+learning"));
    assert!(page.contains("<pre>") && page.contains("verdict"));
    // Self-contained: nothing fetched from elsewhere.
    for bad in ["<script", "<link", " src=", "<?xml"] {
        assert!(!page.contains(bad), "page holds {bad}");
    }
}

#[test]
fn other_shipped_scenarios_render() {
    let d = scratch("scenarios");
    for name in ["ihep-heavy-cpu", "non-converging"] {
        let svg = d.join(format!("{name}.svg"));
        let text = stdout_ok(&[
            "report",
            &format!("scenarios/{name}.toml"),
            "-o",
            svg.to_str().unwrap(),
        ]);
        assert!(text.contains("where the outage goes"), "{text}");
        assert_not_blank(&svg, 100, 140);
    }
}

#[test]
fn stp_bundle_timeline_renders() {
    let d = scratch("fd10");
    let svg = d.join("fd10.svg");
    stdout_ok(&[
        "report",
        "traces/lab-tcg-stp-fd10s-idle-512m-a2b",
        "-o",
        svg.to_str().unwrap(),
    ]);
    assert_not_blank(&svg, 90, 150);
}

#[test]
fn throttled_bundle_timeline_renders() {
    let d = scratch("autoconverge");
    let svg = d.join("ac.svg");
    stdout_ok(&[
        "report",
        "traces/lab-tcg-dirty20k-64m-32mibs-autoconverge-512m-a2b",
        "-o",
        svg.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.contains("CPU throttle, %"), "throttle panel drawn");
    assert_not_blank(&svg, 90, 150);
}

#[test]
fn every_recorded_bundle_reports() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("traces");
    let mut n = 0;
    for entry in std::fs::read_dir(&root).expect("traces/") {
        let dir = entry.expect("entry").path();
        if !dir.join("trace.toml").is_file() {
            continue;
        }
        let b = migbench::bundle::Bundle::load(&dir).expect("bundle loads");
        let r = migbench::report::build::bundle(&b, None, 1)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        assert!(
            r.svg.contains("<svg") && r.svg.len() > 10_000,
            "{}",
            dir.display()
        );
        let text = migbench::report::explain::render(&r.explanation);
        assert!(text.contains("observed"), "{}", dir.display());
        n += 1;
    }
    assert!(n >= 20, "{n} bundles");
}

#[test]
fn explanation_of_the_seed_scenario() {
    let text = stdout_ok(&["report", "scenarios/ihep-epics-demo.toml"]);
    insta::assert_snapshot!("report_ihep_epics_demo", text);
}

#[test]
fn explanations_of_the_stp_runs() {
    for fd in ["off", "fd2s", "fd5s", "fd10s"] {
        let dir = format!("traces/lab-tcg-stp-{fd}-idle-512m-a2b");
        // Predicted with the model calibrated on the committed traces.
        let text = stdout_ok(&["report", &dir, "--model", "models/lab-tcg.toml"]);
        insta::assert_snapshot!(format!("report_stp_{fd}"), text);
    }
}

#[test]
fn json_carries_the_explanation_and_the_plotted_data() {
    let v: serde_json::Value = serde_json::from_str(&stdout_ok(&[
        "report",
        "traces/lab-tcg-stp-fd5s-idle-512m-a2b",
        "--json",
    ]))
    .expect("JSON");
    assert_eq!(v["explanation"]["subject"], "bundle");
    let rows = &v["explanation"]["sections"][0]["rows"];
    assert!(
        rows.as_array()
            .unwrap()
            .iter()
            .any(|r| r["key"] == "outage.network" && r["ms"].as_f64().unwrap() > 1000.0),
        "{rows}"
    );
    assert!(v["timeline"]["rtt"].as_array().unwrap().len() > 100);
    assert!(!v["timeline"]["lost"].as_array().unwrap().is_empty());
    let v: serde_json::Value = serde_json::from_str(&stdout_ok(&[
        "report",
        "scenarios/ihep-epics-demo.toml",
        "--json",
        "--seed",
        "2",
    ]))
    .expect("JSON");
    assert_eq!(v["explanation"]["subject"], "scenario");
    assert!(v["timeline"]["reachable_s"].as_f64().unwrap() > 20.0);
    assert!(
        !v["timeline"]["pvs"][0]["retransmissions_s"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn bad_input_exits_2_naming_the_file() {
    let d = scratch("bad");
    let bad = d.join("bad.toml");
    std::fs::write(&bad, "[guest]\nmemory_mib = -5\n").unwrap();
    let empty = d.join("empty-dir");
    std::fs::create_dir_all(&empty).unwrap();
    for (input, needle) in [
        (
            "no/such/thing.toml".to_string(),
            "no/such/thing.toml".to_string(),
        ),
        (bad.display().to_string(), "bad.toml".to_string()),
        (empty.display().to_string(), "trace.toml".to_string()),
    ] {
        let out = migbench(&["report", &input, "-o", d.join("x.svg").to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{input}: {err}");
        assert!(err.contains(&needle), "{input}: {err}");
    }
}
