//! Finds the line of a field in a TOML source, so errors found after parsing (a value
//! out of range) can still point at the file, line and field.

use toml_edit::{Document, Item, Table};

/// 1-based line of byte offset `at` in `src`.
pub fn line_of(src: &str, at: usize) -> usize {
    src.as_bytes()[..at.min(src.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The line of `path` (`link.bandwidth_mbit_s`, `workload.phases[1].at_s`) in `src`,
/// or of the nearest enclosing table that is written out.
pub fn line_of_field(src: &str, path: &str) -> Option<usize> {
    let doc = Document::parse(src).ok()?;
    let mut table: &Table = doc.as_table();
    let mut best: Option<usize> = None;
    let segments: Vec<&str> = path.split('.').collect();
    for (i, seg) in segments.iter().enumerate() {
        let (name, index) = split_index(seg);
        let last = i + 1 == segments.len();
        if let Some(span) = table.key(name).and_then(|k| k.span()) {
            best = Some(span.start);
        }
        let Some(item) = table.get(name) else { break };
        let next = match (item, index) {
            (Item::Table(t), None) => Some(t),
            (Item::ArrayOfTables(a), Some(ix)) => a.get(ix),
            _ => None,
        };
        match next {
            Some(t) => {
                if let Some(span) = t.span() {
                    best = Some(span.start);
                }
                table = t;
            }
            None => {
                if !last {
                    break;
                }
            }
        }
    }
    best.map(|at| line_of(src, at))
}

fn split_index(seg: &str) -> (&str, Option<usize>) {
    match seg.split_once('[') {
        Some((name, rest)) => (name, rest.trim_end_matches(']').parse().ok()),
        None => (seg, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = "name = \"x\"\n[guest]\nmemory_mib = 5\n\n[link]\nrtt_ms = 1\n[[workload.phases]]\nat_s = 1\n[[workload.phases]]\nat_s = 2\n";

    #[test]
    fn finds_keys_tables_and_array_entries() {
        assert_eq!(line_of_field(SRC, "guest.memory_mib"), Some(3));
        assert_eq!(line_of_field(SRC, "link.rtt_ms"), Some(6));
        assert_eq!(line_of_field(SRC, "link.bandwidth_mbit_s"), Some(5));
        assert_eq!(line_of_field(SRC, "workload.phases[1].at_s"), Some(10));
        assert_eq!(line_of_field(SRC, "name"), Some(1));
        assert_eq!(line_of_field("not toml [", "a"), None);
    }
}
