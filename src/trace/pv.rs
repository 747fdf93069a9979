//! One normalised PV sample series for replay, from camonitor, Phoebus and the Archiver.

use super::archiver::{ArchiverData, SEVERITY_DISCONNECTED};
use super::camonitor::{CaRecordKind, CaValue, CamonitorLog};
use super::phoebus::PhoebusExport;
use serde::Serialize;

/// A PV value: a number, a numeric array, or text.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum PvValue {
    /// A scalar number.
    Number(f64),
    /// A numeric array.
    Numbers(Vec<f64>),
    /// Anything else.
    Text(String),
}

impl PvValue {
    /// The value as a scalar number, if it is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            PvValue::Number(x) => Some(*x),
            _ => None,
        }
    }

    /// Parses printed text: a number if it reads as one, otherwise text.
    pub fn from_text(s: &str) -> PvValue {
        match s.trim().parse::<f64>() {
            Ok(x) => PvValue::Number(x),
            Err(_) => PvValue::Text(s.to_owned()),
        }
    }
}

/// What a PV sample records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PvEvent {
    /// A value update.
    Value,
    /// The client lost the channel (camonitor `*** disconnected`, Archiver severity 3904
    /// or `cnxlostepsecs`).
    Disconnected,
}

/// One PV sample in the common form replay works on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PvSample {
    /// PV name.
    pub pv: String,
    /// Server (IOC) time stamp, Unix ns UTC, when known.
    pub server_t_unix_ns: Option<i64>,
    /// Client receive time, Unix ns UTC, when recorded (camonitor `-tc`/`-tsc`).
    pub client_t_unix_ns: Option<i64>,
    /// Value; None for events and for samples exported without one (`#N/A`).
    pub value: Option<PvValue>,
    /// Alarm severity name (`NO_ALARM`, `MINOR`, `MAJOR`, `INVALID`, or the exporter's word).
    pub severity: Option<String>,
    /// Alarm status name.
    pub status: Option<String>,
    /// Update or connection event.
    pub event: PvEvent,
}

/// The samples of camonitor output (updates and disconnect events, in file order).
pub fn from_camonitor(log: &CamonitorLog) -> Vec<PvSample> {
    let mut out = Vec::with_capacity(log.records.len());
    for r in &log.records {
        let pv = log.pvs.get(r.pv as usize).cloned().unwrap_or_default();
        let (value, severity, status, event) = match &r.kind {
            CaRecordKind::Update { value, alarm, .. } => {
                let v = match value {
                    CaValue::Number(x) => PvValue::Number(*x),
                    CaValue::Numbers(v) => PvValue::Numbers(v.clone()),
                    CaValue::Text(t) => PvValue::Text(t.clone()),
                };
                let (sev, stat) = match alarm {
                    Some(a) => (a.severity, a.status),
                    None => ("NO_ALARM", "NO_ALARM"),
                };
                (
                    Some(v),
                    Some(sev.to_owned()),
                    Some(stat.to_owned()),
                    PvEvent::Value,
                )
            }
            CaRecordKind::Disconnected => (None, None, None, PvEvent::Disconnected),
            // Never-connected, access and CA errors carry no time line for replay.
            _ => continue,
        };
        out.push(PvSample {
            pv,
            server_t_unix_ns: r.server_t_unix_ns,
            client_t_unix_ns: r.client_t_unix_ns,
            value,
            severity,
            status,
            event,
        });
    }
    out
}

/// The samples of a Phoebus export (server time only; `#N/A` cells are left out).
pub fn from_phoebus(export: &PhoebusExport) -> Vec<PvSample> {
    let mut out = Vec::new();
    for ch in &export.channels {
        for s in &ch.samples {
            let Some(value) = &s.value else { continue };
            out.push(PvSample {
                pv: ch.name.clone(),
                server_t_unix_ns: Some(s.t_unix_ns),
                client_t_unix_ns: None,
                value: Some(value.clone()),
                severity: s.severity.clone(),
                status: s.status.clone(),
                event: PvEvent::Value,
            });
        }
    }
    out
}

/// The samples of Archiver Appliance data; connection losses become disconnect events.
pub fn from_archiver(data: &ArchiverData) -> Vec<PvSample> {
    let mut out = Vec::new();
    for pv in &data.pvs {
        for s in &pv.samples {
            if let Some(lost) = s.connection_lost_unix_ns() {
                out.push(PvSample {
                    pv: pv.name.clone(),
                    server_t_unix_ns: Some(lost),
                    client_t_unix_ns: None,
                    value: None,
                    severity: None,
                    status: None,
                    event: PvEvent::Disconnected,
                });
            }
            let disconnected = s.severity == SEVERITY_DISCONNECTED;
            out.push(PvSample {
                pv: pv.name.clone(),
                server_t_unix_ns: Some(s.t_unix_ns),
                client_t_unix_ns: None,
                value: (!disconnected).then(|| s.value.clone()),
                severity: Some(super::archiver::severity_name(s.severity).to_owned()),
                status: Some(s.status.to_string()),
                event: if disconnected {
                    PvEvent::Disconnected
                } else {
                    PvEvent::Value
                },
            });
        }
    }
    out
}
