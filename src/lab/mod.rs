//! The lab: recording real live migrations into trace bundles.
//!
//! `migbench record` drives a real libvirt migration (`virt` crate, blocking calls on
//! tokio's blocking pool) while tokio tasks sample the job statistics, ping the guest
//! and monitor PVs over Channel Access (`epics-ca`). Every raw file is written as it
//! comes. Whatever happens — Ctrl-C, a dead destination, a lost link — the job is
//! aborted, the guest is checked to run on exactly one host, and the bundle is kept,
//! marked incomplete.
//!
//! The file formats (camonitor lines, job-statistics JSON lines, manifest) and the
//! safety verdict are plain code, always built and unit tested; the parts that talk
//! to libvirt, Channel Access and processes need the cargo feature `lab`.

pub mod bundle_writer;
pub mod clock;
pub mod host;
pub mod jobstats;
#[cfg(feature = "lab")]
pub mod migrate;
pub mod ping;
pub mod pv;
#[cfg(feature = "lab")]
pub mod recorder;
pub mod safety;
pub mod workload;

use std::path::{Path, PathBuf};

/// What can go wrong in the lab.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// A file could not be written or read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// libvirt refused or failed.
    #[error("libvirt: {what}: {message}")]
    Libvirt {
        /// What was asked.
        what: String,
        /// libvirt's message.
        message: String,
    },
    /// Channel Access could not be set up.
    #[error("channel access: {0}")]
    Ca(String),
    /// A helper process could not be started.
    #[error("cannot run `{what}`: {message}")]
    Spawn {
        /// The command.
        what: String,
        /// The OS error.
        message: String,
    },
    /// A `--workload` value is malformed.
    #[error("workload `{spec}`: {message}")]
    BadWorkload {
        /// What was given.
        spec: String,
        /// What is wrong.
        message: String,
    },
    /// The guest's control channel (its dirtier) did not answer.
    #[error("guest control channel {addr}: {message}")]
    GuestControl {
        /// Its address.
        addr: std::net::SocketAddr,
        /// What happened.
        message: String,
    },
    /// The domain is not where a run can start.
    #[error("{0}")]
    NotReady(String),
    /// The manifest could not be serialized.
    #[error("trace.toml: {0}")]
    Manifest(String),
}

impl LabError {
    /// An I/O error on a path.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        LabError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
