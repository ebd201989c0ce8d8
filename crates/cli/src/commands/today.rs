//! `dosewise today`: what today looks like.

use crate::context::Ctx;
use crate::error::CliResult;
use crate::output;
use dosewise_core::jiff::SignedDuration;
use dosewise_core::stock::stock_status;
use dosewise_core::titration::ProposalKind;
use dosewise_core::units::fmt_num;
use dosewise_store::{Store, Window};

#[derive(Debug, clap::Args)]
pub struct Args {}

impl Args {
    pub async fn run(self, ctx: &Ctx) -> CliResult {
        let mut store = ctx.open().await?;
        let tz = ctx.zone_of(&mut store).await?;
        let now = ctx.now_in(&tz);
        let start = now.start_of_day().map_or(ctx.now, |z| z.timestamp());
        let doses_today = store
            .doses(Window {
                from: Some(start),
                to: None,
                include_deleted: false,
            })
            .await?;
        let mg_base: f64 = doses_today.iter().map(|d| d.dose.dose_mg_base).sum();
        let last_dose = store.recent_doses(1).await?.into_iter().next();
        let last_checkin = store.last_checkin().await?;
        let since = ctx
            .now
            .checked_sub(SignedDuration::from_hours(24 * 28))
            .ok();
        let recent = store
            .doses(Window {
                from: since,
                to: None,
                include_deleted: false,
            })
            .await?;
        let statuses: Vec<_> = store
            .stocks(false)
            .await?
            .iter()
            .map(|s| {
                let used: f64 = recent
                    .iter()
                    .filter(|d| d.dose.stock_id == Some(s.id))
                    .filter_map(|d| d.dose.supply_used)
                    .sum();
                stock_status(s, used, now.date())
            })
            .collect();
        let checked_in_today = last_checkin.as_ref().is_some_and(|c| c.checkin.at >= start);
        let protocols = store.protocols(false).await?;
        let mut proposals = Vec::new();
        for p in &protocols {
            proposals.push(super::protocol::proposal(&mut store, p, &tz, now.date()).await?);
        }
        let since = ctx
            .now
            .checked_sub(SignedDuration::from_hours(24 * 56))
            .ok();
        let recent_doses = store
            .doses(Window {
                from: since,
                to: None,
                include_deleted: false,
            })
            .await?;
        let recent_checkins = store
            .checkins(Window {
                from: since,
                to: None,
                include_deleted: false,
            })
            .await?;
        let findings =
            dosewise_core::trends::trends(&recent_doses, &recent_checkins, ctx.now).findings;
        let past = store.assessments(Window::default()).await?;
        let due: Vec<&str> = dosewise_core::questionnaire::instruments()
            .iter()
            .filter(|i| {
                let last = past.iter().rev().find(|a| a.assessment.instrument == i.id);
                last.is_none_or(|a| {
                    ctx.now.duration_since(a.assessment.at).as_hours() / 24
                        >= i64::from(i.cadence_days)
                })
            })
            .map(|i| i.id.as_str())
            .collect();
        let after_dose: Vec<String> = last_dose
            .as_ref()
            .filter(|d| ctx.now.duration_since(d.dose.at) < SignedDuration::from_hours(12))
            .map(|d| {
                let proto = protocols.iter().find(|p| Some(p.id) == d.dose.protocol_id);
                post_dose(d, proto, ctx.now, &tz)
            })
            .unwrap_or_default();
        if ctx.json {
            return output::json(&serde_json::json!({
                "date": now.date(),
                "zone": tz.iana_name(),
                "doses_today": doses_today,
                "dose_mg_base_today": mg_base,
                "last_dose": last_dose,
                "last_checkin": last_checkin,
                "checked_in_today": checked_in_today,
                "stock": statuses,
                "protocols": protocols.iter().zip(&proposals).map(|(p, pr)| serde_json::json!({
                    "id": p.id,
                    "name": p.protocol.name,
                    "day": dosewise_core::schedule::day_kind(p, now.date()),
                    "cycle": dosewise_core::schedule::cycle_position(p, now.date()),
                    "next": dosewise_core::schedule::next_planned(p, now.date(), 1).first(),
                    "titration": pr,
                })).collect::<Vec<_>>(),
                "after_dose": after_dose,
                "findings": findings,
                "questionnaires_due": due,
            }));
        }
        crate::outln!(
            "Today, {} ({})",
            now.strftime("%A %-d %B %Y"),
            tz.iana_name().unwrap_or("UTC")
        );
        for p in &protocols {
            crate::outln!("  {}", super::protocol::today_line(p, now.date(), &tz));
        }
        for pr in proposals
            .iter()
            .flatten()
            .filter(|pr| pr.kind != ProposalKind::Hold)
        {
            crate::outln!("  Titration: {}", pr.message);
        }
        for line in &after_dose {
            crate::outln!("  {line}");
        }
        if doses_today.is_empty() {
            crate::out!("  No dose logged today.");
            if let Some(d) = &last_dose {
                let ago = ctx.now.duration_since(d.dose.at);
                crate::out!(
                    " Last dose: {} at {} ({}).",
                    d.dose.amount_text(),
                    output::local_in(d.dose.at, &d.dose.zone, &tz),
                    ago_text(ago)
                );
            }
            crate::outln!();
        } else {
            crate::outln!(
                "  Doses today: {} ({} mg base in total)",
                doses_today.len(),
                fmt_num(mg_base)
            );
            for d in &doses_today {
                crate::outln!(
                    "    #{} {} {} at {}",
                    d.id,
                    d.dose.amount_text(),
                    d.dose.route,
                    output::local_in(d.dose.at, &d.dose.zone, &tz)
                );
            }
        }
        match &last_checkin {
            Some(c) if checked_in_today => {
                crate::outln!("  Checked in today: {}", super::checkin::summary(c))
            }
            Some(c) => crate::outln!(
                "  No check-in yet today (last: {}, {}). `dosewise checkin` takes a minute.",
                output::local_in(c.checkin.at, &c.checkin.zone, &tz),
                super::checkin::summary(c)
            ),
            None => crate::outln!("  No check-ins yet. `dosewise checkin` takes a minute."),
        }
        for f in &findings {
            crate::outln!(
                "  ! {} {} (`dosewise check` for details)",
                f.message,
                f.reason
            );
        }
        if !due.is_empty() {
            crate::outln!(
                "  Questionnaires due: {} (`dosewise assess NAME`)",
                due.join(", ")
            );
        }
        let messages: Vec<&String> = statuses.iter().flat_map(|s| s.messages.iter()).collect();
        if messages.is_empty() {
            if !statuses.is_empty() {
                crate::outln!(
                    "  Stock: {}",
                    statuses
                        .iter()
                        .map(|s| format!("{} {}", s.name, s.remaining_text))
                        .collect::<Vec<_>>()
                        .join("; ")
                );
            }
        } else {
            for m in messages {
                crate::outln!("  ! {m}");
            }
        }
        Ok(())
    }
}

/// What to keep in mind after a dose: no driving, when effects peak, the protocol's checks.
fn post_dose(
    d: &dosewise_core::dose::Dose,
    proto: Option<&dosewise_core::protocol::Protocol>,
    now: dosewise_core::jiff::Timestamp,
    tz: &dosewise_core::jiff::tz::TimeZone,
) -> Vec<String> {
    let x = &d.dose;
    let since = now.duration_since(x.at);
    let mut out = vec![format!(
        "After your dose at {} ({}): do not drive or operate machinery until tomorrow, after a night's sleep [SPRAVATO US label, H].",
        output::local_in(x.at, &x.zone, tz),
        x.route
    )];
    if let Some(t) =
        dosewise_core::knowledge::route_facts(x.substance, x.route).and_then(|f| f.timing.as_ref())
    {
        out.push(format!(
            "Effects by this route: peak {} [{}].",
            t.peak, t.source
        ));
    }
    if let Some(p) = proto {
        if p.protocol.require_bp && since < SignedDuration::from_hours(2) {
            let at =
                x.at.checked_add(SignedDuration::from_mins(40))
                    .unwrap_or(x.at);
            out.push(format!(
                "Your protocol asks for a blood-pressure check about 40 minutes after the dose (around {}): `dosewise vitals --bp SYS/DIA --context post-dose`. Blood pressure peaks at about 40 minutes [SPRAVATO US label section 5.6, H].",
                output::local(at, tz)
            ));
        }
        if p.protocol.require_sitter && since < SignedDuration::from_hours(4) {
            out.push("Sitter checklist, as home-treatment programmes ask: a sober adult stays with you for about 2 hours and helps you to the bathroom; you stay seated or lying down. Severe headache, chest pain or confusion (signs of a blood-pressure crisis): emergency care [Mindbloom, Nue Life and Choose Ketamine programme rules, M; SPRAVATO US label section 5.6, H].".into());
        }
    }
    out
}

fn ago_text(d: SignedDuration) -> String {
    let h = d.as_secs() / 3600;
    if h < 1 {
        format!("{} min ago", d.as_secs() / 60)
    } else if h < 48 {
        format!("{h} h ago")
    } else {
        format!("{} days ago", h / 24)
    }
}
