//! Time-based one-time passwords (RFC 6238, the codes authenticator apps show): the second
//! factor every clinician and admin sets up before they can see anything.
//!
//! HMAC-SHA1, 30-second steps, six digits — what every authenticator app accepts. A code is
//! taken from one step before to one step after the server's (a phone's clock may be a little
//! off), and never twice: once a code has signed someone in, it and every earlier one are
//! spent (RFC 6238 §5.2).

use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Seconds a code lasts.
pub const STEP: i64 = 30;
/// Digits in a code.
pub const DIGITS: u32 = 6;
/// Steps either side of now a code may come from.
pub const WINDOW: i64 = 1;
/// Bytes in a secret (160 bits, as RFC 4226 recommends).
pub const SECRET_BYTES: usize = 20;

/// The HOTP value (RFC 4226) of `secret` at `counter`.
pub fn hotp(secret: &[u8], counter: u64) -> u32 {
    // HMAC accepts a key of any length.
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else {
        return u32::MAX;
    };
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = usize::from(h[h.len() - 1] & 0x0f);
    let bin = (u32::from(h[offset]) & 0x7f) << 24
        | u32::from(h[offset + 1]) << 16
        | u32::from(h[offset + 2]) << 8
        | u32::from(h[offset + 3]);
    bin % 10u32.pow(DIGITS)
}

/// The step a time (seconds since 1970) falls in.
pub fn step_of(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP)
}

/// The code for `step`, zero-padded.
pub fn code_at(secret: &[u8], step: i64) -> String {
    format!(
        "{:0width$}",
        hotp(secret, u64::try_from(step).unwrap_or(0)),
        width = DIGITS as usize
    )
}

/// The step `code` belongs to, if it is a code of a step within [`WINDOW`] of `now_step` and
/// later than `spent` (the last step that signed someone in).
pub fn verify(secret: &[u8], code: &str, now_step: i64, spent: Option<i64>) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    (now_step - WINDOW..=now_step + WINDOW)
        .filter(|s| spent.is_none_or(|last| *s > last))
        .find(|s| dosewise_app::token::same(&code_at(secret, *s), &code))
}

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding: how authenticator apps take a secret.
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for b in bytes {
        buffer = (buffer << 8) | u32::from(*b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// The bytes of a base32 secret (spaces and case ignored); `None` if it is not base32.
pub fn unbase32(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in s.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let v = ALPHABET
            .iter()
            .position(|a| char::from(*a) == c.to_ascii_uppercase())?;
        buffer = (buffer << 5) | u32::try_from(v).ok()?;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((buffer >> bits) & 0xff).ok()?);
        }
    }
    Some(out)
}

/// A new random secret, in base32.
pub fn new_secret() -> crate::Result<String> {
    let mut bytes = [0u8; SECRET_BYTES];
    getrandom::getrandom(&mut bytes).map_err(crate::db)?;
    Ok(base32(&bytes))
}

/// The `otpauth://` address an authenticator app reads (as text or a QR code).
pub fn uri(secret: &str, clinic: &str, email: &str) -> String {
    let label = format!("Dosewise ({clinic}):{email}");
    format!(
        "otpauth://totp/{}?secret={secret}&issuer=Dosewise&algorithm=SHA1&digits={DIGITS}&period={STEP}",
        percent(&label)
    )
}

fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => {
                char::from(b).to_string()
            }
            b':' => ":".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_SECRET: &[u8] = b"12345678901234567890";

    /// RFC 4226 appendix D: HOTP values for counters 0 to 9.
    #[test]
    fn hotp_matches_rfc_4226() {
        let expected = [
            755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489,
        ];
        for (counter, want) in expected.iter().enumerate() {
            assert_eq!(hotp(RFC_SECRET, counter as u64), *want, "counter {counter}");
        }
    }

    /// RFC 6238 appendix B (SHA-1 rows), cut to six digits.
    #[test]
    fn totp_matches_rfc_6238() {
        for (t, eight) in [
            (59, "94287082"),
            (1111111109, "07081804"),
            (1111111111, "14050471"),
            (1234567890, "89005924"),
            (2000000000, "69279037"),
            (20000000000, "65353130"),
        ] {
            assert_eq!(code_at(RFC_SECRET, step_of(t)), eight[2..], "t = {t}");
        }
    }

    #[test]
    fn a_code_is_accepted_in_its_window_once() {
        let now = step_of(1_234_567_890);
        let code = code_at(RFC_SECRET, now);
        assert_eq!(verify(RFC_SECRET, &code, now, None), Some(now));
        assert_eq!(
            verify(RFC_SECRET, &code, now + 1, None),
            Some(now),
            "a step late"
        );
        assert_eq!(verify(RFC_SECRET, &code, now + 2, None), None, "too late");
        assert_eq!(verify(RFC_SECRET, &code, now, Some(now)), None, "spent");
        let next = code_at(RFC_SECRET, now + 1);
        assert_eq!(verify(RFC_SECRET, &next, now, Some(now)), Some(now + 1));
        assert_eq!(verify(RFC_SECRET, "12345", now, None), None);
        assert_eq!(verify(RFC_SECRET, "abcdef", now, None), None);
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(verify(RFC_SECRET, &spaced, now, None), Some(now));
    }

    #[test]
    fn base32_round_trips_and_matches_rfc_4648() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(unbase32("mzxw 6ytb oi").as_deref(), Some(&b"foobar"[..]));
        assert_eq!(unbase32("MZ1"), None);
        let s = new_secret().unwrap_or_default();
        assert_eq!(s.len(), 32);
        assert_eq!(unbase32(&s).map(|b| b.len()), Some(SECRET_BYTES));
    }

    #[test]
    fn the_address_names_the_clinic_and_account() {
        let u = uri("MZXW6YTBOI", "North Clinic", "dr@north.example");
        assert_eq!(
            u,
            "otpauth://totp/Dosewise%20%28North%20Clinic%29:dr@north.example?secret=MZXW6YTBOI&issuer=Dosewise&algorithm=SHA1&digits=6&period=30"
        );
    }
}
