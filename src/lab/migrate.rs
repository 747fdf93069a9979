//! The migration itself through libvirt (`virt` crate), and what the recorder asks
//! the hosts: versions, accelerator, domain size. Every call here blocks (FFI into
//! libvirt's RPC client): run them on tokio's blocking pool.

use super::LabError;
use virt::connect::Connect;
use virt::domain::{Domain, MigrateParameters};
use virt::sys;

/// What to ask of the migration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MigrationSpec {
    /// `VIR_MIGRATE_PARAM_BANDWIDTH`, MiB/s (None: libvirt's default).
    pub bandwidth_mib_s: Option<u64>,
    /// Max downtime, ms (`virDomainMigrateSetMaxDowntime` before the job).
    pub downtime_limit_ms: Option<u64>,
    /// `VIR_MIGRATE_AUTO_CONVERGE`.
    pub auto_converge: bool,
    /// `VIR_MIGRATE_POSTCOPY` (enable post-copy; the switch is separate).
    pub postcopy: bool,
    /// Switch to post-copy once the first pass is done (virsh's
    /// `--postcopy-after-precopy`).
    pub postcopy_after_precopy: bool,
    /// `VIR_MIGRATE_UNSAFE`: the guest has disks libvirt cannot prove safe (the lab's
    /// initramfs guest); not needed with shared NFS storage and `cache='none'`.
    pub unsafe_migration: bool,
    /// Migration data URI (`tcp://192.0.2.2`); None lets libvirt choose.
    pub migrate_uri: Option<String>,
}

impl MigrationSpec {
    /// The `virDomainMigrate3` flags.
    pub fn flags(&self) -> u32 {
        let mut f = sys::VIR_MIGRATE_LIVE;
        if self.unsafe_migration {
            f |= sys::VIR_MIGRATE_UNSAFE;
        }
        if self.auto_converge {
            f |= sys::VIR_MIGRATE_AUTO_CONVERGE;
        }
        if self.postcopy {
            f |= sys::VIR_MIGRATE_POSTCOPY;
        }
        f
    }

    /// The flags by name, for the manifest.
    pub fn flag_names(&self) -> Vec<&'static str> {
        let mut v = vec!["VIR_MIGRATE_LIVE"];
        if self.unsafe_migration {
            v.push("VIR_MIGRATE_UNSAFE");
        }
        if self.auto_converge {
            v.push("VIR_MIGRATE_AUTO_CONVERGE");
        }
        if self.postcopy {
            v.push("VIR_MIGRATE_POSTCOPY");
        }
        v
    }

    /// The typed parameters of `virDomainMigrate3`.
    pub fn parameters(&self) -> MigrateParameters {
        MigrateParameters {
            bandwidth: self.bandwidth_mib_s,
            uri: self.migrate_uri.clone(),
            ..Default::default()
        }
    }
}

/// Opens a libvirt connection, naming the URI in the error.
pub fn open(uri: &str) -> Result<Connect, LabError> {
    Connect::open(Some(uri)).map_err(|e| LabError::Libvirt {
        what: format!("connect to {uri}"),
        message: e.message().to_string(),
    })
}

/// Looks a domain up by name.
pub fn lookup(conn: &Connect, uri: &str, name: &str) -> Result<Domain, LabError> {
    conn.lookup_domain_by_name(name)
        .map_err(|e| LabError::Libvirt {
            what: format!("find domain {name} on {uri}"),
            message: e.message().to_string(),
        })
}

/// Runs the migration to completion, failure or abort (blocks for all of it).
pub fn migrate(dom: &Domain, dconn: &Connect, spec: &MigrationSpec) -> Result<(), String> {
    if let Some(ms) = spec.downtime_limit_ms {
        dom.migrate_set_max_downtime(ms, 0)
            .map_err(|e| format!("set max downtime {ms} ms: {}", e.message()))?;
    }
    // the returned handle is the domain on the destination; dropping it only releases
    // our reference
    dom.migrate3(dconn, spec.parameters(), spec.flags())
        .map(drop)
        .map_err(|e| e.message().to_string())
}

/// `virDomainAbortJob`: cancels the running migration (QEMU's `migrate_cancel`).
/// The `virt` crate has no wrapper for it.
pub fn abort_job(dom: &Domain) -> Result<(), String> {
    // SAFETY: `dom` is a valid reference for the duration of the call.
    let rc = unsafe { sys::virDomainAbortJob(dom.as_ptr()) };
    if rc < 0 {
        Err(virt::error::Error::last_error().message().to_string())
    } else {
        Ok(())
    }
}

/// `virDomainMigrateStartPostCopy`: switch a running pre-copy job to post-copy.
pub fn start_postcopy(dom: &Domain) -> Result<(), String> {
    // SAFETY: `dom` is a valid reference for the duration of the call.
    let rc = unsafe { sys::virDomainMigrateStartPostCopy(dom.as_ptr(), 0) };
    if rc < 0 {
        Err(virt::error::Error::last_error().message().to_string())
    } else {
        Ok(())
    }
}

/// libvirt's `major*1_000_000 + minor*1000 + micro` as `major.minor.micro`.
pub fn version_string(v: u32) -> String {
    format!("{}.{}.{}", v / 1_000_000, v / 1000 % 1000, v % 1000)
}

/// Which accelerator the running domain uses, asked from QEMU (`query-kvm`); falls
/// back to the domain XML's type (`kvm` or `qemu` = TCG) if the monitor does not answer.
pub fn accel(dom: &Domain) -> String {
    if let Ok(reply) = dom.qemu_monitor_command(r#"{"execute":"query-kvm"}"#, 0)
        && let Ok(v) = serde_json::from_str::<serde_json::Value>(&reply)
        && let Some(enabled) = v["return"]["enabled"].as_bool()
    {
        return if enabled { "kvm" } else { "tcg" }.into();
    }
    match dom.xml_desc(0) {
        Ok(x) if x.contains("<domain type='kvm'") || x.contains("<domain type=\"kvm\"") => {
            "kvm".into()
        }
        Ok(x) if x.contains("<domain type='qemu'") || x.contains("<domain type=\"qemu\"") => {
            "tcg".into()
        }
        _ => "unknown".into(),
    }
}

/// Storage kind of a domain from its XML: `nfs` (a network disk over NFS), `local`
/// (any other disk) or `none` (no disk: the lab guest runs from its initramfs).
pub fn storage_kind(xml: &str) -> &'static str {
    if !xml.contains("<disk ") {
        "none"
    } else if xml.contains("protocol='nfs'") || xml.contains("protocol=\"nfs\"") {
        "nfs"
    } else {
        "local"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_versions() {
        let s = MigrationSpec {
            unsafe_migration: true,
            auto_converge: true,
            ..Default::default()
        };
        assert_eq!(
            s.flags(),
            sys::VIR_MIGRATE_LIVE | sys::VIR_MIGRATE_UNSAFE | sys::VIR_MIGRATE_AUTO_CONVERGE
        );
        assert_eq!(
            s.flag_names(),
            [
                "VIR_MIGRATE_LIVE",
                "VIR_MIGRATE_UNSAFE",
                "VIR_MIGRATE_AUTO_CONVERGE"
            ]
        );
        assert_eq!(version_string(9_000_000), "9.0.0");
        assert_eq!(version_string(7_002_022), "7.2.22");
        assert_eq!(storage_kind("<domain><devices/></domain>"), "none");
        assert_eq!(
            storage_kind("<disk type='network'><source protocol='nfs' name='x'/></disk>"),
            "nfs"
        );
    }
}
