//! Free text that people type: notes, names, lots, tags. Stored verbatim (any Unicode), but
//! bounded in size and free of control characters that would corrupt a terminal or a CSV.

use thiserror::Error;

/// Longest note accepted, in characters (as a person counts them; the API documents the same).
pub const MAX_NOTE_CHARS: usize = 10_000;
/// Longest short label (a stock name, a lot number, a person's name), in characters.
pub const MAX_LABEL_CHARS: usize = 100;
/// Longest tag and most tags on one entry.
pub(crate) const MAX_TAG_CHARS: usize = 32;
pub(crate) const MAX_TAGS: usize = 20;

#[derive(Debug, Clone, PartialEq, Error)]
pub enum TextError {
    #[error(
        "the {what} is {len} characters; the limit is {max}. Shorten it (long texts belong in a file of your own)"
    )]
    TooLong {
        what: &'static str,
        len: usize,
        max: usize,
    },
    #[error("the {what} contains a control character (code {code:#04x}); remove it")]
    Control { what: &'static str, code: u32 },
    #[error(
        "the {what} contains an invisible or direction-changing character (U+{code:04X}), which can make text read differently than it was written (to a clinician, say); remove it"
    )]
    Invisible { what: &'static str, code: u32 },
    #[error("the {what} is empty")]
    Empty { what: &'static str },
    #[error("the tag {0:?} is not valid: use letters, digits, '-' or '_' (at most 32 characters)")]
    BadTag(String),
    #[error("at most {MAX_TAGS} tags per entry")]
    TooManyTags,
}

/// Words and phrases that read as thoughts of suicide or self-harm. Matching words cannot read
/// meaning ("not suicidal" matches too): it errs towards showing help, and it never refuses a
/// dose on its own (`data/rules.json` rule `self_harm_words`).
const SELF_HARM_PHRASES: [&str; 24] = [
    "suicide",
    "suicidal",
    "kill myself",
    "killing myself",
    "end my life",
    "ending my life",
    "end it all",
    "take my own life",
    "want to die",
    "wanna die",
    "wish i was dead",
    "wish i were dead",
    "better off dead",
    "better off without me",
    "no reason to live",
    "not want to be here",
    "don't want to be here",
    "dont want to be here",
    "hurt myself",
    "hurting myself",
    "harm myself",
    "self-harm",
    "self harm",
    "cut myself",
];

/// Whether a note or a tag reads as thoughts of suicide or self-harm (see [`SELF_HARM_PHRASES`]).
pub fn reads_as_self_harm(s: &str) -> bool {
    let lower = s.to_lowercase().replace('’', "'").replace('_', " ");
    let words = lower.replace('-', " ");
    SELF_HARM_PHRASES
        .iter()
        .any(|p| lower.contains(p) || words.contains(&p.replace('-', " ")))
}

/// Characters that reorder or hide text: bidirectional overrides, embeddings, isolates and
/// marks, zero-width space and word joiners, the byte-order mark. (Zero-width joiner and
/// non-joiner stay allowed: emoji sequences and some scripts need them.)
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}' | '\u{FEFF}'
    )
}

fn check_controls(what: &'static str, s: &str, allow_newlines: bool) -> Result<(), TextError> {
    for c in s.chars() {
        let ok_ws = allow_newlines && (c == '\n' || c == '\t' || c == '\r');
        if c.is_control() && !ok_ws {
            return Err(TextError::Control {
                what,
                code: c as u32,
            });
        }
        if invisible(c) {
            return Err(TextError::Invisible {
                what,
                code: c as u32,
            });
        }
    }
    Ok(())
}

/// "1 dose", "3 doses": a count with its noun.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A note: up to [`MAX_NOTE_CHARS`], newlines and tabs allowed. Empty notes become `None`.
pub fn note(s: Option<&str>) -> Result<Option<String>, TextError> {
    let Some(s) = s else { return Ok(None) };
    if s.trim().is_empty() {
        return Ok(None);
    }
    let len = s.chars().count();
    if len > MAX_NOTE_CHARS {
        return Err(TextError::TooLong {
            what: "note",
            len,
            max: MAX_NOTE_CHARS,
        });
    }
    check_controls("note", s, true)?;
    Ok(Some(s.to_string()))
}

/// A one-line label such as a stock name or lot. Trimmed; must not be empty.
pub fn label(what: &'static str, s: &str) -> Result<String, TextError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(TextError::Empty { what });
    }
    let len = t.chars().count();
    if len > MAX_LABEL_CHARS {
        return Err(TextError::TooLong {
            what,
            len,
            max: MAX_LABEL_CHARS,
        });
    }
    check_controls(what, t, false)?;
    Ok(t.to_string())
}

/// An optional label: empty becomes `None`.
pub fn opt_label(what: &'static str, s: Option<&str>) -> Result<Option<String>, TextError> {
    match s {
        Some(s) if !s.trim().is_empty() => label(what, s).map(Some),
        _ => Ok(None),
    }
}

/// Tags: lower-cased, de-duplicated, order kept.
pub fn tags<S: AsRef<str>>(raw: &[S]) -> Result<Vec<String>, TextError> {
    let mut out: Vec<String> = Vec::new();
    for t in raw {
        let t = t.as_ref().trim().to_lowercase();
        let ok = !t.is_empty()
            && t.chars().count() <= MAX_TAG_CHARS
            && t.chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_');
        if !ok {
            return Err(TextError::BadTag(t));
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.len() > MAX_TAGS {
        return Err(TextError::TooManyTags);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_verbatim_but_bounded() {
        let hostile = "Robert'); DROP TABLE dose;-- <script>alert(1)</script> 💊 naïve\nline two";
        assert_eq!(note(Some(hostile)), Ok(Some(hostile.to_string())));
        assert_eq!(note(Some("   ")), Ok(None));
        assert!(matches!(
            note(Some(&"x".repeat(MAX_NOTE_CHARS + 1))),
            Err(TextError::TooLong { .. })
        ));
        assert!(matches!(
            note(Some("bell\u{7}")),
            Err(TextError::Control { code: 7, .. })
        ));
        assert!(matches!(
            note(Some("esc\u{1b}[31m")),
            Err(TextError::Control { .. })
        ));
        // Text that reads one way and is stored another: refused in notes and names alike.
        for sneaky in [
            "dose 10\u{202E}05 mg",
            "ok\u{2066}x\u{2069}",
            "zero\u{200B}width",
            "\u{FEFF}bom",
        ] {
            assert!(
                matches!(note(Some(sneaky)), Err(TextError::Invisible { .. })),
                "{sneaky:?}"
            );
            assert!(label("name", sneaky).is_err(), "{sneaky:?}");
        }
        // Emoji sequences keep their zero-width joiner.
        assert!(note(Some("👩\u{200D}⚕️ visit")).is_ok());
        assert!(
            tags(&["a\u{200B}b"]).is_err(),
            "tags were already letters and digits only"
        );
    }

    #[test]
    fn labels_and_tags() {
        assert_eq!(label("name", "  Troche 25  "), Ok("Troche 25".to_string()));
        assert!(label("name", "a\nb").is_err());
        assert!(label("name", "").is_err());
        assert_eq!(
            tags(&["Work", "work", "poor-sleep"]),
            Ok(vec!["work".to_string(), "poor-sleep".to_string()])
        );
        assert!(tags(&["two words"]).is_err());
    }

    #[test]
    fn self_harm_words_both_ways() {
        for yes in [
            "feeling suicidal today",
            "I want to die",
            "thought about ending my life",
            "self-harm urges",
            "self_harm",
            "selfharm is not matched but self harm is",
            "I don’t want to be here anymore",
            "Better off dead",
        ] {
            assert!(reads_as_self_harm(yes), "{yes:?}");
        }
        for no in [
            "hurt my back at the gym",
            "dead tired",
            "killed it at work",
            "died laughing",
            "harmless",
            "cut my hair",
            "",
        ] {
            assert!(!reads_as_self_harm(no), "{no:?}");
        }
    }
}
