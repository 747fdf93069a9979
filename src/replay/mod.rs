//! Replay of recorded traces: what really happened, measured from the raw data.

pub mod observed;
