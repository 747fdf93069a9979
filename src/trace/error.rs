//! The one error type every parser returns: it names the file, the line and what was expected.

use serde::Serialize;
use thiserror::Error;

/// Longest excerpt of an offending line quoted in an error (in characters).
const EXCERPT_CHARS: usize = 80;

/// A parse failure, always naming the file (`source`) and, where one exists, the 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum TraceError {
    /// A line that is not what the format allows at that point.
    #[error("{file}:{line}: expected {expected}, found {found:?}")]
    Syntax {
        /// File (or other source) name given by the caller.
        file: String,
        /// 1-based line number.
        line: usize,
        /// What the parser expected there.
        expected: String,
        /// The start of the offending text (at most 80 characters).
        found: String,
    },
    /// The file holds nothing to parse (empty or only blank lines / comments).
    #[error("{file}: empty file, expected {expected}")]
    Empty {
        /// File name.
        file: String,
        /// What the parser expected to find.
        expected: String,
    },
    /// A timestamp earlier than the one before it where the tool writes them in order.
    #[error(
        "{file}:{line}: timestamp goes backwards ({t_unix_ns} ns after {previous_unix_ns} ns), expected {expected}"
    )]
    OutOfOrder {
        /// File name.
        file: String,
        /// 1-based line number of the earlier-stamped line.
        line: usize,
        /// Its timestamp (Unix ns).
        t_unix_ns: i64,
        /// The previous line's timestamp (Unix ns).
        previous_unix_ns: i64,
        /// What order was expected.
        expected: String,
    },
    /// Bytes that are not UTF-8 text.
    #[error(
        "{file}:{line}: not UTF-8 text (invalid byte at offset {byte_offset}), expected {expected}"
    )]
    NotText {
        /// File name.
        file: String,
        /// 1-based line number holding the first invalid byte.
        line: usize,
        /// Byte offset of the first invalid byte in the file.
        byte_offset: usize,
        /// The format that was expected.
        expected: String,
    },
    /// The text is recognisably another format than the one asked for.
    #[error("{file}:{line}: expected {expected} but this looks like {detected}")]
    WrongFormat {
        /// File name.
        file: String,
        /// 1-based line the parser stopped at (the first meaningful one).
        line: usize,
        /// Format asked for.
        expected: String,
        /// Format the content looks like.
        detected: String,
    },
    /// A manifest entry naming a file that is not there (or cannot be read).
    #[error("{manifest}:{line}: [[files]] entry names {path:?}, which cannot be read: {reason}")]
    MissingFile {
        /// The manifest file.
        manifest: String,
        /// 1-based line of the entry's `path` in the manifest.
        line: usize,
        /// The path as written in the manifest.
        path: String,
        /// The operating system's reason.
        reason: String,
    },
    /// A caller-supplied option that cannot be used (e.g. an unknown time zone).
    #[error("{file}: {message}")]
    Option {
        /// File name.
        file: String,
        /// What is wrong with the option.
        message: String,
    },
}

impl TraceError {
    /// A syntax error at `line` quoting the start of `found`.
    pub fn syntax(file: &str, line: usize, expected: impl Into<String>, found: &str) -> Self {
        TraceError::Syntax {
            file: file.to_owned(),
            line,
            expected: expected.into(),
            found: excerpt(found),
        }
    }

    /// The 1-based line the error points at, if any.
    pub fn line(&self) -> Option<usize> {
        match self {
            TraceError::Syntax { line, .. }
            | TraceError::OutOfOrder { line, .. }
            | TraceError::NotText { line, .. }
            | TraceError::WrongFormat { line, .. }
            | TraceError::MissingFile { line, .. } => Some(*line),
            _ => None,
        }
    }
}

/// The first [`EXCERPT_CHARS`] characters of `s` (cut on a char boundary, never mid-character).
pub(crate) fn excerpt(s: &str) -> String {
    match s.char_indices().nth(EXCERPT_CHARS) {
        Some((i, _)) => format!("{}…", s.get(..i).unwrap_or("")),
        None => s.to_owned(),
    }
}

/// One line the parser passed over on purpose, because the tool is known to print such noise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skip {
    /// 1-based line number.
    pub line: usize,
    /// Why it was skipped.
    pub reason: &'static str,
}

/// Checks that `bytes` are UTF-8 text and returns them as `&str`, or an error naming the line.
pub fn text_from_bytes<'a>(
    bytes: &'a [u8],
    file: &str,
    expected: &str,
) -> Result<&'a str, TraceError> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s),
        Err(e) => {
            let off = e.valid_up_to();
            let line = 1 + bytes
                .get(..off)
                .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count());
            Err(TraceError::NotText {
                file: file.to_owned(),
                line,
                byte_offset: off,
                expected: expected.to_owned(),
            })
        }
    }
}

/// Iterates the lines of `text` with 1-based numbers, without the `\n` / `\r\n` ends.
pub(crate) fn numbered_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_cuts_on_char_boundary() {
        let s = "é".repeat(100);
        let e = excerpt(&s);
        assert_eq!(e.chars().count(), EXCERPT_CHARS + 1);
    }

    #[test]
    fn not_utf8_names_line() {
        let bytes = b"ok\nfine\n\xff\xfe\n";
        let err = text_from_bytes(bytes, "x.log", "ping output").unwrap_err();
        assert_eq!(err.line(), Some(3));
        assert!(err.to_string().contains("x.log:3"));
    }
}

/// Where a sample's stamp stands against the previous one of its series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Later: a new sample.
    Next,
    /// The same stamp again: tools repeat a sample when polled faster than they update.
    Repeat,
}

/// Checks that `t` does not go back from `*last` (an error naming `file`, `line` and
/// `expected`), and moves `*last` on to it.
pub fn step(
    last: &mut Option<i64>,
    t: i64,
    file: &str,
    line: usize,
    expected: &str,
) -> Result<Step, TraceError> {
    match *last {
        Some(prev) if t < prev => Err(TraceError::OutOfOrder {
            file: file.to_owned(),
            line,
            t_unix_ns: t,
            previous_unix_ns: prev,
            expected: expected.into(),
        }),
        Some(prev) if t == prev => Ok(Step::Repeat),
        _ => {
            *last = Some(t);
            Ok(Step::Next)
        }
    }
}
