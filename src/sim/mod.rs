//! The discrete-event core the models run on: a clock, an ordered event queue and
//! one seeded random number generator per run.
//!
//! Nothing here knows about migration; [`crate::model`] builds on it.

mod queue;
mod rng;

pub use queue::Scheduler;
pub use rng::SimRng;
