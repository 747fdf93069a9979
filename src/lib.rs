//! migbench: simulation-and-replay test bench for live migration of KVM virtual
//! machines that run EPICS IOCs.
//!
//! The library holds the pre-copy model ([`model`]) on its discrete-event core
//! ([`sim`]), the scenario files that drive it ([`scenario`]), and the parsers for
//! the raw recordings users bring ([`trace`]). The `migbench` binary is the CLI.

pub mod bundle;
pub mod calibrate;
pub mod lab;
pub mod median;
pub mod model;
pub mod par;
pub mod replay;
pub mod report;
pub mod scenario;
pub mod sim;
pub mod trace;
pub mod units;
pub mod whatif;
