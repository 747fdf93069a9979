//! libvirt job statistics (`virDomainGetJobStats`) as JSON lines (`jobstats.jsonl`).
//!
//! One object per sample: `{"t": <Unix s>, "completed": <bool>, "type": "<job type>",
//! <typed parameter>: <value>, ...}` with libvirt's own parameter names
//! (`time_elapsed`, `memory_processed`, `memory_iteration`, `downtime`, ...), in the
//! order libvirt returned them. Parameters are read generically from the typed
//! parameter list, so fields a newer libvirt adds pass through unchanged.

use serde_json::{Map, Value};
use std::time::SystemTime;

use super::clock;

/// One typed parameter's value.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    /// `VIR_TYPED_PARAM_INT` / `LLONG`.
    Int(i64),
    /// `VIR_TYPED_PARAM_UINT` / `ULLONG`.
    UInt(u64),
    /// `VIR_TYPED_PARAM_DOUBLE`.
    Double(f64),
    /// `VIR_TYPED_PARAM_BOOLEAN`.
    Bool(bool),
    /// `VIR_TYPED_PARAM_STRING`.
    Str(String),
}

/// One `virDomainGetJobStats` answer.
#[derive(Debug, Clone, PartialEq)]
pub struct JobSample {
    /// When it was asked for.
    pub t: SystemTime,
    /// Asked with `VIR_DOMAIN_JOB_STATS_COMPLETED` (the finished job's statistics).
    pub completed: bool,
    /// `virDomainJobType` number.
    pub job_type: i32,
    /// The typed parameters, in libvirt's order.
    pub params: Vec<(String, ParamValue)>,
}

/// libvirt's `virDomainJobType` names, lower case as in the bundle format.
pub fn job_type_name(t: i32) -> &'static str {
    match t {
        0 => "none",
        1 => "bounded",
        2 => "unbounded",
        3 => "completed",
        4 => "failed",
        5 => "cancelled",
        _ => "unknown",
    }
}

impl JobSample {
    /// The job type's name.
    pub fn type_name(&self) -> &'static str {
        job_type_name(self.job_type)
    }

    /// An integer parameter that is non-negative.
    pub fn get_u64(&self, name: &str) -> Option<u64> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| match v {
                ParamValue::UInt(u) => Some(*u),
                ParamValue::Int(i) => u64::try_from(*i).ok(),
                _ => None,
            })
    }

    /// Is a migration job running (bounded or unbounded)?
    pub fn active(&self) -> bool {
        matches!(self.job_type, 1 | 2)
    }

    /// The JSON line (without newline).
    pub fn to_json_line(&self) -> String {
        let mut m = Map::new();
        m.insert("t".into(), Value::from(clock::unix_seconds(self.t)));
        m.insert("completed".into(), Value::from(self.completed));
        m.insert("type".into(), Value::from(self.type_name()));
        for (k, v) in &self.params {
            let v = match v {
                ParamValue::Int(i) => Value::from(*i),
                ParamValue::UInt(u) => Value::from(*u),
                ParamValue::Double(d) => Value::from(*d),
                ParamValue::Bool(b) => Value::from(*b),
                ParamValue::Str(s) => Value::from(s.as_str()),
            };
            // "t", "completed" and "type" are ours; a parameter of that name (none
            // exists in libvirt 9) must not overwrite them
            m.entry(k.clone()).or_insert(v);
        }
        Value::Object(m).to_string()
    }

    /// One line for the progress display and the log.
    pub fn progress_text(&self) -> String {
        const MIB: f64 = 1024.0 * 1024.0;
        let ms = |k| self.get_u64(k).map(|v| v as f64 / 1000.0);
        let mib = |k| self.get_u64(k).map(|v| v as f64 / MIB);
        let mut s = format!("job {}", self.type_name());
        if let Some(e) = ms("time_elapsed") {
            s.push_str(&format!(", {e:.1} s"));
        }
        if let Some(i) = self.get_u64("memory_iteration") {
            s.push_str(&format!(", iteration {i}"));
        }
        if let Some(p) = mib("memory_processed") {
            s.push_str(&format!(", sent {p:.1} MiB"));
        }
        if let Some(r) = mib("memory_remaining") {
            s.push_str(&format!(", remaining {r:.1} MiB"));
        }
        if let Some(d) = self.expected_downtime_ms() {
            s.push_str(&format!(", est. downtime {d:.0} ms"));
        }
        if let Some(t) = self.get_u64("auto_converge_throttle").filter(|t| *t > 0) {
            s.push_str(&format!(", throttle {t}%"));
        }
        s
    }

    /// What the remaining dirty memory would take at the current bandwidth: QEMU's
    /// switch-over test, which libvirt's statistics do not carry themselves.
    pub fn expected_downtime_ms(&self) -> Option<f64> {
        let rem = self.get_u64("memory_remaining")?;
        let bps = self.get_u64("memory_bps").filter(|b| *b > 0)?;
        Some(rem as f64 / bps as f64 * 1000.0)
    }
}

#[cfg(feature = "lab")]
pub use sampler::{JobPoller, PollerState, get_job_stats};

#[cfg(feature = "lab")]
mod sampler {
    //! Reading job statistics through libvirt and the polling loop.

    use super::{JobSample, ParamValue};
    use std::ffi::CStr;
    use std::fs::File;
    use std::io::Write;
    use std::os::raw::c_int;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant, SystemTime};
    use virt::domain::Domain;
    use virt::error::Error;
    use virt::sys;

    /// `virDomainGetJobStats` with every typed parameter kept by name.
    ///
    /// The `virt` crate's `JobStats` maps known fields only; the bundle keeps what
    /// libvirt said, so the typed parameters are walked here.
    pub fn get_job_stats(dom: &Domain, completed: bool) -> Result<JobSample, Error> {
        let flags = if completed {
            sys::VIR_DOMAIN_JOB_STATS_COMPLETED
        } else {
            0
        };
        let mut typ: c_int = 0;
        let mut params: sys::virTypedParameterPtr = std::ptr::null_mut();
        let mut n: c_int = 0;
        let t = SystemTime::now();
        // SAFETY: `dom` holds a valid reference; libvirt allocates `params` (n entries)
        // and we free it with virTypedParamsFree below, after copying every value out.
        let rc = unsafe {
            sys::virDomainGetJobStats(dom.as_ptr(), &mut typ, &mut params, &mut n, flags)
        };
        if rc < 0 {
            return Err(Error::last_error());
        }
        let mut out = Vec::with_capacity(n.max(0) as usize);
        for i in 0..n.max(0) as usize {
            // SAFETY: i < n, the array libvirt returned; strings are NUL-terminated.
            let p = unsafe { &*params.add(i) };
            let name = unsafe { CStr::from_ptr(p.field.as_ptr()) }
                .to_string_lossy()
                .into_owned();
            let v = unsafe {
                match p.type_ as u32 {
                    sys::VIR_TYPED_PARAM_INT => ParamValue::Int(i64::from(p.value.i)),
                    sys::VIR_TYPED_PARAM_UINT => ParamValue::UInt(u64::from(p.value.ui)),
                    sys::VIR_TYPED_PARAM_LLONG => ParamValue::Int(p.value.l),
                    sys::VIR_TYPED_PARAM_ULLONG => ParamValue::UInt(p.value.ul),
                    sys::VIR_TYPED_PARAM_DOUBLE => ParamValue::Double(p.value.d),
                    sys::VIR_TYPED_PARAM_BOOLEAN => ParamValue::Bool(p.value.b != 0),
                    sys::VIR_TYPED_PARAM_STRING if !p.value.s.is_null() => {
                        ParamValue::Str(CStr::from_ptr(p.value.s).to_string_lossy().into_owned())
                    }
                    _ => continue,
                }
            };
            out.push((name, v));
        }
        if !params.is_null() {
            // SAFETY: allocated by libvirt for us, n entries, not used after this.
            unsafe { sys::virTypedParamsFree(params, n) };
        }
        Ok(JobSample {
            t,
            completed,
            job_type: typ,
            params: out,
        })
    }

    /// What the poller shares with the recorder while it runs.
    #[derive(Debug, Default)]
    pub struct PollerState {
        /// The latest sample.
        pub latest: Option<JobSample>,
        /// The latest sample of an active job.
        pub last_active: Option<JobSample>,
        /// Samples written.
        pub samples: u64,
        /// Has a job been seen active?
        pub saw_active: bool,
        /// When the data sent last grew (for stall detection).
        pub last_progress: Option<Instant>,
        /// The largest `memory_iteration` seen.
        pub max_iteration: u64,
        /// The last error from libvirt, if sampling failed.
        pub last_error: Option<String>,
    }

    /// Polls a domain's job statistics at a fixed period, writing every sample as a
    /// JSON line as it comes (one `write` per line: nothing is buffered in-process).
    pub struct JobPoller {
        /// Shared state.
        pub state: Arc<Mutex<PollerState>>,
        /// Set to stop the loop.
        pub stop: Arc<AtomicBool>,
    }

    impl JobPoller {
        /// A poller not yet running.
        pub fn new() -> Self {
            Self {
                state: Arc::new(Mutex::new(PollerState::default())),
                stop: Arc::new(AtomicBool::new(false)),
            }
        }

        /// The loop (blocking: run it on the blocking pool). Samples at `period`
        /// (paced to the start of each sample), until `stop` is set.
        pub fn run(&self, dom: &Domain, out: &mut File, period: Duration) {
            let mut next = Instant::now();
            let mut last_sent: Option<u64> = None;
            while !self.stop.load(Ordering::Acquire) {
                match get_job_stats(dom, false) {
                    Ok(s) => {
                        let _ = out.write_all(format!("{}\n", s.to_json_line()).as_bytes());
                        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
                        st.samples += 1;
                        if s.active() {
                            st.saw_active = true;
                            let sent = s
                                .get_u64("data_processed")
                                .or(s.get_u64("memory_processed"));
                            if sent != last_sent || st.last_progress.is_none() {
                                st.last_progress = Some(Instant::now());
                                last_sent = sent;
                            }
                            if let Some(i) = s.get_u64("memory_iteration") {
                                st.max_iteration = st.max_iteration.max(i);
                            }
                            st.last_active = Some(s.clone());
                        }
                        st.latest = Some(s);
                    }
                    Err(e) => {
                        // the source domain goes inactive when the job completes; the
                        // recorder stops us then, so errors are only remembered
                        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
                        st.last_error = Some(e.to_string());
                    }
                }
                next += period;
                let now = Instant::now();
                if next > now {
                    std::thread::sleep(next - now);
                } else {
                    // a slow sample (loaded machine): keep the period, do not burst
                    next = now;
                }
            }
        }
    }

    impl Default for JobPoller {
        fn default() -> Self {
            Self::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn json_line_has_the_bundle_format() {
        let s = JobSample {
            t: UNIX_EPOCH + Duration::from_micros(1_764_118_923_500_000),
            completed: false,
            job_type: 2,
            params: vec![
                ("time_elapsed".into(), ParamValue::UInt(500)),
                ("memory_processed".into(), ParamValue::UInt(1_048_576)),
                ("memory_remaining".into(), ParamValue::UInt(33_554_432)),
                ("memory_bps".into(), ParamValue::UInt(67_108_864)),
                ("memory_iteration".into(), ParamValue::UInt(1)),
                ("auto_converge_throttle".into(), ParamValue::Int(0)),
                ("success".into(), ParamValue::Bool(true)),
                ("errmsg".into(), ParamValue::Str("x".into())),
                ("type".into(), ParamValue::Int(9)),
            ],
        };
        assert_eq!(
            s.to_json_line(),
            r#"{"t":1764118923.5,"completed":false,"type":"unbounded","time_elapsed":500,"memory_processed":1048576,"memory_remaining":33554432,"memory_bps":67108864,"memory_iteration":1,"auto_converge_throttle":0,"success":true,"errmsg":"x"}"#
        );
        assert_eq!(s.get_u64("memory_iteration"), Some(1));
        assert_eq!(s.expected_downtime_ms(), Some(500.0));
        assert!(s.active());
        assert_eq!(
            s.progress_text(),
            "job unbounded, 0.5 s, iteration 1, sent 1.0 MiB, remaining 32.0 MiB, est. downtime 500 ms"
        );
        assert_eq!(job_type_name(3), "completed");
    }
}
