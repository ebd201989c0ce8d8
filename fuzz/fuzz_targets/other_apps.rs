//! The readers of other apps' files never panic on any input: a PsychonautWiki Journal export,
//! a spreadsheet (with a mapping guessed from its header row) and a FHIR Bundle. What they
//! accept converts into records without a panic either.
#![no_main]
use dosewise_core::jiff::Timestamp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    let Ok(s) = std::str::from_utf8(rest) else { return };
    let now = Timestamp::from_second(1_795_000_000).unwrap_or(Timestamp::UNIX_EPOCH);
    match which % 3 {
        0 => {
            if let Ok(f) = dosewise_core::pw_journal::parse(s) {
                let _ = dosewise_core::pw_journal::convert(&f, "Europe/Berlin", None, now, false);
            }
        }
        1 => {
            use dosewise_core::spreadsheet::{Options, convert, guess, read};
            if let Ok(sheet) = read(s) {
                let m = guess(&sheet.headers);
                let o = Options {
                    tz: dosewise_core::when::zone("Europe/Berlin")
                        .unwrap_or(dosewise_core::jiff::tz::TimeZone::UTC),
                    date_format: None,
                    time: Some("08:00"),
                    unit: Some("mg"),
                    route: None,
                    salt: dosewise_core::salt::Salt::Hcl,
                    substance: dosewise_core::route::Substance::Ketamine,
                    stock: None,
                    weight: None,
                    now,
                };
                let _ = convert(&sheet, &m, &o);
            }
        }
        _ => {
            let _ = dosewise_core::fhir::read(s, "Europe/Berlin", None, now);
        }
    }
});
