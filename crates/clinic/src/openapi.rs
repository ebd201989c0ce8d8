//! The OpenAPI 3.1 description of the clinic server's `/api/v1`, written by hand beside the
//! routes; a test checks that every route in [`crate::api::ROUTES`] is described and nothing
//! else is.

use dosewise_web::schema::{LABEL, NOTE, NOTE_VISIBLE, TEXT, body, err, ok};
use serde_json::{Value, json};

fn id(what: &str) -> Value {
    json!([{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer", "minimum": 1, "maximum": 9_007_199_254_740_991_i64 }, "description": what }])
}

/// An operation for a signed-in member of staff: 401 without a session, 403 before the second
/// factor is set up, 404 for what is not theirs. Every operation that reads the database may
/// answer 503 with Retry-After while it cannot be reached: nothing was done, send it again.
fn staff(summary: &str, params: Option<Value>, request: Option<&str>, done: &str) -> Value {
    let mut op = json!({
        "summary": summary,
        "security": [{ "session": [] }, { "cookie": [] }],
        "responses": { "200": ok(done), "400": err(), "401": err(), "403": err(), "404": err(), "503": err() }
    });
    if let Some(p) = params {
        op["parameters"] = p;
    }
    if let Some(r) = request {
        op["requestBody"] = body(r);
    }
    op
}

/// An operation for a patient's device (its token from `/connect`).
fn device(summary: &str, request: Option<&str>, done: &str) -> Value {
    let mut op = json!({
        "summary": summary,
        "security": [{ "device": [] }],
        "responses": { "200": ok(done), "400": err(), "401": err(), "409": err(), "503": err() }
    });
    if let Some(r) = request {
        op["requestBody"] = body(r);
    }
    op
}

/// An operation anyone may call (with a code or a password).
fn open(summary: &str, request: &str, done: &str, extra: &[&str]) -> Value {
    let mut responses = json!({ "200": ok(done), "400": err(), "503": err() });
    for code in extra {
        responses[*code] = err();
    }
    json!({ "summary": summary, "security": [], "requestBody": body(request), "responses": responses })
}

/// A name or label: something visible, no control characters.
fn label() -> Value {
    json!({ "type": "string", "minLength": 1, "maxLength": dosewise_core::text::MAX_LABEL_CHARS, "pattern": LABEL })
}

/// Which page of a list, and how long a page is.
fn page_query() -> Value {
    json!([
        { "name": "page", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": u32::MAX, "default": 1 } },
        { "name": "per_page", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": crate::clinician::PER_PAGE, "default": crate::clinician::PER_PAGE } }
    ])
}

/// The caseload's order, name filter and page.
fn caseload_query() -> Value {
    let sorts: Vec<&str> = crate::clinician::Sort::ALL
        .iter()
        .map(|s| s.key())
        .collect();
    let mut params = json!([
        { "name": "sort", "in": "query", "schema": { "type": "string", "enum": sorts, "default": "flags" },
          "description": "flags: urgent then open triage items first; name; dose: latest first; week: most mg in 7 days first; plan: least kept first; checkin: longest silence first; scores: highest PHQ-9 first; refill: soonest first. Ties by name." },
        { "name": "q", "in": "query", "schema": { "type": "string", "maxLength": dosewise_core::text::MAX_LABEL_CHARS, "pattern": TEXT },
          "description": "Only patients whose name holds this, in any case (blank: everyone)." }
    ]);
    if let (Some(all), Value::Array(more)) = (params.as_array_mut(), page_query()) {
        all.extend(more);
    }
    params
}

/// An email address as the server takes it (trimmed and lower-cased).
fn email() -> Value {
    json!({ "type": "string", "maxLength": 254, "pattern": crate::auth::EMAIL_PATTERN })
}

/// A one-time code (an invite, a reset): 64 hex digits.
fn code() -> Value {
    json!({ "type": "string", "pattern": "^\\s*[0-9a-f]{64}\\s*$" })
}

fn nullable(t: &str) -> Value {
    json!({ "type": [t, "null"] })
}

fn schemas() -> Value {
    let categories = json!({ "type": "array", "minItems": 1, "items": { "type": "string", "enum": dosewise_core::share::Category::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>() } });
    let limit = |d: &str| json!({ "type": ["string", "null"], "maxLength": 64, "description": d });
    json!({
        "Error": {
            "type": "object", "required": ["error"],
            "properties": { "error": { "type": "object", "required": ["kind", "status", "message"],
                "properties": { "kind": { "type": "string", "enum": ["input", "unauthorized", "not_found", "conflict", "second_factor", "too_many", "server", "unavailable"] },
                                "status": { "type": "integer" }, "message": { "type": "string" } } } }
        },
        "Login": {
            "type": "object", "additionalProperties": false, "required": ["email", "password"],
            "properties": {
                "email": email(), "password": { "type": "string", "maxLength": dosewise_web::session::MAX_PASSPHRASE },
                "code": { "type": ["string", "null"], "pattern": "^\\s*([0-9]\\s*){6}$", "description": "The authenticator app's six digits, once the second factor is set up." }
            }
        },
        "Code": { "type": "object", "additionalProperties": false, "required": ["code"],
                  "properties": { "code": { "type": "string", "pattern": "^\\s*([0-9]\\s*){6}$", "description": "Six digits from the authenticator app." } } },
        "Invite": {
            "type": "object", "additionalProperties": false, "required": ["role"],
            "properties": { "role": { "type": "string", "enum": ["patient", "clinician", "admin"] },
                            "days": { "type": ["integer", "null"], "minimum": 1, "maximum": 30, "description": "Days until it expires (default 7)." } }
        },
        "Accept": {
            "type": "object", "additionalProperties": false, "required": ["code", "email", "name", "password"],
            "properties": { "code": code(), "email": email(), "name": label(),
                            "password": { "type": "string", "minLength": crate::auth::MIN_PASSWORD, "maxLength": dosewise_web::session::MAX_PASSPHRASE } }
        },
        "Reset": {
            "type": "object", "additionalProperties": false, "required": ["code", "password"],
            "properties": { "code": code(), "password": { "type": "string", "minLength": crate::auth::MIN_PASSWORD, "maxLength": dosewise_web::session::MAX_PASSPHRASE } }
        },
        "Connect": {
            "type": "object", "additionalProperties": false, "required": ["code", "device", "name", "categories"],
            "properties": { "code": code(), "device": label(), "name": label(),
                            "categories": categories, "ends_at": { "type": ["string", "null"], "format": "date-time", "description": "In the future." } }
        },
        "Push": {
            "type": "object", "additionalProperties": false, "required": ["entries"],
            "properties": { "entries": { "type": "array", "maxItems": dosewise_core::share::BATCH, "items": {
                "type": "object", "additionalProperties": false, "required": ["idx", "kind", "id"],
                "properties": { "idx": { "type": "integer", "minimum": 0, "maximum": 9_007_199_254_740_991_i64 },
                                "kind": { "type": "string", "enum": dosewise_core::share::KINDS.iter().map(|(k, _)| *k).collect::<Vec<_>>() },
                                "id": { "type": "integer", "minimum": 1, "maximum": 9_007_199_254_740_991_i64 },
                                "body": { "type": ["object", "null"], "description": "The record as the journal holds it; null withdraws it." } } } } }
        },
        "Revoke": { "type": "object", "additionalProperties": false, "properties": { "grant": { "type": ["integer", "null"], "description": "One grant; none: every grant." } } },
        "Prescription": {
            "type": "object", "additionalProperties": false,
            "description": "A change: what is left out stays as it was; what `clear` names is removed.",
            "properties": {
                "max_dose": limit("Most in one dose (\"25mg\")."),
                "max_day": limit("Most in a day."),
                "max_week": limit("Most in 7 days."),
                "min_interval": limit("Least time between doses (\"48h\")."),
                "dispensed": { "type": ["number", "null"], "minimum": 0, "description": "Supply dispensed, in troches or mL." },
                "refill": { "type": ["string", "null"], "format": "date", "description": "The next refill." },
                "bp_warn_above": limit("A reading above this warns (\"140/90\")."),
                "bp_refuse_from": limit("A reading at or above this refuses the dose (\"160/100\")."),
                "ceiling": limit("The titration ceiling (\"30mg\")."),
                "require_bp": nullable("boolean"),
                "note": { "type": ["string", "null"], "maxLength": dosewise_core::text::MAX_NOTE_CHARS, "pattern": NOTE },
                "clear": { "type": "array", "items": { "type": "string", "enum": crate::clinician::CLEARABLE } }
            }
        },
        "Note": { "type": "object", "additionalProperties": false, "required": ["text"],
                  "properties": { "text": { "type": "string", "minLength": 1, "maxLength": dosewise_core::text::MAX_NOTE_CHARS, "pattern": NOTE_VISIBLE } } }
    })
}

pub fn document() -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Dosewise clinic API",
            "version": "1",
            "description": "The clinic server: a patient's device connects with an invite and syncs the categories they chose; staff sign in (password and TOTP code) and read only what patients share with them. What is not the caller's answers 404, never 403: whether it exists is not told either. Every read of patient data is audited."
        },
        "components": {
            "securitySchemes": {
                "session": { "type": "http", "scheme": "bearer", "description": "A staff session's token from POST /api/v1/login." },
                "cookie": { "type": "apiKey", "in": "cookie", "name": crate::auth::COOKIE, "description": "The same session as an HttpOnly cookie; a change needs X-CSRF-Token." },
                "device": { "type": "http", "scheme": "bearer", "description": "A patient's device token from POST /api/v1/connect." }
            },
            "responses": { "Error": { "description": "What went wrong and how to fix it.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } } },
            "schemas": schemas()
        },
        "paths": {
            "/api/v1/openapi.json": { "get": { "summary": "This document.", "security": [], "responses": { "200": ok("OpenAPI document.") } } },
            "/api/v1/login": { "post": open("Sign in: a session token and CSRF token (also set as a cookie). After repeated failures 429 with Retry-After.", "Login", "{\"token\", \"csrf\", \"role\", \"second_factor\"}", &["429"]) },
            "/api/v1/logout": { "post": staff("End this session.", None, None, "{\"signed_out\": true}") },
            "/api/v1/me": { "get": staff("Who is signed in.", None, None, "{\"account\", \"role\", \"name\", \"email\", \"clinic\", \"csrf\"}") },
            "/api/v1/totp/setup": { "post": staff("Start setting up the second factor: a new secret and its otpauth:// address.", None, None, "{\"secret\", \"uri\"}") },
            "/api/v1/totp/confirm": { "post": staff("Confirm the second factor with a code from the new secret.", None, Some("Code"), "{\"second_factor\": true}") },
            "/api/v1/accounts": { "get": staff("The clinic's staff, for its admin.", None, None, "{\"accounts\": [...]}") },
            "/api/v1/accounts/{id}/reset": { "post": staff("An admin resets a staff member's password: a one-time code (24 hours); their sessions end.", Some(id("The staff member's account.")), None, "{\"code\", \"expires_at\"}") },
            "/api/v1/reset": { "post": open("Choose a new password with a reset code; the second factor is set up again.", "Reset", "{\"account\", \"second_factor\": false}", &[]) },
            "/api/v1/invites": { "post": staff("An invite code: a clinician invites patients, an admin invites staff.", None, Some("Invite"), "{\"code\", \"role\", \"expires_at\"}") },
            "/api/v1/accept": { "post": open("A member of staff takes up an invite: an account with a password.", "Accept", "{\"account\", \"role\"}", &["409"]) },
            "/api/v1/connect": { "post": open("A patient's device connects with an invite and chooses what to share.", "Connect", "{\"device_token\", \"device\", \"patient\", \"clinic\", \"clinician\", \"categories\", \"ends_at\"}", &[]) },
            "/api/v1/sync": {
                "get": device("How far the server has applied this device's log, what the grants cover now, the prescription and notes from the clinicians.", None, "SyncState"),
                "post": device("Apply a batch of entries, whole or not at all; entries already applied are skipped.", Some("Push"), "{\"last_idx\", \"applied\"}")
            },
            "/api/v1/share/revoke": { "post": device("Stop sharing now (one grant, or all).", Some("Revoke"), "{\"revoked\"}") },
            "/api/v1/share/log": { "get": device("Who read or changed what of this patient's, newest first.", None, "{\"log\": [...]}") },
            "/api/v1/patients": { "get": staff("A page of the caseload: one row a patient sharing with this clinician, ordered by the server.", Some(caseload_query()), None, "{\"patients\": [...], \"sort\", \"q\", \"page\", \"per_page\", \"total\", \"pages\"}") },
            "/api/v1/patients/{id}": { "get": staff("A patient's shared journal and prescription.", Some(id("The patient.")), None, "{\"patient\", \"name\", \"categories\", \"journal\", \"prescription\"}") },
            "/api/v1/patients/{id}/fhir": { "get": staff("A patient's shared journal as an HL7 FHIR R4 Bundle (type collection; application/fhir+json): doses, protocols, PHQ-9/GAD-7, vital signs, check-in ratings.", Some(id("The patient.")), None, "{\"resourceType\": \"Bundle\", \"type\": \"collection\", \"entry\": [...]}") },
            "/api/v1/patients/{id}/prescription": {
                "get": staff("The patient's prescription.", Some(id("The patient.")), None, "{\"patient\", \"prescription\"}"),
                "post": staff("Change the prescription; it reaches the patient's device at their next sync.", Some(id("The patient.")), Some("Prescription"), "{\"patient\", \"prescription\"}")
            },
            "/api/v1/patients/{id}/notes": {
                "get": staff("Notes to the patient, newest first.", Some(id("The patient.")), None, "{\"patient\", \"notes\": [...]}"),
                "post": staff("Write a note to the patient; it reaches their Today at their next sync.", Some(id("The patient.")), Some("Note"), "{\"patient\", \"note\"}")
            },
            "/api/v1/triage": { "get": staff("A page of the open triage items, urgent first, oldest first.", Some(page_query()), None, "{\"items\": [...], \"page\", \"per_page\", \"total\", \"urgent\", \"pages\"}") },
            "/api/v1/triage/{id}/ack": { "post": staff("Acknowledge a triage item (who and when, audited).", Some(id("The triage item.")), None, "{\"acknowledged\", \"waited_minutes\"}") }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_described_and_nothing_else() {
        let doc = document();
        let paths = doc["paths"].as_object().cloned().unwrap_or_default();
        let mut described: Vec<(String, String)> = paths
            .iter()
            .flat_map(|(p, ops)| {
                ops.as_object()
                    .map(|o| o.keys().map(|m| (m.clone(), p.clone())).collect::<Vec<_>>())
                    .unwrap_or_default()
            })
            .collect();
        let mut routes: Vec<(String, String)> = crate::api::ROUTES
            .iter()
            .map(|(m, p)| (m.to_string(), p.to_string()))
            .collect();
        described.sort();
        routes.sort();
        assert_eq!(described, routes);
        // Every schema a body names exists.
        let text = doc.to_string();
        for r in text.split("#/components/schemas/").skip(1) {
            let name: String = r.chars().take_while(|c| c.is_alphanumeric()).collect();
            assert!(doc["components"]["schemas"][&name].is_object(), "{name}");
        }
    }
}
