//! `--vary name=from..to[:steps[:log]]`: which scenario field to change, over which
//! values. Names are scenario field paths (`workload.hot_writes_per_s`) or the short
//! aliases below; each value is applied to the scenario file and validated like a
//! hand-written one.

use crate::calibrate::ModelFile;
use crate::model::ModelParams;
use crate::scenario::{self, ScenarioFile};

/// Short names for the fields users sweep most.
pub const ALIASES: &[(&str, &str, &str)] = &[
    (
        "write_rate",
        "workload.hot_writes_per_s",
        "page writes/s into the working set",
    ),
    (
        "cold_write_rate",
        "workload.cold_writes_per_s",
        "page writes/s elsewhere",
    ),
    (
        "cpu_load",
        CPU_LOAD,
        "vCPU load of the writing work, % (sets the write rate)",
    ),
    ("wws", "workload.wws_mib", "working set, MiB"),
    ("memory", "guest.memory_mib", "guest RAM, MiB"),
    ("bandwidth", "link.bandwidth_mbit_s", "link rate, Mbit/s"),
    (
        "max_bandwidth",
        "migration.max_bandwidth_mib_s",
        "max-bandwidth, MiB/s",
    ),
    (
        "downtime_limit",
        "migration.downtime_limit_ms",
        "downtime limit, ms",
    ),
    ("nfs_rtt", "storage.nfs_rtt_ms", "NFS round trip, ms"),
    (
        "forward_delay",
        "network.forward_delay_s",
        "bridge forward delay, s",
    ),
];

/// The CPU load's field path.
const CPU_LOAD: &str = "workload.cpu_load_pct";

/// One varied parameter and its values.
#[derive(Debug, Clone, PartialEq)]
pub struct Vary {
    /// The name as given.
    pub name: String,
    /// The scenario field path it sets.
    pub path: String,
    /// The values, in order.
    pub values: Vec<f64>,
}

/// Parses `name=from..to[:steps[:log]]` (default 11 steps, linear).
pub fn parse(spec: &str) -> Result<Vary, String> {
    let usage = "expected NAME=FROM..TO[:STEPS[:log]], e.g. write_rate=100..50000:20:log";
    let (name, range) = spec
        .split_once('=')
        .ok_or_else(|| format!("`{spec}`: {usage}"))?;
    let name = name.trim();
    let path = ALIASES
        .iter()
        .find(|(a, _, _)| *a == name)
        .map(|(_, p, _)| p.to_string())
        .unwrap_or_else(|| name.to_string());
    if !path.contains('.') {
        let known: Vec<&str> = ALIASES.iter().map(|(a, _, _)| *a).collect();
        return Err(format!(
            "`{name}` is not a parameter: use one of {} or a scenario field path such as link.rtt_ms",
            known.join(", ")
        ));
    }
    let mut parts = range.split(':');
    let bounds = parts.next().unwrap_or("");
    let (from, to) = bounds
        .split_once("..")
        .ok_or_else(|| format!("`{spec}`: {usage}"))?;
    let num = |s: &str| {
        s.trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| format!("`{spec}`: `{}` is not a number; {usage}", s.trim()))
    };
    let (from, to) = (num(from)?, num(to)?);
    let steps: usize = match parts.next() {
        None => 11,
        Some(s) => s
            .trim()
            .parse()
            .ok()
            .filter(|n| (1..=100_000).contains(n))
            .ok_or_else(|| format!("`{spec}`: steps must be a whole number in [1, 100000]"))?,
    };
    let log = match parts.next() {
        None => false,
        Some("log") => true,
        Some(other) => return Err(format!("`{spec}`: `{other}` is not a scale (only `log`)")),
    };
    if parts.next().is_some() {
        return Err(format!("`{spec}`: {usage}"));
    }
    if log && (from <= 0.0 || to <= 0.0) {
        return Err(format!("`{spec}`: a log scale needs positive bounds"));
    }
    let values = (0..steps)
        .map(|i| {
            let f = if steps == 1 {
                0.0
            } else {
                i as f64 / (steps - 1) as f64
            };
            if log {
                (from.ln() + f * (to.ln() - from.ln())).exp()
            } else {
                from + f * (to - from)
            }
        })
        .map(|v| (v * 1e9).round() / 1e9)
        .collect();
    Ok(Vary {
        name: name.to_string(),
        path,
        values,
    })
}

/// The scenario file with the fields at `paths` set to `values`, filled in by a
/// calibrated model when one is given, validated. Setting the CPU load drops the
/// scenario's write rate into the working set, so that the load sets it (through
/// `page_writes_per_cpu_s`).
pub fn apply(
    base: &ScenarioFile,
    settings: &[(&str, f64)],
    model: Option<&ModelFile>,
) -> Result<ModelParams, String> {
    let mut doc = toml::Value::try_from(base).map_err(|e| e.to_string())?;
    for (path, value) in settings {
        if *path == CPU_LOAD
            && let Some(w) = doc.get_mut("workload").and_then(|w| w.as_table_mut())
        {
            w.remove("hot_writes_per_s");
        }
        set(&mut doc, path, *value)?;
    }
    let mut file: ScenarioFile = doc
        .try_into()
        .map_err(|e: toml::de::Error| e.message().to_string())?;
    if let Some(m) = model {
        file = m.fill(&file, None, None, None);
    }
    scenario::from_file(&file).map_err(|problems| {
        problems
            .iter()
            .map(|p| format!("{}: {}", p.field, p.message))
            .collect::<Vec<_>>()
            .join("; ")
    })
}

fn set(doc: &mut toml::Value, path: &str, value: f64) -> Result<(), String> {
    let mut segs: Vec<&str> = path.split('.').collect();
    let last = segs.pop().ok_or("empty parameter path")?;
    let mut table = doc.as_table_mut().ok_or("scenario is not a table")?;
    for s in segs {
        table = table
            .entry(s.to_string())
            .or_insert_with(|| toml::Value::Table(Default::default()))
            .as_table_mut()
            .ok_or_else(|| format!("`{path}`: `{s}` is not a section"))?;
    }
    let v = if last.ends_with("_rounds")
        || last.ends_with("_passes")
        || last.ends_with("round_trips")
    {
        toml::Value::Integer(value.round() as i64)
    } else {
        toml::Value::Float(value)
    };
    table.insert(last.to_string(), v);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_linear_and_log_ranges() {
        let v = parse("write_rate=0..1000:3").unwrap();
        assert_eq!(v.path, "workload.hot_writes_per_s");
        assert_eq!(v.values, vec![0.0, 500.0, 1000.0]);
        let v = parse("link.rtt_ms=1..100:3:log").unwrap();
        assert_eq!(v.values, vec![1.0, 10.0, 100.0]);
        assert_eq!(parse("wws=1..2").unwrap().values.len(), 11);
    }

    #[test]
    fn rejects_bad_specs_with_reasons() {
        assert!(
            parse("write_rate")
                .unwrap_err()
                .contains("expected NAME=FROM..TO")
        );
        assert!(parse("speed=1..2").unwrap_err().contains("not a parameter"));
        assert!(
            parse("wws=a..2")
                .unwrap_err()
                .contains("`a` is not a number")
        );
        assert!(parse("wws=1..2:0").unwrap_err().contains("steps"));
        assert!(parse("wws=0..2:3:log").unwrap_err().contains("positive"));
        assert!(
            parse("wws=1..2:3:cubic")
                .unwrap_err()
                .contains("not a scale")
        );
    }

    #[test]
    fn applies_and_validates() {
        let base: ScenarioFile =
            toml::from_str("[guest]\nmemory_mib = 512\n[workload]\nwws_mib = 64\n").unwrap();
        let p = apply(&base, &[("workload.hot_writes_per_s", 5000.0)], None).unwrap();
        assert_eq!(p.workload.phases[0].hot_writes_per_s, 5000.0);
        let e = apply(&base, &[("workload.wws_mib", 4096.0)], None).unwrap_err();
        assert!(e.contains("workload.wws_mib"), "{e}");
        let e = apply(&base, &[("link.no_such", 1.0)], None).unwrap_err();
        assert!(e.contains("unknown field"), "{e}");
    }

    #[test]
    fn cpu_load_sets_the_write_rate_through_writes_per_cpu_second() {
        let base: ScenarioFile = toml::from_str(
            "[guest]\nmemory_mib = 512\n[workload]\nwws_mib = 64\nhot_writes_per_s = 100\npage_writes_per_cpu_s = 200000\n",
        )
        .unwrap();
        let p = apply(&base, &[("workload.cpu_load_pct", 10.0)], None).unwrap();
        assert!((p.workload.phases[0].hot_writes_per_s - 20_000.0).abs() < 1e-6);
        assert_eq!(p.workload.cpu_s_per_write, Some(1.0 / 200_000.0));
        // Without the map from load to writes the load alone says nothing.
        let bare: ScenarioFile =
            toml::from_str("[guest]\nmemory_mib = 512\n[workload]\nwws_mib = 64\n").unwrap();
        let e = apply(&bare, &[("workload.cpu_load_pct", 10.0)], None).unwrap_err();
        assert!(e.contains("page_writes_per_cpu_s"), "{e}");
        assert_eq!(
            parse("cpu_load=1..50:5").unwrap().path,
            "workload.cpu_load_pct"
        );
    }
}
