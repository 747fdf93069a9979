//! The pre-copy live-migration model: QEMU's RAM pre-copy at page granularity, its
//! policy, switchover and what the network and the guest see afterwards.
//!
//! [`simulate`] runs one migration; [`analytic`] is the closed-form twin;
//! [`montecarlo`] repeats runs over seeds; [`phase`] over where QEMU's rate-limit windows
//! fall in the guest's data.

pub mod analytic;
pub mod bitmap;
pub mod clients;
pub mod guest;
pub mod montecarlo;
pub mod network;
pub mod outcome;
pub mod params;
pub mod phase;
pub mod policy;
pub mod precopy;
pub mod qemu;
pub mod switchover;
pub mod workload;

pub use outcome::{Outcome, Pass, Verdict};
pub use params::ModelParams;
pub use precopy::{RunOptions, simulate, simulate_with};
