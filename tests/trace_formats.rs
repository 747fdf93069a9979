//! Realistic samples of every format: each is detected as itself, parses with its own parser,
//! and is refused (with an error naming file and line, never a panic) by every other one.

use migbench::trace::camonitor::CamonitorOptions;
use migbench::trace::{
    Format, TraceError, UtcOffset, archiver, camonitor, detect_format, domjobinfo, fping, jobstats,
    phoebus, ping, query_migrate,
};

const PING: &str = "\
PING 192.0.2.10 (192.0.2.10) 56(84) bytes of data.
[1764118923.100412] 64 bytes from 192.0.2.10: icmp_seq=1 ttl=64 time=0.412 ms
[1764118923.200398] 64 bytes from 192.0.2.10: icmp_seq=2 ttl=64 time=0.398 ms
[1764118923.300291] no answer yet for icmp_seq=2
[1764118923.400301] 64 bytes from 192.0.2.10: icmp_seq=4 ttl=64 time=0.301 ms

--- 192.0.2.10 ping statistics ---
4 packets transmitted, 3 received, 25% packet loss, time 301ms
rtt min/avg/max/mdev = 0.301/0.370/0.412/0.049 ms
";

const FPING: &str = "\
[1764118923.10041] 192.0.2.10 : [0], 64 bytes, 0.41 ms (0.41 avg, 0% loss)
[1764118923.20040] 192.0.2.10 : [1], 64 bytes, 0.40 ms (0.40 avg, 0% loss)
[1764118924.30030] 192.0.2.10 : [2], timed out (0.40 avg, 33% loss)
192.0.2.10 : xmt/rcv/%loss = 3/2/33%, min/avg/max = 0.40/0.40/0.41
";

const CAMONITOR: &str = "\
rootHost:calcExample           2025-11-26 01:02:03.000072(2025-11-26 01:02:03.001261) 3  
rootHost:ai1                   2025-11-26 01:02:03.000072(2025-11-26 01:02:03.001307) 3  
rootHost:calcExample           2025-11-26 01:02:04.000069(2025-11-26 01:02:04.001188) 4  
rootHost:ai1                   2025-11-26 01:02:04.000069(2025-11-26 01:02:04.001220) 4 HIGH MINOR
";

const PHOEBUS: &str = "\
# Created by CS-Studio Data Browser
#
# Start Time : 2025-11-26 01:00:00.000
# End Time   : 2025-11-26 01:10:00.000
# Source     : Raw Archived Data
# Format     : Default
#
# Data is in TAB-delimited columns, for import into e.g. Excel.
#

# Channel: rootHost:calcExample
# Archives:
# 1) Archiver Appliance
#    URL: pbraw://archiver/retrieval
#
# Time\tValue\tSeverity\tStatus
2025-11-26 01:02:03.000\t3\tNONE\tNO_ALARM
2025-11-26 01:02:04.000\t4\tNONE\tNO_ALARM
";

const ARCHIVER_JSON: &str = r#"[ 
{ "meta": { "name": "rootHost:calcExample" , "PREC": "0" },
"data": [ 
{ "secs": 1764118923, "val": 3.0, "nanos": 72000, "severity":0, "status":0 },
{ "secs": 1764118924, "val": 4.0, "nanos": 69000, "severity":0, "status":0 }
] }
 ]"#;

const ARCHIVER_CSV: &str = "1764118923,3.0,0,0,72000\n1764118924,4.0,0,0,69000\n\n";

const DOMJOBINFO: &str = "\
Job type:         Completed   
Operation:        Outgoing migration
Time elapsed:     9146         ms
Data processed:   101.432 MiB
Data remaining:   0.000 B
Data total:       520.125 MiB
Memory processed: 101.432 MiB
Memory remaining: 0.000 B
Memory total:     520.125 MiB
Memory bandwidth: 64.052 MiB/s
Dirty rate:       0            pages/s
Page size:        4096         
Iteration:        3            
Postcopy requests: 0            
Constant pages:   107640       
Normal pages:     25640        
Normal data:      100.156 MiB
Total downtime:   41           ms
Downtime w/o network: 38           ms
Setup time:       7            ms

";

fn series() -> String {
    format!("1764118932.250000000\n{DOMJOBINFO}")
}

const JOBSTATS: &str = r#"{"t": 1764118924.0, "completed": false, "type": "unbounded", "time_elapsed": 1000, "memory_total": 545390592, "memory_processed": 67108864, "memory_remaining": 478281728, "memory_bps": 67108864, "memory_iteration": 1}
{"t": 1764118933.5, "completed": true, "type": "completed", "time_elapsed": 9146, "downtime": 41, "memory_processed": 106359128}
"#;

const QUERY_MIGRATE: &str = r#"1764118924.000000 {"return": {"status": "active", "setup-time": 7, "total-time": 1000, "expected-downtime": 300, "ram": {"transferred": 67108864, "remaining": 478281728, "total": 545390592, "duplicate": 107000, "normal": 16384, "normal-bytes": 67108864, "dirty-sync-count": 1, "mbps": 536.87, "dirty-pages-rate": 0, "page-size": 4096}}}
1764118933.500000 {"return": {"status": "completed", "total-time": 9146, "downtime": 41, "ram": {"transferred": 106359128}}}
"#;

/// Parses `text` as `f`; Ok(()) or the error.
fn parse_as(f: Format, text: &str) -> Result<(), TraceError> {
    let utc = UtcOffset::UTC;
    let src = "sample";
    match f {
        Format::Ping => ping::parse(text, src).map(drop),
        Format::Fping => fping::parse(text, src).map(drop),
        Format::Camonitor => camonitor::parse(text, src, &CamonitorOptions::new(utc)).map(drop),
        Format::Phoebus => phoebus::parse(text, src, utc).map(drop),
        Format::ArchiverJson => archiver::parse_json(text, src).map(drop),
        Format::ArchiverCsv => archiver::parse_csv(text, src, "pv").map(drop),
        Format::Domjobinfo => domjobinfo::parse(text, src).map(drop),
        Format::DomjobinfoSeries => domjobinfo::parse_series(text, src).map(drop),
        Format::JobstatsJsonl => jobstats::parse(text, src).map(drop),
        Format::QueryMigrate => query_migrate::parse(text, src).map(drop),
    }
}

fn samples() -> Vec<(Format, String)> {
    vec![
        (Format::Ping, PING.to_owned()),
        (Format::Fping, FPING.to_owned()),
        (Format::Camonitor, CAMONITOR.to_owned()),
        (Format::Phoebus, PHOEBUS.to_owned()),
        (Format::ArchiverJson, ARCHIVER_JSON.to_owned()),
        (Format::ArchiverCsv, ARCHIVER_CSV.to_owned()),
        (Format::Domjobinfo, DOMJOBINFO.to_owned()),
        (Format::DomjobinfoSeries, series()),
        (Format::JobstatsJsonl, JOBSTATS.to_owned()),
        (Format::QueryMigrate, QUERY_MIGRATE.to_owned()),
    ]
}

#[test]
fn each_sample_is_detected_and_parsed_as_itself() {
    for (f, text) in samples() {
        assert_eq!(detect_format(&text), Some(f), "detect {f}");
        parse_as(f, &text).unwrap_or_else(|e| panic!("{f}: {e}"));
    }
}

#[test]
fn every_other_parser_refuses_a_sample() {
    for (f, text) in samples() {
        for g in Format::ALL {
            if g == f {
                continue;
            }
            match parse_as(g, &text) {
                Ok(()) => panic!("{g} parser accepted a {f} sample"),
                Err(e) => {
                    let msg = e.to_string();
                    assert!(
                        msg.starts_with("sample"),
                        "{g} on {f}: error does not name the file: {msg}"
                    );
                }
            }
        }
    }
}

#[test]
fn wrong_format_is_named_when_recognisable() {
    let e = camonitor::parse(PING, "ping.log", &CamonitorOptions::new(UtcOffset::UTC)).unwrap_err();
    assert_eq!(
        e,
        TraceError::WrongFormat {
            file: "ping.log".into(),
            line: 1,
            expected: "camonitor".into(),
            detected: "ping".into()
        }
    );
    let e = ping::parse(CAMONITOR, "cam.log").unwrap_err();
    assert!(
        matches!(
            &e,
            TraceError::WrongFormat { line: 1, detected, .. } if detected == "camonitor"
        ),
        "{e}"
    );
    assert_eq!(
        e.to_string(),
        "cam.log:1: expected ping but this looks like camonitor"
    );
}

#[test]
fn binary_garbage_and_empty_files_are_errors() {
    let garbage: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    let e = migbench::trace::text_from_bytes(&garbage, "blob.bin", "ping output").unwrap_err();
    assert!(
        matches!(
            e,
            TraceError::NotText {
                line: 2,
                byte_offset: 128,
                ..
            }
        ),
        "{e}"
    );
    // Valid UTF-8 that is still garbage: control characters and NULs.
    let junk = "\u{0}\u{1}\u{2}\u{7f}\n\u{0}\u{0}\n";
    for f in Format::ALL {
        assert!(parse_as(f, junk).is_err(), "{f} accepted junk");
        assert!(parse_as(f, "").is_err(), "{f} accepted an empty file");
        assert!(
            parse_as(f, "\n \n\t\n").is_err(),
            "{f} accepted a blank file"
        );
    }
}

#[test]
fn truncated_files_fail_on_the_cut_line() {
    // Cut each multi-line sample in the middle of its last data line.
    let cases = [
        (
            Format::Ping,
            "[1764118923.100412] 64 bytes from 192.0.2.10: icmp_seq=1 ttl=64 time=0.412 ms\n[1764118923.2004",
            2,
        ),
        (
            Format::Camonitor,
            "pv                             2025-11-26 01:02:03.000072 3  \npv                             2025-11-26 01:0",
            2,
        ),
        (
            Format::Phoebus,
            "# Time\tValue\n2025-11-26 01:02:03.000\t3\n2025-11-26 01:02:0",
            3,
        ),
        (
            Format::ArchiverJson,
            "[ \n{ \"meta\": { \"name\": \"a\" },\n\"data\": [ \n{ \"secs\": 17641189",
            4,
        ),
        (
            Format::ArchiverCsv,
            "1764118923,3.0,0,0,72000\n1764118924,4.0",
            2,
        ),
        (
            Format::Domjobinfo,
            "Job type:         Unbounded   \nTime elapsed:     91",
            2,
        ),
        (
            Format::JobstatsJsonl,
            "{\"t\": 1764118924.0, \"completed\": false}\n{\"t\": 17641189",
            2,
        ),
        (
            Format::QueryMigrate,
            "1764118924.0 {\"return\": {\"status\": \"active\"}}\n1764118925.0 {\"return\": {\"sta",
            2,
        ),
    ];
    for (f, text, line) in cases {
        let e = parse_as(f, text).expect_err(f.name());
        assert_eq!(e.line(), Some(line), "{f}: {e}");
    }
}

#[test]
fn repeated_stamps_in_job_series_are_counted_skips() {
    let dup = format!("{JOBSTATS}{}", JOBSTATS.lines().last().unwrap());
    let log = jobstats::parse(&dup, "j").unwrap();
    assert_eq!(log.records.len(), 2);
    assert_eq!(log.skipped.len(), 1);
    let qm = format!("{QUERY_MIGRATE}{}\n", QUERY_MIGRATE.lines().last().unwrap());
    let log = query_migrate::parse(&qm, "q").unwrap();
    assert_eq!(log.skipped.len(), 1);
}
