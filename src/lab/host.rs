//! The recording host's state right before the migrate call, from `/proc`: its load,
//! its kernel and which boot of the machine it is, and how much memory (and how much
//! of it in free 2 MiB blocks, what transparent huge pages need) it has to give.
//!
//! Repeats of one configuration recorded on different days pause differently by more
//! than the model can tell from the link probe and the load (README, "Which day a run
//! was recorded on"); the boot id names the machine's boot a run was recorded in, and
//! the memory figures are the candidates for what differs between boots. Both
//! recorders write them to the manifest's `[lab]` table under the same keys.

use std::path::Path;

/// What `/proc` said about the host, each part None where its file could not be read
/// or parsed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HostState {
    /// Load averages over 1, 5 and 15 minutes (`/proc/loadavg`).
    pub load_avg_1_5_15_min: Option<[f64; 3]>,
    /// Kernel release (`/proc/sys/kernel/osrelease`).
    pub kernel: Option<String>,
    /// Identifies the boot (`/proc/sys/kernel/random/boot_id`).
    pub boot_id: Option<String>,
    /// Seconds since the boot (`/proc/uptime`).
    pub uptime_s: Option<f64>,
    /// Transparent huge pages mode, the bracketed word of
    /// `/sys/kernel/mm/transparent_hugepage/enabled` (`always`, `madvise`, `never`).
    pub thp_mode: Option<String>,
    /// `MemAvailable` of `/proc/meminfo`, MiB.
    pub mem_available_mib: Option<u64>,
    /// Free blocks of 2 MiB or more, counted in 2 MiB, over all zones
    /// (`/proc/buddyinfo`, orders 9 and up of 4 KiB pages).
    pub free_2mib_blocks: Option<u64>,
}

impl HostState {
    /// Reads the state of the host this process runs on.
    pub fn read() -> Self {
        Self::read_from(Path::new("/"))
    }

    /// Reads the state from the `/proc` and `/sys` under `root` (`/` for this host).
    pub fn read_from(root: &Path) -> Self {
        let text = |p: &str| std::fs::read_to_string(root.join(p)).ok();
        let line = |p: &str| {
            text(p)
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        Self {
            load_avg_1_5_15_min: text("proc/loadavg").and_then(|s| parse_loadavg(&s)),
            kernel: line("proc/sys/kernel/osrelease"),
            boot_id: line("proc/sys/kernel/random/boot_id"),
            uptime_s: text("proc/uptime").and_then(|s| parse_uptime_s(&s)),
            thp_mode: text("sys/kernel/mm/transparent_hugepage/enabled")
                .and_then(|s| parse_thp_mode(&s)),
            mem_available_mib: text("proc/meminfo").and_then(|s| parse_mem_available_mib(&s)),
            free_2mib_blocks: text("proc/buddyinfo").and_then(|s| parse_free_2mib_blocks(&s)),
        }
    }

    /// The 1-minute load average, which `fit` and `validate` read as `[lab] load_avg`.
    pub fn load_avg_1_min(&self) -> Option<f64> {
        self.load_avg_1_5_15_min.map(|l| l[0])
    }

    /// The three load averages as `/proc/loadavg` lists them (`0.48 1.29 1.69`).
    fn load_avg_text(&self) -> Option<String> {
        self.load_avg_1_5_15_min
            .map(|l| format!("{} {} {}", l[0], l[1], l[2]))
    }

    /// One line for the record log.
    pub fn summary(&self) -> String {
        let opt = |v: Option<String>| v.unwrap_or_else(|| "?".into());
        format!(
            "host: load average {}, kernel {}, up {} s, THP {}, {} MiB available, {} free 2 MiB blocks",
            opt(self.load_avg_text()),
            opt(self.kernel.clone()),
            opt(self.uptime_s.map(|u| format!("{u:.0}"))),
            opt(self.thp_mode.clone()),
            opt(self.mem_available_mib.map(|m| m.to_string())),
            opt(self.free_2mib_blocks.map(|b| b.to_string())),
        )
    }

    /// Adds what was read to a manifest's `[lab]` table, under the keys
    /// lab/record.sh writes too.
    pub fn insert_into(&self, lab: &mut toml::Table) {
        let mut put = |k: &str, v: Option<toml::Value>| {
            if let Some(v) = v {
                lab.insert(k.into(), v);
            }
        };
        put("load_avg", self.load_avg_1_min().map(Into::into));
        put("load_avg_1_5_15_min", self.load_avg_text().map(Into::into));
        put("host_kernel", self.kernel.clone().map(Into::into));
        put("host_boot_id", self.boot_id.clone().map(Into::into));
        put(
            "host_uptime_s",
            self.uptime_s.map(|u| (u.round() as i64).into()),
        );
        put("host_thp", self.thp_mode.clone().map(Into::into));
        put(
            "host_mem_available_mib",
            self.mem_available_mib
                .and_then(|m| i64::try_from(m).ok())
                .map(Into::into),
        );
        put(
            "host_free_2mib_blocks",
            self.free_2mib_blocks
                .and_then(|m| i64::try_from(m).ok())
                .map(Into::into),
        );
    }
}

/// `0.48 1.29 1.69 1/234 5678` -> the three averages.
pub fn parse_loadavg(s: &str) -> Option<[f64; 3]> {
    let mut it = s.split_whitespace().map(str::parse::<f64>);
    let v = [it.next()?.ok()?, it.next()?.ok()?, it.next()?.ok()?];
    v.iter().all(|x| x.is_finite() && *x >= 0.0).then_some(v)
}

/// `2642.94 1624.66` -> 2642.94.
pub fn parse_uptime_s(s: &str) -> Option<f64> {
    let u: f64 = s.split_whitespace().next()?.parse().ok()?;
    (u.is_finite() && u >= 0.0).then_some(u)
}

/// `always [madvise] never` -> `madvise`.
pub fn parse_thp_mode(s: &str) -> Option<String> {
    let open = s.find('[')?;
    let close = open + s[open..].find(']')?;
    let mode = s[open + 1..close].trim();
    (!mode.is_empty()).then(|| mode.to_string())
}

/// The `MemAvailable:  123456 kB` line, in MiB.
pub fn parse_mem_available_mib(s: &str) -> Option<u64> {
    let line = s.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let mut it = line.split_whitespace().skip(1);
    let kib: u64 = it.next()?.parse().ok()?;
    (it.next() == Some("kB")).then_some(kib / 1024)
}

/// Sum over the zones of `/proc/buddyinfo` of the free blocks of order 9 and up
/// (2 MiB and more of 4 KiB pages), counted in 2 MiB blocks.
pub fn parse_free_2mib_blocks(s: &str) -> Option<u64> {
    let mut total = 0u64;
    let mut zones = 0;
    for line in s.lines().filter(|l| !l.trim().is_empty()) {
        // "Node 0, zone   Normal   26731 17187 ... 217"
        let counts = line.split_once("zone")?.1.split_whitespace().skip(1);
        for (order, c) in counts.enumerate() {
            let c: u64 = c.parse().ok()?;
            if order >= 9 {
                total = total.checked_add(c.checked_mul(1u64.checked_shl(order as u32 - 9)?)?)?;
            }
        }
        zones += 1;
    }
    (zones > 0).then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_proc_files_are_read_as_the_kernel_writes_them() {
        assert_eq!(
            parse_loadavg("0.48 1.29 1.69 1/234 5678\n"),
            Some([0.48, 1.29, 1.69])
        );
        assert_eq!(parse_loadavg("0.48 1.29\n"), None);
        assert_eq!(parse_loadavg("x 1 2\n"), None);
        assert_eq!(parse_uptime_s("2642.94 1624.66\n"), Some(2642.94));
        assert_eq!(parse_uptime_s(""), None);
        assert_eq!(
            parse_thp_mode("always [madvise] never\n").as_deref(),
            Some("madvise")
        );
        assert_eq!(
            parse_thp_mode("[always] madvise never\n").as_deref(),
            Some("always")
        );
        assert_eq!(parse_thp_mode("always madvise never\n"), None);
        let meminfo = "MemTotal:       24570512 kB\nMemFree:        23881204 kB\nMemAvailable:   24077316 kB\n";
        assert_eq!(parse_mem_available_mib(meminfo), Some(23513));
        assert_eq!(parse_mem_available_mib("MemTotal: 1 kB\n"), None);
        let buddy = "Node 0, zone      DMA      0      0      0      0      0      0      0      0      1      1      3 \n\
Node 0, zone    DMA32      1      4      2      2      1      2      1      4      4      2    752 \n\
Node 0, zone   Normal  26731  17187   7419   3401   1002    277     93     47     27     13    217 \n";
        // order 9 counts once, order 10 (4 MiB) twice
        assert_eq!(
            parse_free_2mib_blocks(buddy),
            Some(1 + 6 + 2 + 1504 + 13 + 434)
        );
        assert_eq!(parse_free_2mib_blocks("Node 0, zone Normal 1 x\n"), None);
        assert_eq!(parse_free_2mib_blocks("garbage\n"), None);
        assert_eq!(parse_free_2mib_blocks(""), None);
    }

    #[test]
    fn this_host_has_a_load_a_boot_and_memory() {
        let h = HostState::read();
        assert!(h.load_avg_1_min().is_some(), "{h:?}");
        assert!(h.kernel.as_deref().is_some_and(|k| !k.is_empty()), "{h:?}");
        assert_eq!(h.boot_id.as_deref().map(str::len), Some(36), "{h:?}");
        assert!(h.uptime_s.is_some_and(|u| u > 0.0), "{h:?}");
        assert!(h.mem_available_mib.is_some_and(|m| m > 0), "{h:?}");
        assert!(h.free_2mib_blocks.is_some(), "{h:?}");
        let mut lab = toml::Table::new();
        h.insert_into(&mut lab);
        for k in [
            "load_avg",
            "load_avg_1_5_15_min",
            "host_kernel",
            "host_boot_id",
        ] {
            assert!(lab.contains_key(k), "{k} missing: {lab:?}");
        }
        // whole seconds, an integer as lab/record.sh writes it
        assert!(lab["host_uptime_s"].is_integer(), "{lab:?}");
        assert!(
            h.summary().starts_with("host: load average "),
            "{}",
            h.summary()
        );
    }

    #[test]
    fn a_host_without_the_files_says_nothing() {
        let h = HostState::read_from(Path::new("/nonexistent-migbench-root"));
        assert_eq!(h, HostState::default());
        let mut lab = toml::Table::new();
        h.insert_into(&mut lab);
        assert!(lab.is_empty());
        assert!(h.summary().contains("load average ?"));
    }
}
