//! What the guest's page dirtier is told to do, and its control channel.
//!
//! The lab guest runs `lab/guest/dirtier.c`, which listens on TCP port 7000 and
//! understands `get` and `set wws_mib=W rate=R disk_kib_s=K` (one line each, one line
//! answered). A calibration sweep sets a new dirty rate per run over it, without
//! rebooting the guest.

use super::LabError;
use std::fmt;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// The dirtier's port in the lab guest.
pub const DEFAULT_CONTROL_PORT: u16 = 7000;

/// A workload for one run: hot working set, page writes per second into it, disk writes.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Workload {
    /// Hot writable working set, MiB.
    pub wws_mib: u64,
    /// Page writes per second into the working set.
    pub rate: u64,
    /// Guest disk writes, KiB/s (NFS lab only).
    pub disk_kib_s: u64,
}

impl Workload {
    /// Parses `wws_mib=64,rate=5000[,disk_kib_s=0]` (also `hot_writes_per_s=` for
    /// `rate=`, spaces allowed as separators). Missing keys are 0.
    pub fn parse(spec: &str) -> Result<Self, LabError> {
        let mut w = Workload::default();
        let bad = |msg: String| LabError::BadWorkload {
            spec: spec.to_string(),
            message: msg,
        };
        for part in spec.split([',', ' ']).filter(|p| !p.is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| bad(format!("`{part}` is not KEY=VALUE")))?;
            let v: u64 = v
                .trim()
                .parse()
                .map_err(|_| bad(format!("`{v}` is not a non-negative integer")))?;
            match k.trim() {
                "wws_mib" | "wws" => w.wws_mib = v,
                "rate" | "hot_writes_per_s" => w.rate = v,
                "disk_kib_s" | "disk_writes_kib_s" => w.disk_kib_s = v,
                other => {
                    return Err(bad(format!(
                        "unknown key `{other}` (known: wws_mib, rate, disk_kib_s)"
                    )));
                }
            }
        }
        if w.rate > 0 && w.wws_mib == 0 {
            return Err(bad("rate > 0 needs wws_mib > 0".into()));
        }
        Ok(w)
    }

    /// The dirtier's `set` command for this workload.
    pub fn set_command(&self) -> String {
        format!(
            "set wws_mib={} rate={} disk_kib_s={}",
            self.wws_mib, self.rate, self.disk_kib_s
        )
    }

    /// Reads the dirtier's answer to `get` (`wws_mib=0 rate=0 disk_kib_s=0 writes=..`).
    pub fn from_answer(answer: &str) -> Option<Self> {
        let mut w = Workload::default();
        let mut seen = 0;
        for part in answer.split_whitespace() {
            let Some((k, v)) = part.split_once('=') else {
                continue;
            };
            let Ok(v) = v.parse::<u64>() else { continue };
            match k {
                "wws_mib" => w.wws_mib = v,
                "rate" => w.rate = v,
                "disk_kib_s" => w.disk_kib_s = v,
                _ => continue,
            }
            seen += 1;
        }
        (seen >= 2).then_some(w)
    }

    /// Short label for bundle names: `idle` or `wws64m-rate5000`.
    pub fn label(&self) -> String {
        if self.rate == 0 && self.disk_kib_s == 0 {
            return "idle".into();
        }
        let mut s = format!("wws{}m-rate{}", self.wws_mib, self.rate);
        if self.disk_kib_s > 0 {
            s.push_str(&format!("-disk{}k", self.disk_kib_s));
        }
        s
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "wws_mib={},rate={},disk_kib_s={}",
            self.wws_mib, self.rate, self.disk_kib_s
        )
    }
}

/// Sends one line to the guest's control channel and returns its one-line answer.
/// Blocking (a few seconds at most): call it from a blocking context.
pub fn control(addr: SocketAddr, line: &str) -> Result<String, LabError> {
    let io = |e: std::io::Error| LabError::GuestControl {
        addr,
        message: e.to_string(),
    };
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(3)).map_err(io)?;
    s.set_read_timeout(Some(Duration::from_secs(4)))
        .map_err(io)?;
    s.set_write_timeout(Some(Duration::from_secs(2)))
        .map_err(io)?;
    s.write_all(format!("{line}\n").as_bytes()).map_err(io)?;
    let mut answer = String::new();
    BufReader::new(s).read_line(&mut answer).map_err(io)?;
    Ok(answer.trim_end().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_specs() {
        assert_eq!(
            Workload::parse("wws_mib=64,rate=5000").unwrap(),
            Workload {
                wws_mib: 64,
                rate: 5000,
                disk_kib_s: 0
            }
        );
        assert_eq!(
            Workload::parse("wws=8 hot_writes_per_s=10 disk_kib_s=128").unwrap(),
            Workload {
                wws_mib: 8,
                rate: 10,
                disk_kib_s: 128
            }
        );
        assert_eq!(Workload::parse("").unwrap(), Workload::default());
        let e = Workload::parse("wws_mib=64,rat=5").unwrap_err().to_string();
        assert!(e.contains("unknown key `rat`"), "{e}");
        let e = Workload::parse("rate=5").unwrap_err().to_string();
        assert!(e.contains("needs wws_mib"), "{e}");
        let e = Workload::parse("wws_mib=-1").unwrap_err().to_string();
        assert!(e.contains("not a non-negative integer"), "{e}");
    }

    #[test]
    fn reads_the_dirtiers_answer() {
        let w = Workload::from_answer(
            "wws_mib=64 rate=5000 disk_kib_s=0 writes=123 disk_kib=0 disk=none",
        )
        .unwrap();
        assert_eq!((w.wws_mib, w.rate, w.disk_kib_s), (64, 5000, 0));
        assert_eq!(Workload::from_answer("ok"), None);
        assert_eq!(w.set_command(), "set wws_mib=64 rate=5000 disk_kib_s=0");
        assert_eq!(w.label(), "wws64m-rate5000");
        assert_eq!(Workload::default().label(), "idle");
    }
}
