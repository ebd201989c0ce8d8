//! The health screen: answering it (all of it, dated now), updating one answer (pregnancy can
//! change any time), and the crisis line and clinician's contact shown first in crisis guidance. Every surface runs
//! these; the answers live in the profile (`dosewise_core::screen`).

use crate::{Result, input};
use dosewise_core::jiff::Timestamp;
use dosewise_core::profile::Profile;
use dosewise_core::screen::answer;
use dosewise_core::text;
use dosewise_store::Store;

async fn profile<S: Store>(store: &S) -> Result<Profile> {
    store
        .profile()
        .await?
        .ok_or_else(|| input("there is no profile yet: create the journal first (`dosewise init`)"))
}

/// Answer the whole screen: `yes` are the conditions that apply (empty: none does). Answers
/// already given keep their date; new ones are dated `now`; the screen is due again in 6 months.
pub async fn answer_all<S: Store>(store: &S, yes: &[String], now: Timestamp) -> Result<Profile> {
    let mut p = profile(store).await?;
    p.screen = answer(&p.screen, yes, now).map_err(input)?;
    p.screened_at = Some(now);
    p.updated_at = now;
    store.save_profile(&p).await?;
    Ok(p)
}

/// Say that one condition now applies (`add`) or no longer does; the rest stay as they are.
pub async fn update<S: Store>(
    store: &S,
    code: &str,
    applies: bool,
    now: Timestamp,
) -> Result<Profile> {
    let mut p = profile(store).await?;
    let mut yes: Vec<String> = p.screen.iter().map(|a| a.code.clone()).collect();
    let code = code.trim().to_ascii_lowercase().replace('-', "_");
    if applies {
        yes.push(code);
    } else {
        if !yes.contains(&code) {
            // Check the code exists, for a helpful message.
            answer(&[], std::slice::from_ref(&code), now).map_err(input)?;
        }
        yes.retain(|c| *c != code);
    }
    p.screen = answer(&p.screen, &yes, now).map_err(input)?;
    p.updated_at = now;
    store.save_profile(&p).await?;
    Ok(p)
}

/// The crisis line, checked like a label (empty removes it).
pub fn crisis_line(line: Option<&str>) -> Result<Option<String>> {
    text::opt_label("crisis line", line.filter(|l| !l.trim().is_empty())).map_err(input)
}

/// How to reach the clinician, checked like a label (empty removes it).
pub fn clinician(contact: Option<&str>) -> Result<Option<String>> {
    text::opt_label(
        "clinician's contact",
        contact.filter(|c| !c.trim().is_empty()),
    )
    .map_err(input)
}

/// Set the crisis line and the clinician's contact: each given is set (empty removes it), each
/// `None` stays as it is. Both are checked before either is written.
pub async fn set_contacts<S: Store>(
    store: &S,
    line: Option<&str>,
    clinician_contact: Option<&str>,
    now: Timestamp,
) -> Result<Profile> {
    let line = line.map(|l| crisis_line(Some(l))).transpose()?;
    let contact = clinician_contact.map(|c| clinician(Some(c))).transpose()?;
    let mut p = profile(store).await?;
    if let Some(l) = line {
        p.crisis_line = l;
    }
    if let Some(c) = contact {
        p.clinician = c;
    }
    p.updated_at = now;
    store.save_profile(&p).await?;
    Ok(p)
}
