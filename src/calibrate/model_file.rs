//! Calibrated model files (`models/*.toml`): fitted parameters with their 95 %
//! confidence intervals and where they came from, and how they fill in what a
//! scenario or a recorded run leaves unsaid.

use super::stats::Estimate;
use crate::scenario::ScenarioFile;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Where a model file's numbers come from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// Model name.
    pub name: String,
    /// When it was fitted (UTC date), or "prior" for stated assumptions.
    pub fitted_at: String,
    /// migbench version that fitted it.
    pub migbench_version: String,
    /// Bundles it was fitted on.
    #[serde(default)]
    pub bundles: Vec<String>,
    /// QEMU versions seen in them.
    #[serde(default)]
    pub qemu_versions: Vec<String>,
    /// libvirt versions seen in them.
    #[serde(default)]
    pub libvirt_versions: Vec<String>,
    /// Accelerators (kvm, tcg).
    #[serde(default)]
    pub accel: Vec<String>,
    /// Assumptions and caveats.
    #[serde(default)]
    pub notes: Vec<String>,
}

/// The guest's memory footprint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestFit {
    /// Non-zero memory of an idle guest: intercept, MiB...
    pub baseline_nonzero_mib: Estimate,
    /// ...plus this many MiB per MiB of guest RAM (page tables, kernel structures).
    pub baseline_nonzero_per_mib: Estimate,
    /// Of the non-zero memory, how much lies at the top of RAM, MiB: the first pass
    /// ends on it, so it is what an idle guest sends while paused.
    #[serde(default = "no_top_nonzero")]
    pub top_nonzero_mib: Estimate,
}

fn no_top_nonzero() -> Estimate {
    Estimate::assumed(0.0)
}

/// The link and the migration stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkFit {
    /// Payload share of the line rate an uncapped stream gets.
    pub efficiency: Estimate,
    /// Stream bytes per page beyond its data.
    pub page_header_bytes: Estimate,
}

/// The hosts' CPU: what the sender and the management layer cost, scaled by how much
/// CPU is free (the link probe's small-message TCP throughput measures that).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostFit {
    /// Probe figure (netperf TCP_STREAM, 8 KiB buffers, 128 B messages, Mbit/s) the
    /// figures below are stated at.
    pub reference_probe_mbit_s: f64,
    /// Zero pages scanned per second by the sender at the reference, MiB/s.
    pub zero_scan_mib_s: Estimate,
    /// From the migrate call to the first page (libvirt prepare: the destination
    /// QEMU starts), ms: the part that does not depend on free CPU...
    pub setup_ms: Estimate,
    /// ...plus this many ms at the reference, scaling with 1/free CPU...
    pub setup_ms_cpu: Estimate,
    /// ...plus this many ms when the disk is on NFS...
    pub setup_ms_nfs: Estimate,
    /// ...plus this many NFS round trips (the destination QEMU opens the image; None:
    /// not fitted, inside the fixed NFS part).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup_nfs_round_trips: Option<Estimate>,
    /// How busy the hosts were, read from the guest's ping round trip before the job,
    /// for runs without the link probe (None: not fitted, such runs are predicted at
    /// the reference).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub busy_from_ping: Option<PingLoadFit>,
    /// ...plus this with the guest's ping round trip before the job: how promptly the
    /// guest answers tells how busy the host is right before the migrate call, which
    /// the probe, some seconds earlier, can miss (None: not fitted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup_ping: Option<PingSetupFit>,
}

/// Set-up time against the guest's mean ping round trip before the job:
/// `ms_per_rtt_ms x (rtt - reference_rtt_ms)`, the round trip held inside the range
/// fitted; a scenario that does not give the round trip is at the reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PingSetupFit {
    /// Round trip the other set-up terms are stated at (median of the fit's runs), ms.
    pub reference_rtt_ms: f64,
    /// Set-up ms per ms of round trip above it.
    pub ms_per_rtt_ms: Estimate,
    /// Lowest and highest round trip among the runs it was fitted on, ms.
    pub rtt_ms_range: [f64; 2],
}

/// How busy the hosts were (the reference probe figure over the run's) against the
/// guest's mean ping round trip before the job: `intercept + per_rtt_ms x rtt`, with
/// the round trip held inside the range the fit saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PingLoadFit {
    /// Busy factor at a round trip of 0.
    pub intercept: Estimate,
    /// Busy factor per ms of mean round trip.
    pub per_rtt_ms: Estimate,
    /// Lowest and highest mean round trip among the runs it was fitted on, ms.
    pub rtt_ms_range: [f64; 2],
}

/// Least busy factor [`ModelFile::probe_from_ping`] gives (a host cannot be freer
/// than idle; keeps the division finite).
const MIN_BUSY: f64 = 0.2;

/// Switchover.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SwitchoverFit {
    /// Fixed part of the guest pause (stop, device state load, libvirt's finish,
    /// resume), ms: the part that does not depend on free CPU...
    pub fixed_ms: Estimate,
    /// ...plus this many ms at the reference, scaling with 1/free CPU.
    pub fixed_ms_cpu: Estimate,
    /// NFS round trips in the handover (flush, re-open, lock), in total.
    pub nfs_round_trips: Estimate,
    /// Added to the pause of a migration whose job something polls through libvirt
    /// (`[migration] job_polled_via_libvirt`), ms: libvirt's switchover steps wait
    /// behind the queries. The fixed parts above are without it (None: a model from
    /// before it was measured, whose fixed parts hold its runs' share of it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub libvirt_job_polling_ms: Option<Estimate>,
    /// How far the observed downtime fell from the prediction on the runs the model was
    /// fitted on (None: not fitted). Identical runs differ: the final pass depends on
    /// where the zero-page scan stands when QEMU finds the pending bytes under its
    /// threshold, and libvirt resumes the guest more or less promptly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub downtime_error: Option<ErrorSpread>,
}

/// Observed less predicted, over a model's own runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorSpread {
    /// 5th percentile, ms.
    pub p5_ms: f64,
    /// 95th percentile, ms.
    pub p95_ms: f64,
    /// Runs behind it.
    pub n: usize,
}

/// The guest's writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadFit {
    /// Effective page writes per requested write (a slow guest falls short).
    pub write_efficiency: Estimate,
    /// Page writes one fully busy vCPU makes with the calibration workload (its
    /// workload probe), writes/s: maps CPU load to write rate, and tells how far the
    /// auto-converge throttle must go before it slows a paced workload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_writes_per_cpu_s: Option<Estimate>,
}

/// The network after resume.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkFit {
    /// From resume (STP off) until clients reach the guest, beyond the announce, ms.
    pub reconverge_ms: Estimate,
}

/// A calibrated (or prior) model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelFile {
    /// Where it comes from.
    pub provenance: Provenance,
    /// Guest footprint.
    pub guest: GuestFit,
    /// Link and stream.
    pub link: LinkFit,
    /// Host CPU.
    pub host: HostFit,
    /// Switchover.
    pub switchover: SwitchoverFit,
    /// Writes.
    pub workload: WorkloadFit,
    /// Network.
    pub network: NetworkFit,
}

/// Why a model file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ModelFileError {
    /// Unreadable.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// Not a model file.
    #[error("{path}:{line}: {message}")]
    Parse {
        /// The file.
        path: String,
        /// The line.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

impl ModelFile {
    /// Reads a model file.
    pub fn load(path: &Path) -> Result<Self, ModelFileError> {
        let p = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ModelFileError::Io {
            path: p.clone(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| ModelFileError::Parse {
            path: p,
            line: e.span().map_or(1, |s| {
                text[..s.start.min(text.len())].matches('\n').count() + 1
            }),
            message: e.message().trim().to_string(),
        })
    }

    /// The file as TOML text.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }

    /// The free-CPU figure (link probe, Mbit/s) a guest answering pings in `rtt_ms` on
    /// average before the job stands for; None without the fitted map.
    pub fn probe_from_ping(&self, rtt_ms: f64) -> Option<f64> {
        let m = self.host.busy_from_ping.as_ref()?;
        if !rtt_ms.is_finite() {
            return None;
        }
        let [lo, hi] = m.rtt_ms_range;
        let busy = (m.intercept.value + m.per_rtt_ms.value * rtt_ms.clamp(lo, hi)).max(MIN_BUSY);
        Some(self.host.reference_probe_mbit_s / busy)
    }

    /// The downtime range a prediction of `predicted_ms` stands for: where 90 % of the
    /// calibration runs' observed downtimes fell around their predictions.
    pub fn downtime_range_ms(&self, predicted_ms: f64) -> Option<[f64; 2]> {
        let e = self.switchover.downtime_error.as_ref()?;
        Some([
            (predicted_ms + e.p5_ms).max(0.0),
            (predicted_ms + e.p95_ms).max(0.0),
        ])
    }

    /// What polling the job through libvirt adds to the pause of `f`, ms: the model's
    /// cost where the scenario says libvirt is polled, else 0.
    pub fn libvirt_polling_ms(&self, f: &ScenarioFile) -> f64 {
        match (
            f.migration.job_polled_via_libvirt,
            &self.switchover.libvirt_job_polling_ms,
        ) {
            (Some(true), Some(e)) => e.value.max(0.0),
            _ => 0.0,
        }
    }

    /// Fills what `f` leaves unset with this model's figures, for a run whose link
    /// probe measured `probe_mbit_s`, whose guest answered pings in `ping_rtt_ms` on
    /// average before the job and whose NFS round trip was measured as `nfs_rtt_ms`.
    /// Unmeasured, they come from the scenario (`link.probe_mbit_s`,
    /// `guest.ping_rtt_ms`, where the round trip also stands for a missing probe, and
    /// the storage section), else the host is as at the reference.
    pub fn fill(
        &self,
        f: &ScenarioFile,
        probe_mbit_s: Option<f64>,
        ping_rtt_ms: Option<f64>,
        nfs_rtt_ms: Option<f64>,
    ) -> ScenarioFile {
        let mut f = f.clone();
        let ping_rtt_ms = ping_rtt_ms.or(f.guest.ping_rtt_ms);
        // Only the scenario's own round trip stands for a missing probe here: the fit
        // fills recorded runs at their measured probe alone, and predictions of a
        // recorded run map its round trip first (Run::load_probe_mbit_s).
        let probe_mbit_s = probe_mbit_s
            .or(f.link.probe_mbit_s)
            .or_else(|| self.probe_from_ping(f.guest.ping_rtt_ms?));
        let cpu = probe_mbit_s
            .filter(|p| p.is_finite() && *p > 0.0)
            .map_or(1.0, |p| p / self.host.reference_probe_mbit_s);
        let mem = f.guest.memory_mib;
        if f.workload.zero_fraction.is_none() && mem > 0.0 {
            let base = self.guest.baseline_nonzero_mib.value
                + self.guest.baseline_nonzero_per_mib.value * mem;
            let touched = f
                .workload
                .wws_mib
                .unwrap_or(0.0)
                .max(f.workload.resident_mib.unwrap_or(0.0));
            let nonzero = (base + touched).clamp(0.0, mem);
            f.workload.zero_fraction = Some(((1.0 - nonzero / mem) * 1e6).floor() / 1e6);
        }
        f.workload.top_nonzero_mib = f
            .workload
            .top_nonzero_mib
            .or(Some(self.guest.top_nonzero_mib.value.max(0.0)));
        if f.workload.page_writes_per_cpu_s.is_none() {
            f.workload.page_writes_per_cpu_s = self
                .workload
                .page_writes_per_cpu_s
                .as_ref()
                .map(|e| e.value)
                .filter(|x| x.is_finite() && *x > 0.0);
        }
        let k = self.workload.write_efficiency.value;
        for w in [
            &mut f.workload.hot_writes_per_s,
            &mut f.workload.cold_writes_per_s,
        ] {
            *w = w.map(|x| x * k);
        }
        for ph in &mut f.workload.phases {
            ph.hot_writes_per_s = ph.hot_writes_per_s.map(|x| x * k);
            ph.cold_writes_per_s = ph.cold_writes_per_s.map(|x| x * k);
        }
        f.link.efficiency = f.link.efficiency.or(Some(self.link.efficiency.value));
        f.link.page_header_bytes = f
            .link
            .page_header_bytes
            .or(Some(self.link.page_header_bytes.value));
        f.link.zero_scan_mib_s = f
            .link
            .zero_scan_mib_s
            .or(Some(self.host.zero_scan_mib_s.value * cpu));
        let nfs = f.storage.kind.as_deref() == Some("nfs");
        f.migration.setup_ms = f.migration.setup_ms.or(Some(
            (self.host.setup_ms.value
                + self.host.setup_ms_cpu.value / cpu
                + if nfs {
                    self.host.setup_ms_nfs.value
                } else {
                    0.0
                }
                + self.host.setup_ping.as_ref().map_or(0.0, |s| {
                    let [lo, hi] = s.rtt_ms_range;
                    let rtt = ping_rtt_ms
                        .filter(|r| r.is_finite())
                        .map_or(s.reference_rtt_ms, |r| r.clamp(lo, hi));
                    s.ms_per_rtt_ms.value * (rtt - s.reference_rtt_ms)
                }))
            .max(0.0),
        ));
        // The fixed pause splits evenly between the source (inside what QEMU reports)
        // and the destination.
        let half = ((self.switchover.fixed_ms.value + self.switchover.fixed_ms_cpu.value / cpu)
            / 2.0)
            .max(0.0);
        // Polling through libvirt holds up libvirt's handover, after QEMU's own
        // downtime: the destination's side.
        let polled = self.libvirt_polling_ms(&f);
        f.switchover.stop_ms = f.switchover.stop_ms.or(Some(half));
        f.switchover.resume_ms = f.switchover.resume_ms.or(Some(half + polled));
        f.storage.prepare_round_trips = f.storage.prepare_round_trips.or(self
            .host
            .setup_nfs_round_trips
            .as_ref()
            .map(|e| e.value.max(0.0).round() as u32));
        let trips = self.switchover.nfs_round_trips.value.max(0.0).round() as u32;
        f.storage.flush_round_trips = f.storage.flush_round_trips.or(Some(trips / 2));
        f.storage.open_round_trips = f.storage.open_round_trips.or(Some(trips - trips / 2));
        if let Some(rtt) = nfs_rtt_ms {
            f.storage.nfs_rtt_ms = Some(rtt);
            f.storage.nfs_rtt_added_ms = Some(0.0);
        }
        f.network.reconverge_ms = f
            .network
            .reconverge_ms
            .or(Some(self.network.reconverge_ms.value.max(0.0)));
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed prior model, a valid model file to vary.
    fn prior() -> ModelFile {
        ModelFile::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("models/ihep-2013.toml"))
            .unwrap()
    }

    #[test]
    fn ping_round_trip_stands_for_the_probe_inside_the_fitted_range() {
        let mut m = prior();
        assert_eq!(m.probe_from_ping(1.0), None, "no map, no figure");
        m.host.reference_probe_mbit_s = 200.0;
        m.host.busy_from_ping = Some(PingLoadFit {
            intercept: Estimate::assumed(0.5),
            per_rtt_ms: Estimate::assumed(0.5),
            rtt_ms_range: [0.5, 5.0],
        });
        // busy 1 at 1 ms: the reference; busy 2 at 3 ms: half of it.
        assert_eq!(m.probe_from_ping(1.0), Some(200.0));
        assert_eq!(m.probe_from_ping(3.0), Some(100.0));
        // Outside the range the fit saw, its ends: no extrapolation.
        assert_eq!(m.probe_from_ping(50.0), m.probe_from_ping(5.0));
        assert_eq!(m.probe_from_ping(0.0), m.probe_from_ping(0.5));
        assert_eq!(m.probe_from_ping(f64::NAN), None);
        // A map that would make the host freer than idle stops at the floor.
        m.host.busy_from_ping.as_mut().unwrap().intercept = Estimate::assumed(-10.0);
        assert_eq!(m.probe_from_ping(1.0), Some(200.0 / MIN_BUSY));
    }

    #[test]
    fn a_scenario_states_the_host_load_a_measurement_overrides() {
        let mut m = prior();
        m.host.reference_probe_mbit_s = 200.0;
        m.host.setup_ms = Estimate::assumed(100.0);
        m.host.setup_ms_cpu = Estimate::assumed(400.0);
        m.host.setup_ms_nfs = Estimate::assumed(0.0);
        m.host.setup_ping = None;
        m.host.busy_from_ping = Some(PingLoadFit {
            intercept: Estimate::assumed(0.5),
            per_rtt_ms: Estimate::assumed(0.5),
            rtt_ms_range: [0.5, 5.0],
        });
        let setup = |f: &ScenarioFile, probe: Option<f64>| {
            m.fill(f, probe, None, None).migration.setup_ms.unwrap()
        };
        let mut f = ScenarioFile::default();
        assert_eq!(setup(&f, None), 500.0, "at the reference");
        // Half the free CPU: the CPU-bound part doubles.
        f.link.probe_mbit_s = Some(100.0);
        assert_eq!(setup(&f, None), 900.0);
        assert_eq!(setup(&f, Some(200.0)), 500.0, "a measured probe wins");
        // Without the probe, the guest's round trip says how busy: 3 ms is busy 2.
        f.link.probe_mbit_s = None;
        f.guest.ping_rtt_ms = Some(3.0);
        assert_eq!(setup(&f, None), 900.0);
    }

    #[test]
    fn set_up_follows_the_ping_round_trip_inside_the_fitted_range() {
        let mut m = prior();
        let f = ScenarioFile::default();
        let setup = |m: &ModelFile, ping: Option<f64>| {
            m.fill(&f, None, ping, None).migration.setup_ms.unwrap()
        };
        let base = setup(&m, None);
        assert_eq!(setup(&m, Some(5.0)), base, "no term fitted, no change");
        m.host.setup_ping = Some(PingSetupFit {
            reference_rtt_ms: 1.0,
            ms_per_rtt_ms: Estimate::assumed(200.0),
            rtt_ms_range: [0.5, 3.0],
        });
        assert_eq!(
            setup(&m, None),
            base,
            "a scenario without it is at the reference"
        );
        assert_eq!(setup(&m, Some(1.0)), base);
        assert!((setup(&m, Some(2.0)) - (base + 200.0)).abs() < 1e-9);
        assert!(
            (setup(&m, Some(30.0)) - (base + 400.0)).abs() < 1e-9,
            "held at 3 ms"
        );
    }

    #[test]
    fn polling_the_job_through_libvirt_lengthens_the_pause_it_is_known_for() {
        let mut m = prior();
        let pause = |m: &ModelFile, polled: Option<bool>, resume: Option<f64>| {
            let mut f = ScenarioFile::default();
            f.migration.job_polled_via_libvirt = polled;
            f.switchover.resume_ms = resume;
            let g = m.fill(&f, None, None, None);
            g.switchover.stop_ms.unwrap() + g.switchover.resume_ms.unwrap()
        };
        let base = pause(&m, None, None);
        assert_eq!(
            pause(&m, Some(true), None),
            base,
            "a prior does not know it"
        );
        m.switchover.libvirt_job_polling_ms = Some(Estimate::assumed(7.0));
        assert_eq!(pause(&m, None, None), base);
        assert_eq!(pause(&m, Some(false), None), base);
        assert_eq!(pause(&m, Some(true), None), base + 7.0);
        // A scenario that states its resume states all of it.
        assert_eq!(pause(&m, Some(true), Some(3.0)), pause(&m, None, Some(3.0)));
        let back: ModelFile = toml::from_str(&m.to_toml()).unwrap();
        assert_eq!(back, m, "the term survives a round trip through the file");
    }

    #[test]
    fn downtime_range_comes_from_the_fitted_spread() {
        let mut m = prior();
        assert_eq!(m.downtime_range_ms(100.0), None, "a prior states no spread");
        m.switchover.downtime_error = Some(ErrorSpread {
            p5_ms: -40.0,
            p95_ms: 60.0,
            n: 20,
        });
        assert_eq!(m.downtime_range_ms(100.0), Some([60.0, 160.0]));
        assert_eq!(
            m.downtime_range_ms(30.0),
            Some([0.0, 90.0]),
            "a pause is never negative"
        );
        let text = m.to_toml();
        assert!(text.contains("[switchover.downtime_error]"), "{text}");
        let back: ModelFile = toml::from_str(&text).unwrap();
        assert_eq!(back, m, "the spread survives a round trip through the file");
    }
}
