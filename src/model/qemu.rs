//! QEMU's pre-copy constants and defaults, in one place, each with where it comes from
//! in QEMU's source (paths in the qemu/qemu repository; functions named so they can be
//! found again when QEMU moves code between files).

use crate::units::{MIB, NS_PER_MS, Nanos};

/// Target page size of x86-64 guests (`TARGET_PAGE_SIZE`, 4 KiB).
pub const PAGE_SIZE_BYTES: u64 = 4096;

/// Header of every page in the RAM stream: a big-endian 64-bit offset with flags
/// (`save_page_header` in migration/ram.c writes 8 bytes; the RAMBlock id string is
/// added only when the block changes, which is rare enough to ignore).
pub const PAGE_HEADER_BYTES: u64 = 8;

/// A zero page is sent as its header plus one fill byte
/// (`save_zero_page_to_file` in migration/ram.c: `qemu_put_byte(file, 0); len += 1`).
pub const ZERO_PAGE_PAYLOAD_BYTES: u64 = 1;

/// The rate-limit and bandwidth-measurement period (`BUFFER_DELAY`, 100 ms, in
/// migration/migration.c; `migration_update_counters` recomputes the bandwidth and
/// `threshold_size = bandwidth * downtime_limit` once per period).
pub const BUFFER_DELAY_NS: Nanos = 100 * NS_PER_MS;

/// `ram_save_iterate` returns to the migration thread at least every 50 ms
/// (`MAX_WAIT` in migration/ram.c), where the pending size is checked again.
pub const MAX_WAIT_NS: Nanos = 50 * NS_PER_MS;

/// Default downtime limit (`DEFAULT_MIGRATE_SET_DOWNTIME`, 300 ms, migration/options.c;
/// the `downtime-limit` parameter, libvirt's `migrate-setmaxdowntime`).
pub const DEFAULT_DOWNTIME_LIMIT_NS: Nanos = 300 * NS_PER_MS;

/// Default `max-bandwidth` (`MAX_THROTTLE`, `128 << 20` bytes/s in migration/options.c
/// of recent QEMU; it was `32 << 20` in older releases such as qemu-kvm 0.12).
/// libvirt raises it to "unlimited" unless a bandwidth is given.
pub const DEFAULT_MAX_BANDWIDTH_BYTES_PER_S: u64 = 128 * MIB;

/// Old QEMU's `MAX_THROTTLE` (32 MiB/s), as in the seed paper's qemu-kvm 0.12.
pub const OLD_MAX_BANDWIDTH_BYTES_PER_S: u64 = 32 * MIB;

/// Auto-converge: first throttle (`DEFAULT_MIGRATE_CPU_THROTTLE_INITIAL`, 20 %).
pub const CPU_THROTTLE_INITIAL_PCT: f64 = 20.0;
/// Auto-converge: step per trigger (`DEFAULT_MIGRATE_CPU_THROTTLE_INCREMENT`, 10 %).
pub const CPU_THROTTLE_INCREMENT_PCT: f64 = 10.0;
/// Auto-converge: ceiling (`DEFAULT_MIGRATE_MAX_CPU_THROTTLE`, 99 %).
pub const CPU_THROTTLE_MAX_PCT: f64 = 99.0;
/// Auto-converge trigger: dirtied bytes above this share of the bytes sent in a
/// period (`DEFAULT_MIGRATE_THROTTLE_TRIGGER_THRESHOLD`, 50 %; the comparison is in
/// `migration_trigger_throttle`, migration/ram.c).
pub const THROTTLE_TRIGGER_THRESHOLD_PCT: f64 = 50.0;
/// Auto-converge acts on the second period in a row over the threshold
/// (`++rs->dirty_rate_high_cnt >= 2` in `migration_trigger_throttle`).
pub const THROTTLE_TRIGGER_COUNT: u32 = 2;
/// The dirty-rate period: rates and the throttle trigger are evaluated at a bitmap
/// sync only when more than 1000 ms passed since the period began
/// (`end_time > rs->time_last_bitmap_sync + 1000` in `migration_bitmap_sync`).
pub const DIRTY_RATE_PERIOD_NS: Nanos = 1000 * NS_PER_MS;

/// A throttled vCPU runs one 10 ms timeslice, then sleeps
/// `pct / (1 - pct) * 10 ms` (`CPU_THROTTLE_TIMESLICE_NS` and `cpu_throttle_thread`
/// in system/cpu-throttle.c, formerly softmmu/cpu-throttle.c and cpus.c).
pub const CPU_THROTTLE_TIMESLICE_NS: Nanos = 10 * NS_PER_MS;

/// Self-announce defaults (qapi/net.json `AnnounceParameters`, net/announce.c):
/// the first announce goes out at once when the destination resumes
/// (`qemu_announce_self` calls `qemu_announce_self_once` directly), then
/// `qemu_announce_timer_step` waits `initial + (rounds - round - 1) * step`, capped at
/// `max`, between the rest.
pub const ANNOUNCE_INITIAL_NS: Nanos = 50 * NS_PER_MS;
/// See [`ANNOUNCE_INITIAL_NS`].
pub const ANNOUNCE_MAX_NS: Nanos = 550 * NS_PER_MS;
/// See [`ANNOUNCE_INITIAL_NS`].
pub const ANNOUNCE_ROUNDS: u32 = 5;
/// See [`ANNOUNCE_INITIAL_NS`].
pub const ANNOUNCE_STEP_NS: Nanos = 100 * NS_PER_MS;

/// The times, after resume, at which QEMU sends its self-announce rounds.
pub fn announce_times_ns(initial: Nanos, max: Nanos, rounds: u32, step: Nanos) -> Vec<Nanos> {
    let mut t = 0;
    let mut out = Vec::with_capacity(rounds as usize);
    let mut round = rounds;
    while round > 0 {
        out.push(t);
        round -= 1;
        if round == 0 {
            break;
        }
        let wait = initial
            .saturating_add((rounds - round - 1) as u64 * step)
            .min(max);
        t += wait;
    }
    out
}

/// Linux bridge port with STP: a new port spends `forward_delay` listening and then
/// `forward_delay` learning before it forwards (net/bridge/br_stp.c); Linux's default
/// forward delay is 15 s (`BR_DEFAULT_FORWARD_DELAY` is not named so, but
/// `br->bridge_forward_delay = 15 * HZ` in br_stp_if.c / br_device.c).
pub const BRIDGE_DEFAULT_FORWARD_DELAY_NS: Nanos = 15_000 * NS_PER_MS;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_announce_schedule() {
        let t = announce_times_ns(
            ANNOUNCE_INITIAL_NS,
            ANNOUNCE_MAX_NS,
            ANNOUNCE_ROUNDS,
            ANNOUNCE_STEP_NS,
        );
        let ms: Vec<u64> = t.iter().map(|x| x / NS_PER_MS).collect();
        assert_eq!(ms, vec![0, 50, 200, 450, 800]);
    }
}
