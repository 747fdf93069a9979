//! Reading a quantity a user wrote with its unit ("1 Gbit/s", "64 MiB", "300 ms"), only
//! to tell them what number to write in a field whose name carries the unit.

/// The kind of quantity a unit measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    /// Bits or bytes per second.
    Rate,
    /// Bytes.
    Size,
    /// Seconds.
    Time,
}

impl Dimension {
    fn noun(self) -> &'static str {
        match self {
            Dimension::Rate => "a rate",
            Dimension::Size => "a size",
            Dimension::Time => "a time",
        }
    }
}

/// Units known here: name, dimension, value in base units (bytes/s, bytes, seconds).
const UNITS: &[(&str, Dimension, f64)] = &[
    ("bit/s", Dimension::Rate, 0.125),
    ("kbit/s", Dimension::Rate, 125.0),
    ("mbit/s", Dimension::Rate, 125e3),
    ("gbit/s", Dimension::Rate, 125e6),
    ("b/s", Dimension::Rate, 1.0),
    ("kb/s", Dimension::Rate, 1e3),
    ("mb/s", Dimension::Rate, 1e6),
    ("gb/s", Dimension::Rate, 1e9),
    ("kib/s", Dimension::Rate, 1024.0),
    ("mib/s", Dimension::Rate, 1048576.0),
    ("gib/s", Dimension::Rate, 1073741824.0),
    ("b", Dimension::Size, 1.0),
    ("kb", Dimension::Size, 1e3),
    ("mb", Dimension::Size, 1e6),
    ("gb", Dimension::Size, 1e9),
    ("kib", Dimension::Size, 1024.0),
    ("mib", Dimension::Size, 1048576.0),
    ("gib", Dimension::Size, 1073741824.0),
    ("tib", Dimension::Size, 1099511627776.0),
    ("ns", Dimension::Time, 1e-9),
    ("us", Dimension::Time, 1e-6),
    ("ms", Dimension::Time, 1e-3),
    ("s", Dimension::Time, 1.0),
    ("min", Dimension::Time, 60.0),
];

/// The unit a field name ends in (`bandwidth_mbit_s` -> Mbit/s), with its dimension
/// and base-unit factor.
pub fn unit_of_field(field: &str) -> Option<(&'static str, Dimension, f64)> {
    const SUFFIXES: &[(&str, &str)] = &[
        ("_mbit_s", "mbit/s"),
        ("_mib_s", "mib/s"),
        ("_kib_s", "kib/s"),
        ("_mib", "mib"),
        ("_kib", "kib"),
        ("_ms", "ms"),
        ("_s", "s"),
    ];
    let (_, unit) = SUFFIXES
        .iter()
        .find(|(suffix, _)| field.ends_with(suffix))?;
    let (name, dim, factor) = UNITS.iter().find(|(n, _, _)| n == unit)?;
    Some((display_unit(name), *dim, *factor))
}

fn display_unit(lower: &str) -> &'static str {
    match lower {
        "mbit/s" => "Mbit/s",
        "mib/s" => "MiB/s",
        "kib/s" => "KiB/s",
        "mib" => "MiB",
        "kib" => "KiB",
        "ms" => "ms",
        _ => "s",
    }
}

/// Parses "<number> <unit>" (space optional, unit case-insensitive).
pub fn parse(text: &str) -> Option<(f64, Dimension, f64)> {
    let t = text.trim();
    let split = t
        .find(|c: char| {
            !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E')
        })
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num.trim().parse().ok()?;
    let unit = unit.trim().to_ascii_lowercase().replace("ps", "/s");
    let (_, dim, factor) = UNITS.iter().find(|(n, _, _)| *n == unit)?;
    Some((value, *dim, *factor))
}

/// Advice for a field given `text` where a plain number was expected.
pub fn advice(field: &str, text: &str) -> String {
    let Some((unit, want, to_base)) = unit_of_field(field) else {
        return format!("`{field}` takes a plain number, not the string \"{text}\"");
    };
    match parse(text) {
        Some((value, dim, factor)) if dim == want => {
            let converted = value * factor / to_base;
            format!(
                "`{field}` takes a plain number in {unit}: \"{text}\" is {} {unit}, so write `{field} = {}`",
                fmt_num(converted),
                fmt_num(converted)
            )
        }
        Some((_, dim, _)) => format!(
            "`{field}` is {} in {unit}, but \"{text}\" is {}",
            want.noun(),
            dim.noun()
        ),
        None => format!("`{field}` takes a plain number in {unit}, not the string \"{text}\""),
    }
}

fn fmt_num(x: f64) -> String {
    if (x - x.round()).abs() < 1e-9 * x.abs().max(1.0) {
        format!("{}", x.round())
    } else {
        format!("{x:.6}").trim_end_matches('0').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_to_the_field_unit() {
        assert_eq!(
            advice("bandwidth_mbit_s", "1 Gbit/s"),
            "`bandwidth_mbit_s` takes a plain number in Mbit/s: \"1 Gbit/s\" is 1000 Mbit/s, so write `bandwidth_mbit_s = 1000`"
        );
        assert!(advice("max_bandwidth_mib_s", "100 Mbit/s").contains("11.920929"));
        assert!(advice("downtime_limit_ms", "0.3 s").contains("= 300"));
        assert_eq!(
            advice("max_bandwidth_mib_s", "64 MiB"),
            "`max_bandwidth_mib_s` is a rate in MiB/s, but \"64 MiB\" is a size"
        );
        assert!(advice("memory_mib", "lots").contains("plain number in MiB"));
    }
}
