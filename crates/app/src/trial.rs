//! The self-blinded trial's sealed allocation (the analysis is `dosewise_core::trial`).
//!
//! Planning draws each block's order from the system's cryptographic randomness and gives each
//! dosing day a short container code. What the journal may keep is sealed (age, X25519) to a key
//! the person or the clinician holds: every day's condition on its own, so that an emergency
//! unblinding of one day opens that day only, and the whole allocation for the end. The helper
//! who fills the containers gets the fill list (code → active or placebo) on paper; the journal
//! never holds it in the clear, and without the key nothing in it tells the days apart.

use crate::backup::{Opening, Sealing, open, seal};
use crate::{AppError, Result, input};
use dosewise_core::jiff::civil::Date;
use dosewise_core::trial::{Condition, Design};
use serde::{Deserialize, Serialize};

/// Container codes: letters and digits that are hard to confuse when read aloud or printed.
const ALPHABET: &[u8] = b"ACDEFHJKMNPRTUVWXY3479";
const CODE_LEN: usize = 5;

/// One dosing day as the journal keeps it: its date, its container's code, and its condition
/// sealed on its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SealedDay {
    pub date: Date,
    pub block: usize,
    pub code: String,
    pub sealed: Vec<u8>,
}

/// A planned trial as the journal keeps it: nothing in it says which days are active.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SealedPlan {
    pub design: Design,
    /// The age public key everything is sealed to.
    pub recipient: String,
    pub days: Vec<SealedDay>,
    /// The whole allocation (every block's order), for the end of the trial.
    pub allocation: Vec<u8>,
}

/// What planning hands out once, never kept in the journal.
#[derive(Debug, Clone, PartialEq)]
pub struct Handout {
    /// For the helper who fills the containers: each code and what goes in it.
    pub fill_list: Vec<(String, Condition)>,
    /// The secret key, when Dosewise made it (no recipient was given): for the key holder.
    pub identity: Option<String>,
}

fn random_bytes(n: usize) -> Result<Vec<u8>> {
    let mut b = vec![0u8; n];
    getrandom::getrandom(&mut b)
        .map_err(|e| AppError::Input(format!("no randomness from the system: {e}")))?;
    Ok(b)
}

fn code() -> Result<String> {
    // Rejection sampling keeps every symbol equally likely.
    let mut out = String::with_capacity(CODE_LEN);
    while out.len() < CODE_LEN {
        for b in random_bytes(16)? {
            let limit = 256 - 256 % ALPHABET.len();
            if usize::from(b) < limit && out.len() < CODE_LEN {
                out.push(char::from(ALPHABET[usize::from(b) % ALPHABET.len()]));
            }
        }
    }
    Ok(out)
}

fn condition_text(c: Condition) -> &'static [u8] {
    match c {
        Condition::Active => b"active",
        Condition::Placebo => b"placebo",
    }
}

/// Plan a trial: draw the orders and codes, seal them to `recipient` (an age public key; with
/// none, a new key is made and handed out).
pub fn plan(design: &Design, recipient: Option<&str>) -> Result<(SealedPlan, Handout)> {
    if design.blocks == 0 || design.period_days == 0 {
        return Err(input(
            "a trial needs at least one block and one day a period",
        ));
    }
    let (recipient, identity) = match recipient.map(str::trim) {
        Some(r) => {
            r.parse::<age::x25519::Recipient>()
                .map_err(|e| input(format!("{r:?} is not an age public key (age1…): {e}")))?;
            (r.to_string(), None)
        }
        None => {
            let id = age::x25519::Identity::generate();
            (
                id.to_public().to_string(),
                Some(age::secrecy::ExposeSecret::expose_secret(&id.to_string()).to_string()),
            )
        }
    };
    let orders: Vec<bool> = random_bytes(design.blocks as usize)?
        .iter()
        .map(|b| b & 1 == 1)
        .collect();
    let mut days = Vec::new();
    let mut fill_list = Vec::new();
    for d in design.schedule(&orders) {
        let Some(c) = d.condition else { continue };
        let mut k = code()?;
        while fill_list.iter().any(|(x, _): &(String, Condition)| *x == k) {
            k = code()?;
        }
        days.push(SealedDay {
            date: d.date,
            block: d.block,
            code: k.clone(),
            sealed: seal(condition_text(c), Sealing::Recipient(&recipient))?,
        });
        fill_list.push((k, c));
    }
    let whole = serde_json::to_vec(&orders).map_err(|e| AppError::Input(e.to_string()))?;
    Ok((
        SealedPlan {
            design: design.clone(),
            recipient: recipient.clone(),
            days,
            allocation: seal(&whole, Sealing::Recipient(&recipient))?,
        },
        Handout {
            fill_list,
            identity,
        },
    ))
}

/// Open one day's condition (an emergency unblinding): the rest stays sealed.
pub fn unblind_day(plan: &SealedPlan, date: Date, identity: &str) -> Result<Condition> {
    let day = plan
        .days
        .iter()
        .find(|d| d.date == date)
        .ok_or_else(|| input(format!("{date} is not a dosing day of the trial")))?;
    match open(&day.sealed, Opening::Identity(identity))?.as_slice() {
        b"active" => Ok(Condition::Active),
        b"placebo" => Ok(Condition::Placebo),
        _ => Err(input("the sealed day holds neither active nor placebo")),
    }
}

/// Open the whole allocation at the end: each block's order (true: active first).
pub fn unblind(plan: &SealedPlan, identity: &str) -> Result<Vec<bool>> {
    let bytes = open(&plan.allocation, Opening::Identity(identity))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| input(format!("the sealed allocation is damaged: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn design() -> Design {
        Design {
            start: "2026-12-01".parse().unwrap_or_default(),
            blocks: 4,
            period_days: 3,
            washout_days: 1,
        }
    }

    #[test]
    fn the_allocation_is_sealed_day_by_day_and_opens_only_with_the_key() {
        let (p, h) = plan(&design(), None).unwrap_or_else(|e| panic!("{e}"));
        let identity = h.identity.clone().unwrap_or_default();
        assert!(identity.starts_with("AGE-SECRET-KEY-1"));
        assert_eq!(p.days.len(), 4 * 2 * 3);
        assert_eq!(h.fill_list.len(), p.days.len());
        // Codes: unique, from the alphabet.
        let mut codes: Vec<&str> = p.days.iter().map(|d| d.code.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), p.days.len());
        assert!(
            p.days
                .iter()
                .all(|d| d.code.len() == CODE_LEN && d.code.bytes().all(|b| ALPHABET.contains(&b)))
        );
        // What the journal keeps says nothing of the conditions, and holds no secret key.
        let kept = serde_json::to_string(&p).unwrap_or_default();
        assert!(
            !kept.contains("active")
                && !kept.contains("placebo")
                && !kept.contains("AGE-SECRET-KEY")
        );
        for d in &p.days {
            let text = String::from_utf8_lossy(&d.sealed);
            assert!(!text.contains("active") && !text.contains("placebo"));
        }
        // One day opens to what the fill list says, with the key only.
        let d = &p.days[4];
        let want = h.fill_list.iter().find(|(c, _)| *c == d.code).map(|x| x.1);
        assert_eq!(unblind_day(&p, d.date, &identity).ok(), want);
        let other = age::x25519::Identity::generate();
        let other = age::secrecy::ExposeSecret::expose_secret(&other.to_string()).to_string();
        assert!(
            unblind_day(&p, d.date, &other).is_err(),
            "another key opens nothing"
        );
        assert!(unblind(&p, &other).is_err());
        // At the end, the orders agree with every day of the fill list.
        let orders = unblind(&p, &identity).unwrap_or_else(|e| panic!("{e}"));
        for (day, (code, c)) in design()
            .schedule(&orders)
            .iter()
            .filter(|d| d.condition.is_some())
            .zip(&h.fill_list)
        {
            assert_eq!(day.condition, Some(*c), "{code}");
        }
        // A washout day is not a dosing day.
        assert!(unblind_day(&p, "2026-12-04".parse().unwrap_or_default(), &identity).is_err());
    }

    #[test]
    fn a_given_public_key_is_used_and_a_bad_one_refused() {
        let id = age::x25519::Identity::generate();
        let (p, h) =
            plan(&design(), Some(&id.to_public().to_string())).unwrap_or_else(|e| panic!("{e}"));
        assert!(h.identity.is_none(), "the key holder keeps their own key");
        let secret = age::secrecy::ExposeSecret::expose_secret(&id.to_string()).to_string();
        assert!(unblind(&p, &secret).is_ok());
        assert!(plan(&design(), Some("age1nope")).is_err());
        assert!(
            plan(
                &Design {
                    blocks: 0,
                    ..design()
                },
                None
            )
            .is_err()
        );
    }

    #[test]
    fn orders_vary_between_plans() {
        // 20 plans of 4 blocks: the chance that all draw one same order is 2 × 2^-80.
        let id = age::x25519::Identity::generate();
        let secret = age::secrecy::ExposeSecret::expose_secret(&id.to_string()).to_string();
        let r = id.to_public().to_string();
        let all: Vec<Vec<bool>> = (0..20)
            .map(|_| {
                plan(&design(), Some(&r))
                    .and_then(|(p, _)| unblind(&p, &secret))
                    .unwrap_or_default()
            })
            .collect();
        assert!(all.iter().any(|o| o != &all[0]), "{all:?}");
    }
}
