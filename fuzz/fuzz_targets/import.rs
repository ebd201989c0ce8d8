//! The journal importer's parser never panics on any file, and what it accepts can be written
//! out and read back unchanged (import is lossless).
#![no_main]
use dosewise_core::journal::Journal;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(j) = Journal::parse(s) {
        let text = serde_json::to_string(&j).expect("a journal serialises");
        assert_eq!(Journal::parse(&text).ok().as_ref(), Some(&j));
    }
});
