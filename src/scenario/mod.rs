//! Scenario files: what-if set-ups in TOML, validated once on load into
//! [`ModelParams`]. Errors name the file, the line and the field, and give the
//! allowed range.

mod locate;
pub mod quantity;
pub mod schema;
mod validate;

pub use schema::ScenarioFile;
pub use validate::{DEFAULT_NFS_RTT_MS, FieldProblem};

use crate::model::ModelParams;
use std::fmt;
use std::path::{Path, PathBuf};

/// A loaded, validated scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The scenario's name (its `name` field, else the file stem).
    pub name: String,
    /// Where it came from.
    pub path: PathBuf,
    /// The file as written.
    pub file: ScenarioFile,
    /// The model input it stands for.
    pub params: ModelParams,
}

/// A problem located in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// 1-based line, when it could be found.
    pub line: Option<usize>,
    /// The field concerned (dotted path), when known.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not valid scenario TOML, or values are out of range.
    #[error("{}", Invalid(path, problems))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Every problem found.
        problems: Vec<Located>,
    },
}

struct Invalid<'a>(&'a Path, &'a [Located]);

impl fmt::Display for Invalid<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.1.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}", self.0.display())?;
            if let Some(line) = p.line {
                write!(f, ":{line}")?;
            }
            write!(f, ": ")?;
            if let Some(field) = &p.field {
                write!(f, "{field}: ")?;
            }
            write!(f, "{}", p.message)?;
        }
        Ok(())
    }
}

/// Reads and validates a scenario file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text, path)
}

/// Parses and validates scenario text; `path` is only used in messages and names.
pub fn parse(text: &str, path: &Path) -> Result<Scenario, ScenarioError> {
    let invalid = |problems| ScenarioError::Invalid {
        path: path.to_path_buf(),
        problems,
    };
    let file: ScenarioFile =
        toml::from_str(text).map_err(|e| invalid(vec![syntax_problem(text, &e)]))?;
    let params = from_file(&file).map_err(|problems| {
        invalid(
            problems
                .into_iter()
                .map(|p| Located {
                    line: locate::line_of_field(text, &p.field),
                    field: Some(p.field),
                    message: p.message,
                })
                .collect(),
        )
    })?;
    let name = file.name.clone().unwrap_or_else(|| {
        path.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "scenario".into())
    });
    Ok(Scenario {
        name,
        path: path.to_path_buf(),
        file,
        params,
    })
}

/// Validates parsed sections into model parameters.
pub fn from_file(file: &ScenarioFile) -> Result<ModelParams, Vec<FieldProblem>> {
    validate::to_params(file)
}

/// Turns a TOML/serde error into a located problem, with advice when a number was
/// written with its unit.
fn syntax_problem(text: &str, e: &toml::de::Error) -> Located {
    let line = e.span().map(|s| locate::line_of(text, s.start));
    let line_text = line.and_then(|l| text.lines().nth(l - 1)).unwrap_or("");
    let key = line_text
        .split_once('=')
        .map(|(k, _)| k.trim().trim_matches('"').to_string())
        .filter(|k| !k.is_empty() && !k.starts_with('['));
    let msg = e.message().trim().to_string();
    let expects_number = [
        "expected f64",
        "expected u32",
        "expected a number",
        "expected an integer",
        "expected a float",
    ]
    .iter()
    .any(|x| msg.contains(x));
    let message = match (&key, msg.strip_prefix("invalid type: string ")) {
        (Some(k), Some(rest)) if expects_number => {
            let value = rest
                .split(", expected")
                .next()
                .unwrap_or("")
                .trim_matches('"');
            quantity::advice(k, value)
        }
        _ => msg,
    };
    // Name the field with its section, as range errors do (`link.speed`).
    let field = match (key, line.and_then(|l| section_of_line(text, l))) {
        (Some(k), Some(section)) => Some(format!("{section}.{k}")),
        (key, _) => key,
    };
    Located {
        line,
        field,
        message,
    }
}

/// The table (`link`, `workload.phases`) that 1-based `line` of `text` belongs to:
/// the nearest `[...]` or `[[...]]` header above it; `None` at the top level.
fn section_of_line(text: &str, line: usize) -> Option<String> {
    text.lines()
        .take(line.saturating_sub(1))
        .filter_map(|l| {
            let l = l.split('#').next().unwrap_or("").trim();
            let inner = l.strip_prefix('[')?.strip_suffix(']')?;
            let inner = inner.trim_start_matches('[').trim_end_matches(']').trim();
            let header = !inner.is_empty()
                && inner
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-. \"".contains(c));
            header.then(|| inner.replace([' ', '"'], ""))
        })
        .last()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse(text, Path::new("s.toml")).unwrap_err().to_string()
    }

    #[test]
    fn minimal_scenario_loads_with_defaults() {
        let s = parse("[guest]\nmemory_mib = 512\n", Path::new("x/demo.toml")).unwrap();
        assert_eq!(s.name, "demo");
        assert_eq!(s.params.guest.memory_bytes, 512 * 1024 * 1024);
        assert_eq!(s.params.migration.downtime_limit_ns, 300_000_000);
        assert_eq!(s.params.migration.max_bandwidth_bytes_per_s, None);
    }

    #[test]
    fn errors_name_file_line_field_and_range() {
        assert_eq!(
            err("[guest]\nmemory_mib = 0\n"),
            "s.toml:2: guest.memory_mib: 0 is out of range: allowed (0, 16777216] MiB"
        );
        assert_eq!(
            err("[guest]\nmemory_mib = 512\n[link]\nbandwidth_mbit_s = -5\n"),
            "s.toml:4: link.bandwidth_mbit_s: -5 is out of range: allowed (0, 1000000] Mbit/s"
        );
        let e = err("[guest]\nmemory_mib = 512\n[link]\nbandwith_mbit_s = 5\n");
        assert!(
            e.starts_with("s.toml:4: link.bandwith_mbit_s: unknown field `bandwith_mbit_s`"),
            "{e}"
        );
        let e = err("[guest]\nmemory_mib = 512\n[link]\nbandwidth_mbit_s = \"1 Gbit/s\"\n");
        assert!(
            e.contains("s.toml:4: link.bandwidth_mbit_s:")
                && e.contains("write `bandwidth_mbit_s = 1000`"),
            "{e}"
        );
        let e = err("[guest]\nmemory_mib = 512\nwws_mib = 600\n");
        assert!(e.contains("unknown field"), "{e}");
        let e = err("[guest]\nmemory_mib = 512\n[workload]\nwws_mib = 600\n");
        assert!(
            e.contains("s.toml:4: workload.wws_mib: 600 MiB does not fit"),
            "{e}"
        );
        let e = err("");
        assert!(e.contains("missing field `guest`"), "{e}");
        let e = err("[guest]\nmemory_mib = 512\n[[workload.phases]]\nat_s = 1\nrate = 5\n");
        assert!(
            e.starts_with("s.toml:5: workload.phases.rate: unknown field `rate`"),
            "{e}"
        );
        let e = err("name = 5\n[guest]\nmemory_mib = 512\n");
        assert!(e.starts_with("s.toml:1: name: "), "{e}");
    }

    #[test]
    fn all_problems_are_reported_at_once() {
        let e = err(
            "[guest]\nmemory_mib = 512\n[migration]\ndowntime_limit_ms = 0\nmax_cpu_throttle_pct = 120\n",
        );
        assert_eq!(e.lines().count(), 2, "{e}");
        assert!(
            e.contains(":4: migration.downtime_limit_ms")
                && e.contains(":5: migration.max_cpu_throttle_pct")
        );
    }
}
