//! Units used across migbench: integer nanoseconds for simulated time, bytes for sizes.
//!
//! Quantities carry their unit in their name (`downtime_ns`, `bandwidth_bytes_per_s`);
//! these constants and helpers are the only place conversions happen.

/// Simulated time and durations, in nanoseconds since the start of the migration.
pub type Nanos = u64;

/// One millisecond in nanoseconds.
pub const NS_PER_MS: u64 = 1_000_000;
/// One second in nanoseconds.
pub const NS_PER_S: u64 = 1_000_000_000;
/// One KiB in bytes.
pub const KIB: u64 = 1024;
/// One MiB in bytes.
pub const MIB: u64 = 1024 * 1024;
/// One GiB in bytes.
pub const GIB: u64 = 1024 * 1024 * 1024;

/// Converts seconds (floating) to nanoseconds, saturating at the ends of the range.
pub fn s_to_ns(seconds: f64) -> Nanos {
    if seconds.is_nan() || seconds <= 0.0 {
        0
    } else {
        (seconds * NS_PER_S as f64).min(u64::MAX as f64) as Nanos
    }
}

/// Converts milliseconds (floating) to nanoseconds, saturating.
pub fn ms_to_ns(ms: f64) -> Nanos {
    s_to_ns(ms / 1e3)
}

/// Converts nanoseconds to (floating) milliseconds.
pub fn ns_to_ms(ns: Nanos) -> f64 {
    ns as f64 / NS_PER_MS as f64
}

/// Converts nanoseconds to (floating) seconds.
pub fn ns_to_s(ns: Nanos) -> f64 {
    ns as f64 / NS_PER_S as f64
}

/// Converts a line rate in Mbit/s (10^6 bit/s, as NICs and `tc` count) to bytes/s.
pub fn mbit_s_to_bytes_per_s(mbit_s: f64) -> f64 {
    mbit_s * 1e6 / 8.0
}

/// Converts MiB/s (as QEMU's max-bandwidth and libvirt's `--bandwidth` count) to bytes/s.
pub fn mib_s_to_bytes_per_s(mib_s: f64) -> f64 {
    mib_s * MIB as f64
}

/// Time to move `bytes` at `bytes_per_s`, in nanoseconds (rounded up, saturating).
pub fn transfer_ns(bytes: f64, bytes_per_s: f64) -> Nanos {
    if bytes <= 0.0 {
        return 0;
    }
    if bytes_per_s <= 0.0 || !bytes_per_s.is_finite() {
        return Nanos::MAX;
    }
    s_to_ns(bytes / bytes_per_s).saturating_add(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_round_trip() {
        assert_eq!(ms_to_ns(300.0), 300 * NS_PER_MS);
        assert_eq!(ns_to_ms(1_500_000), 1.5);
        assert_eq!(mbit_s_to_bytes_per_s(1000.0), 125e6);
        assert_eq!(mib_s_to_bytes_per_s(1.0), 1_048_576.0);
        assert_eq!(s_to_ns(-1.0), 0);
        assert_eq!(s_to_ns(f64::NAN), 0);
    }

    #[test]
    fn transfer_time_of_one_gib_at_gigabit() {
        let ns = transfer_ns(GIB as f64, 125e6);
        assert!((ns_to_s(ns) - 8.589934592).abs() < 1e-6);
        assert_eq!(transfer_ns(0.0, 0.0), 0);
        assert_eq!(transfer_ns(1.0, 0.0), Nanos::MAX);
    }
}
