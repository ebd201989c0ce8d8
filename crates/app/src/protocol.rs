//! Pausing, resuming and ending a protocol, the same way on every surface. Each change is kept
//! in the protocol's history (with the day it applies from).

use crate::{Result, input};
use dosewise_core::jiff::Timestamp;
use dosewise_core::jiff::civil::Date;
use dosewise_core::protocol::{Pause, Protocol, ProtocolEventKind, Status};
use dosewise_store::Store;

/// Pause from `from` (a day): no dose is planned until it is resumed.
pub async fn pause<S: Store>(
    store: &S,
    mut p: Protocol,
    from: Date,
    now: Timestamp,
) -> Result<Protocol> {
    if p.status != Status::Active {
        return Err(input(format!(
            "protocol {} is {}, not active",
            p.id,
            p.status.as_str()
        )));
    }
    p.status = Status::Paused;
    p.pauses.push(Pause { from, to: None });
    Ok(store
        .save_protocol(&p, ProtocolEventKind::Paused, None, now, from)
        .await?)
}

/// Resume a paused protocol from `today`; the pause ends yesterday (a pause begun today and
/// ended today never took effect, so it is dropped).
pub async fn resume<S: Store>(
    store: &S,
    mut p: Protocol,
    today: Date,
    now: Timestamp,
) -> Result<Protocol> {
    if p.status != Status::Paused {
        return Err(input(format!(
            "protocol {} is {}, not paused",
            p.id,
            p.status.as_str()
        )));
    }
    let yesterday = today.yesterday().unwrap_or(today);
    if let Some(last) = p.pauses.last_mut() {
        last.to = Some(yesterday.max(last.from));
        if last.from > yesterday {
            p.pauses.pop();
        }
    }
    p.status = Status::Active;
    Ok(store
        .save_protocol(&p, ProtocolEventKind::Resumed, None, now, today)
        .await?)
}

/// End a protocol today. Its history stays in the journal.
pub async fn end<S: Store>(
    store: &S,
    mut p: Protocol,
    today: Date,
    now: Timestamp,
) -> Result<Protocol> {
    if p.status == Status::Ended {
        return Err(input(format!("protocol {} has already ended", p.id)));
    }
    p.status = Status::Ended;
    p.ended_at = Some(now);
    if let Some(last) = p.pauses.last_mut().filter(|x| x.to.is_none()) {
        last.to = Some(today);
    }
    Ok(store
        .save_protocol(&p, ProtocolEventKind::Ended, None, now, today)
        .await?)
}
