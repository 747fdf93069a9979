//! Parsers for the raw files real tools write (ping, camonitor, job statistics...).
