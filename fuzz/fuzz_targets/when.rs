//! The time parser never panics, and an accepted time is a real instant.
#![no_main]
use dosewise_core::when::parse_when;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let now = jiff::Timestamp::from_second(1_795_000_000).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    for zone in ["Europe/Berlin", "America/Santiago", "Australia/Lord_Howe", "UTC"] {
        let Ok(tz) = dosewise_core::when::zone(zone) else { continue };
        if let Ok(w) = parse_when(s, &now.to_zoned_datetime(tz)) {
            let _ = w.instant.as_microsecond();
        }
    }
});
