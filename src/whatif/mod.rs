//! What-if questions on a scenario: sweeps over a load or a link parameter, and the
//! convergence map they draw.

pub mod advise;
pub mod evacuate;
pub mod sweep;
pub mod vary;
