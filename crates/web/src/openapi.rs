//! The OpenAPI 3.1 description of `/api/v1`, written by hand beside the routes; a test checks
//! that every route in `api::ROUTES` is described and every described path answers.

use serde_json::{Value, json};

fn period() -> Value {
    json!([
        { "name": "from", "in": "query", "schema": { "type": "string", "format": "date" }, "description": "First local day (YYYY-MM-DD); default 30 days before `to`." },
        { "name": "to", "in": "query", "schema": { "type": "string", "format": "date" }, "description": "Last local day; default today." }
    ])
}

/// A JSON answer, described.
pub fn ok(desc: &str) -> Value {
    json!({ "description": desc, "content": { "application/json": { "schema": { "type": "object" } } } })
}

/// The error answer (`components/responses/Error`).
pub fn err() -> Value {
    json!({ "$ref": "#/components/responses/Error" })
}

/// A required JSON body of the named schema.
pub fn body(schema: &str) -> Value {
    json!({ "required": true, "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } } })
}

/// A period's parameters and a page's: `limit` and the previous page's `next_cursor`.
fn paged() -> Value {
    let mut p = period();
    if let Some(a) = p.as_array_mut() {
        a.push(json!({ "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 1000 }, "description": "At most this many records (default 500)." }));
        a.push(json!({ "name": "cursor", "in": "query", "schema": { "type": "string", "pattern": "^-?[0-9]+\\.[0-9]+$" }, "description": "The previous page's next_cursor, unchanged." }));
    }
    p
}

fn list(summary: &str, what: &str) -> Value {
    json!({ "summary": format!("{summary} In time order, a page at a time: next_cursor is null on the last page."), "parameters": paged(), "responses": { "200": ok(what), "400": err() } })
}

fn id() -> Value {
    json!([{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer", "minimum": 1, "maximum": 9_007_199_254_740_991_i64 }, "description": "The record's id." }])
}

/// A POST on one record: `schema` is its body's; answers 200, 400, 404, and 409 when the
/// record's state does not allow it (a deleted dose, an ended protocol).
fn act(summary: &str, schema: &str, done: &str) -> Value {
    json!({ "summary": summary, "parameters": id(), "requestBody": body(schema), "responses": { "200": ok(done), "400": err(), "404": err(), "409": err() } })
}

fn create(summary: &str, schema: &str) -> Value {
    json!({ "summary": summary, "requestBody": body(schema), "responses": { "201": ok("Saved."), "400": err() } })
}

pub fn document() -> Value {
    let mut doc = base();
    for (key, more) in [
        ("paths", manage_paths()),
        ("paths", share_paths()),
        ("paths", profile_paths()),
        ("paths", trial_paths()),
        ("schemas", manage_schemas()),
        ("schemas", trial_schemas()),
    ] {
        let target = if key == "paths" {
            &mut doc["paths"]
        } else {
            &mut doc["components"]["schemas"]
        };
        if let (Some(t), Value::Object(m)) = (target.as_object_mut(), more) {
            t.extend(m);
        }
    }
    if let Some(schemas) = doc["components"]["schemas"].as_object_mut() {
        for (name, schema) in schemas.iter_mut() {
            constrain(name, schema);
        }
    }
    doc
}

/// Free text the server accepts: no control characters, and none of the invisible or
/// direction-changing ones (`dosewise_core::text`). Notes may hold line breaks and tabs.
/// Text without control or invisible characters (what `dosewise_core::text` accepts).
pub const TEXT: &str = "^[^\\u0000-\\u001f\\u007f-\\u009f\\u200b\\u200e\\u200f\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff]*$";
/// A note: the same, with newlines and tabs.
pub const NOTE: &str = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f\\u200b\\u200e\\u200f\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff]*$";
/// A label with at least one visible character.
pub const LABEL: &str = "^[^\\u0000-\\u001f\\u007f-\\u009f\\u200b\\u200e\\u200f\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff]*[^\\s\\u0000-\\u001f\\u007f-\\u009f\\u200b\\u200e\\u200f\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff][^\\u0000-\\u001f\\u007f-\\u009f\\u200b\\u200e\\u200f\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff]*$";
/// A note with at least one visible character.
pub const NOTE_VISIBLE: &str = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f\\u200b\\u200e\\u200f\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff]*[^\\s\\u0000-\\u001f\\u007f-\\u009f\\u200b\\u200e\\u200f\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff][^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f\\u200b\\u200e\\u200f\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff]*$";

/// Properties whose Rust field is not an `Option` (absent means a default; `null` is refused).
const NOT_NULLABLE: &[&str] = &["StockRequest.substance", "StockForm.priming"];

/// The constraints every request body shares, stated once: an optional field may be `null`
/// (the same as leaving it out), free text has no control or invisible characters and a
/// length limit, names and reasons are labels (something visible, at most 100 characters).
fn constrain(name: &str, schema: &mut Value) {
    if let Some(variants) = schema.get_mut("oneOf").and_then(Value::as_array_mut) {
        for v in variants {
            constrain(name, v);
        }
        return;
    }
    let required: Vec<String> = schema["required"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
        return;
    };
    for (field, p) in props.iter_mut() {
        let Some(t) = p.get("type").and_then(Value::as_str).map(str::to_string) else {
            continue;
        };
        if t == "string"
            && p.get("format").is_none()
            && p.get("enum").is_none()
            && p.get("pattern").is_none()
        {
            // A required name (or a review's note) needs something visible; optional labels
            // may be empty (meaning none).
            let label = (field == "name" && required.contains(field))
                || (name, field.as_str()) == ("ClearRequest", "note");
            // (A stock change's note is its ledger line's reason: a short label.)
            let short = matches!(
                field.as_str(),
                "name" | "reason" | "lot" | "crisis_line" | "clinician"
            ) || (name, field.as_str()) == ("StockChangeRequest", "note");
            let (pattern, max) = match field.as_str() {
                _ if label => (LABEL, Some(dosewise_core::text::MAX_LABEL_CHARS)),
                _ if short => (TEXT, Some(dosewise_core::text::MAX_LABEL_CHARS)),
                "note" => (NOTE, Some(dosewise_core::text::MAX_NOTE_CHARS)),
                // Amounts, times, zones: their own parsers bound them.
                _ => (TEXT, None),
            };
            p["pattern"] = json!(pattern);
            if let (None, Some(max)) = (p.get("maxLength"), max) {
                p["maxLength"] = json!(max);
            }
        }
        let key = format!("{name}.{field}");
        let scalar = matches!(t.as_str(), "string" | "integer" | "number");
        if scalar && !required.contains(field) && !NOT_NULLABLE.contains(&key.as_str()) {
            p["type"] = json!([t, "null"]);
            if let Some(e) = p.get_mut("enum").and_then(Value::as_array_mut) {
                e.push(Value::Null);
            }
        }
    }
}

/// Sharing with a clinic (`crate::api_manage`, backed by `dosewise_app::share`).
fn share_paths() -> Value {
    json!({
            "/api/v1/share": { "get": { "summary": "Whether this journal shares with a clinic: the server, clinic, clinician, categories, last sync.", "responses": { "200": ok("{\"connected\": null or …}") } } },
            "/api/v1/share/connect": { "post": {
                "summary": "Connect this journal to a clinic server with a clinician's invite code. Nothing is sent until a sync.",
                "requestBody": body("ConnectRequest"),
                "responses": { "201": ok("{\"clinic\", \"clinician\", \"categories\", \"ends_at\"}"), "400": err(), "409": err() } } },
            "/api/v1/share/revoke": { "post": {
                "summary": "Stop sharing at once: every grant revoked on the clinic server, the connection forgotten here.",
                "requestBody": body("Empty"),
                "responses": { "200": ok("{\"revoked\": n}"), "400": err(), "503": err() } } },
            "/api/v1/share/log": { "get": { "summary": "The clinic's log of who read or changed what of this journal's shared records, newest first.", "responses": { "200": ok("{\"log\": [...]}"), "400": err(), "503": err() } } },
            "/api/v1/sync": { "post": {
                "summary": "Send the clinic what is new or changed since the last sync (the granted categories; never a private check-in).",
                "requestBody": body("Empty"),
                "responses": { "200": ok("{\"sent\", \"withdrawn\", \"categories\", \"stopped\"}"), "400": err(), "503": err() } } }
    })
}

/// The profile, which the first-run setup creates (`crate::api_manage`).
fn trial_paths() -> Value {
    json!({
        "/api/v1/trial": { "get": { "summary": "The latest blinded trial's progress: its state, today's container, containers logged, guesses made, days unblinded early (nothing of the allocation). `trial` is null when none was planned.", "responses": { "200": ok("{\"trial\": {...} | null}") } } },
        "/api/v1/trial/plan": { "post": { "summary": "Plan a self-blinded trial: blocks of an active and a placebo period in a random order, sealed (age) to the key holder's public key, or to a new key returned once as `key`. The helper's `fill_list` (code → contents) is returned once and never kept.", "requestBody": body("TrialPlanRequest"), "responses": { "201": ok("{\"trial\": …, \"fill_list\": [{\"code\", \"contents\"}], \"key\": \"AGE-SECRET-KEY-1…\" | null}"), "400": err(), "404": err(), "409": err() } } },
        "/api/v1/trial/labels": { "get": { "summary": "The container labels to print: a code and a day each, nothing of the contents (HTML with a print stylesheet).", "responses": { "200": { "description": "Labels.", "content": { "text/html": { "schema": { "type": "string" } } } }, "404": err() } } },
        "/api/v1/trial/unblind": { "post": { "summary": "Emergency: open one day's condition with the key. Recorded with the reason; the day leaves the analysis; every other day stays sealed.", "requestBody": body("TrialUnblindRequest"), "responses": { "200": ok("{\"date\": …, \"condition\": \"active\" | \"placebo\"}"), "400": err(), "404": err() } } },
        "/api/v1/trial/stop": { "post": { "summary": "Stop the trial early, with the reason; days after today are not analysed.", "requestBody": body("TrialStopRequest"), "responses": { "200": ok("{\"trial\": …}"), "400": err(), "404": err(), "409": err() } } },
        "/api/v1/trial/reveal": { "post": { "summary": "Open the whole allocation with the key once the trial is over (or stopped); returns the result.", "requestBody": body("TrialRevealRequest"), "responses": { "200": ok("{\"result\": …}"), "400": err(), "404": err(), "409": err() } } },
        "/api/v1/trial/result": { "get": { "summary": "The revealed trial's result: the effect with its randomisation test and 95 % interval, the Bayesian estimate (AR(1) and trend) with P(effect > the smallest change that matters), how the blind held, the days left out and why, and the plain-words reading.", "responses": { "200": ok("{\"result\": …}"), "404": err(), "409": err() } } }
    })
}

fn trial_schemas() -> Value {
    json!({
        "TrialPlanRequest": { "type": "object", "additionalProperties": false, "required": ["smallest_change"], "properties": {
            "start": { "type": "string", "format": "date", "description": "The first day; default tomorrow." },
            "weeks": { "type": "integer", "minimum": 1, "maximum": 60, "description": "Length in weeks (default 8): as many whole blocks as fit. Not with `blocks`." },
            "blocks": { "type": "integer", "minimum": 2, "maximum": 26 },
            "period_days": { "type": "integer", "minimum": 1, "maximum": 14, "description": "Dosing days a period (default 1)." },
            "washout_days": { "type": "integer", "minimum": 0, "maximum": 14, "description": "Days without a dose after each period (default 2)." },
            "outcome": { "type": "string", "enum": ["mood", "anxiety", "energy", "focus", "sleep", "irritability", "craving", "phq9", "gad7"] },
            "smallest_change": { "type": "number", "exclusiveMinimum": 0, "maximum": 30, "description": "The smallest improvement that would matter, in the outcome's units." },
            "dose": { "type": "string", "description": "The dose every dosing day; default the protocol's." },
            "stock": { "type": "string", "description": "Stock id or name the active containers are filled from." },
            "key_holder": { "type": "string", "description": "Who holds the key (default \"me\")." },
            "recipient": { "type": "string", "pattern": "^age1[02-9ac-hj-np-z]+$", "description": "The key holder's age public key." },
            "note": { "type": "string" } } },
        "TrialUnblindRequest": { "type": "object", "additionalProperties": false, "required": ["date", "key", "reason"], "properties": {
            "date": { "type": "string", "format": "date" },
            "key": { "type": "string", "pattern": "^AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}$", "description": "The age secret key (AGE-SECRET-KEY-1…)." },
            "reason": { "type": "string", "minLength": 3, "description": "Why (kept in the trial's record)." } } },
        "TrialStopRequest": { "type": "object", "additionalProperties": false, "required": ["reason"], "properties": {
            "reason": { "type": "string", "minLength": 3, "description": "Why (kept in the trial's record)." } } },
        "TrialRevealRequest": { "type": "object", "additionalProperties": false, "required": ["key"], "properties": {
            "key": { "type": "string", "pattern": "^AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}$", "description": "The age secret key (AGE-SECRET-KEY-1…)." } } }
    })
}

fn profile_paths() -> Value {
    json!({
        "/api/v1/profile": {
            "get": { "summary": "The profile: name, zone, weight, when the health screen was answered, the crisis line (null before it is set up).", "responses": { "200": ok("{\"profile\": {...} | null}") } },
            "post": { "summary": "Create the profile (a new journal's first-run setup, as `init`) or change its name, zone or weight; what is not given stays.", "requestBody": body("ProfileRequest"), "responses": { "200": ok("{\"profile\": {...}, \"created\": true|false}"), "400": err() } }
        }
    })
}

/// The pages' management operations (`crate::api_manage`).
fn manage_paths() -> Value {
    json!({
            "/api/v1/stock/add": { "post": create("Record a new stock (troche, spray or solution) and its first ledger line.", "StockRequest") },
            "/api/v1/stock/{id}/retire": { "post": act("Retire a stock (used up, expired, discarded); it stays in the record.", "ReasonRequest", "{\"stock\": …}") },
            "/api/v1/stock/{id}/drops": { "post": act("Record the measured volume of one drop of a solution.", "DropsRequest", "{\"stock\": …}") },
            "/api/v1/protocols/start": { "post": create("Start a protocol (ending the current one for its substance, with a history line each).", "ProtocolRequest") },
            "/api/v1/protocols/{id}/change": { "post": act("Change a protocol's dose, time, end, check-in reminder or limits, with a reason kept in its history.", "ChangeRequest", "{\"protocol\": …, \"change\": \"…\"}") },
            "/api/v1/protocols/{id}/pause": { "post": act("Pause a protocol.", "Empty", "{\"protocol\": …}") },
            "/api/v1/protocols/{id}/resume": { "post": act("Resume a paused protocol.", "Empty", "{\"protocol\": …}") },
            "/api/v1/protocols/{id}/end": { "post": act("End a protocol.", "Empty", "{\"protocol\": …}") },
            "/api/v1/doses/{id}": { "get": { "summary": "One dose with its earlier versions.", "parameters": id(), "responses": { "200": ok("{\"dose\": …, \"revisions\": [...]}"), "400": err(), "404": err() } } },
            "/api/v1/doses/{id}/edit": { "post": {
                "summary": "Correct a dose: checked like a new dose (refused unless override_reason), the previous version kept, supply moved.",
                "parameters": id(), "requestBody": body("EditRequest"),
                "responses": { "200": ok("Corrected: dose, previous, stock, verdict."), "422": ok("Refused by the safety check; nothing changed."), "400": err(), "404": err(), "409": err() } } },
            "/api/v1/doses/{id}/delete": { "post": act("Delete a dose that did not happen: kept, marked deleted, its supply returned.", "ReasonRequest", "{\"dose\": …}") },
            "/api/v1/checkins/{id}": { "get": { "summary": "One check-in with its earlier versions (a deleted one too, marked).", "parameters": id(), "responses": { "200": ok("{\"checkin\": …, \"revisions\": [...]}"), "400": err(), "404": err() } } },
            "/api/v1/checkins/{id}/edit": { "post": act("Correct a check-in: what is given replaces what was recorded, what `clear` names is removed, the rest stays; checked like a new check-in, the earlier version kept. `changed` is false (and nothing is written) when it asks for what is already recorded.", "CheckinEdit", "{\"checkin\": …, \"previous\": …, \"changed\": true, \"warnings\": [...]}") },
            "/api/v1/checkins/{id}/delete": { "post": act("Delete a check-in entered by mistake: kept, marked deleted, left out of insights, trends, the safety check and the report.", "ReasonRequest", "{\"checkin\": …}") },
            "/api/v1/medications/{id}/stop": { "post": act("Mark a medicine stopped; it stays in the record.", "Empty", "{\"medication\": …}") },
            "/api/v1/review": {
                "get": { "summary": "The standing findings (what every dose would carry now) and the trends.", "responses": { "200": ok("{\"findings\": [...], \"trends\": …}") } },
                "post": create("Record a clinician's review of urinary symptoms or of the health screen.", "ClearRequest")
            },
            "/api/v1/screen": {
                "get": { "summary": "The health screen's questions, the answers given, whether it is due, the crisis line.", "responses": { "200": ok("Screen.") } },
                "post": { "summary": "Answer the whole screen (the conditions that apply) and set or remove the crisis line.", "requestBody": body("ScreenRequest"), "responses": { "200": ok("{\"answers\": [...], \"crisis_line\": …}"), "400": err() } }
            },
            "/api/v1/calc/solution": { "post": { "summary": "A solution from powder: concentration, mL per dose, doses per batch (nothing saved).", "requestBody": body("SolutionCalcRequest"), "responses": { "200": ok("The calculation with its notes and sources."), "400": err() } } },
            "/api/v1/calc/spray": { "post": { "summary": "A nasal spray: mg per spray, sprays per dose, the nearest whole-spray doses (nothing saved).", "requestBody": body("SprayCalcRequest"), "responses": { "200": ok("The calculation with its notes and sources."), "400": err() } } },
            "/api/v1/calc/dilute": { "post": { "summary": "Water to add to dilute a solution (nothing saved).", "requestBody": body("DiluteCalcRequest"), "responses": { "200": ok("The calculation."), "400": err() } } },
            "/api/v1/calc/convert": { "post": { "summary": "An estimated dose by another home route giving a similar exposure, as a range with its sources (nothing saved).", "requestBody": body("ConvertCalcRequest"), "responses": { "200": ok("The estimate."), "400": err() } } },
            "/api/v1/stock/{id}": { "get": { "summary": "One stock with its ledger (every change to the amount on hand and why).", "parameters": id(), "responses": { "200": ok("{\"stock\": …, \"ledger\": [...]}"), "400": err(), "404": err() } } },
            "/api/v1/protocols/{id}/next": { "get": { "summary": "The next planned doses of a protocol.", "parameters": [
                { "name": "id", "in": "path", "required": true, "schema": { "type": "integer", "minimum": 1, "maximum": 9_007_199_254_740_991_i64 } },
                { "name": "count", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 100 }, "description": "Default 5." }
            ], "responses": { "200": ok("{\"planned\": [{\"date\", \"at\", \"dose\"}]}"), "400": err(), "404": err() } } },
            "/api/v1/calendar": { "get": { "summary": "The plan as iCalendar: planned doses, breaks and check-in reminders for 90 days, discreet titles.", "responses": { "200": { "description": "iCalendar.", "content": { "text/calendar": { "schema": { "type": "string" } } } } } } },
            "/api/v1/info": { "get": { "summary": "The knowledge base's topics.", "responses": { "200": ok("{\"topics\": [...]}") } } },
            "/api/v1/info/{topic}": { "get": { "summary": "One topic of the knowledge base, every figure with its source and confidence code.", "parameters": [
                { "name": "topic", "in": "path", "required": true, "schema": { "type": "string", "enum": ["ketamine", "routes", "interactions", "risks", "screen", "rules", "codes"] } },
                { "name": "name", "in": "query", "schema": { "type": "string" }, "description": "For interactions: one substance or medicine." }
            ], "responses": { "200": { "description": "The topic: an object, or a list.", "content": { "application/json": { "schema": { "type": ["object", "array"] } } } }, "400": err(), "404": err() } } },
            "/api/v1/calendar-link": {
                "get": { "summary": "The calendar feed's private link, if one was made.", "responses": { "200": ok("{\"link\": \"/calendar/….ics\" or null}") } },
                "post": { "summary": "Make a new private link (the old one stops working) or remove it.", "requestBody": body("CalendarLinkRequest"), "responses": { "200": ok("{\"link\": …}"), "400": err() } }
            }
    })
}

/// A correction's "at least one change": one field given and not null, or something to clear.
fn changes() -> Value {
    // Every field that can be cleared can also be given, and three more.
    let given = dosewise_app::checkin::CLEARABLE
        .into_iter()
        .chain(["private", "at", "zone"])
        .map(|f| json!({ "required": [f], "properties": { f: { "not": { "type": "null" } } } }));
    let clear = json!({ "required": ["clear"], "properties": { "clear": { "minItems": 1 } } });
    Value::Array(given.into_iter().chain([clear]).collect())
}

fn manage_schemas() -> Value {
    json!({
                "ReasonRequest": { "type": "object", "additionalProperties": false, "properties": {
                    "reason": { "type": "string", "description": "Why (kept in the record)." } } },
                "Empty": { "type": "object", "additionalProperties": false, "properties": {} },
                "ConnectRequest": { "type": "object", "additionalProperties": false, "required": ["server", "code", "name"], "properties": {
                    "server": { "type": "string", "pattern": "^https?://[^\\s/?#]+", "maxLength": 2000, "description": "https://… (plain http only to this computer)" },
                    "code": { "type": "string", "minLength": 1, "maxLength": 200, "description": "The invite code from the clinician." },
                    "name": { "type": "string", "minLength": 1, "maxLength": 100, "description": "How the clinic will see you." },
                    "categories": { "type": "array", "items": { "type": "string", "enum": dosewise_core::share::Category::ALL.map(|c| c.as_str()) },
                        "description": "What to share; empty or absent: all but substance_use." },
                    "until": { "type": "string", "format": "date", "description": "Sharing ends by itself after this day." },
                    "device": { "type": "string", "maxLength": 100 } } },
                "CheckinEdit": { "type": "object", "additionalProperties": false,
                    "description": "At least one change; a field may not be both given and cleared.",
                    "anyOf": changes(),
                    "properties": {
                    "mood": { "type": "integer", "minimum": 0, "maximum": 10 }, "anxiety": { "type": "integer", "minimum": 0, "maximum": 10 },
                    "energy": { "type": "integer", "minimum": 0, "maximum": 10 }, "focus": { "type": "integer", "minimum": 0, "maximum": 10 },
                    "sleep": { "type": "integer", "minimum": 0, "maximum": 10 }, "irritability": { "type": "integer", "minimum": 0, "maximum": 10 },
                    "craving": { "type": "integer", "minimum": 0, "maximum": 10 },
                    "side_effects": { "type": ["array", "null"], "items": { "type": "string" }, "description": "Replaces the side effects: \"nausea\" or \"dizziness=4\"." },
                    "urinary": { "type": ["array", "null"], "items": { "type": "string", "enum": ["frequency", "urgency", "pain", "blood", "nocturia"] }, "description": "Replaces the urinary symptoms." },
                    "note": { "type": "string" }, "tags": { "type": ["array", "null"], "items": { "type": "string" }, "description": "Replaces the tags." },
                    "private": { "type": ["boolean", "null"] },
                    "at": { "type": "string", "description": "A new time; the recorded one stays when absent." }, "zone": { "type": "string" },
                    "clear": { "type": "array", "items": { "type": "string", "enum": dosewise_app::checkin::CLEARABLE }, "description": "What to remove." },
                    "reason": { "type": "string", "description": "Why it changed, kept with the earlier version." } } },
                "DropsRequest": { "type": "object", "additionalProperties": false, "required": ["drop_volume"], "properties": {
                    "drop_volume": { "type": "string", "description": "The volume of one drop, \"0.05mL\"." } } },
                "SprayVolume": { "type": "object", "additionalProperties": false, "properties": {
                    "stated": { "type": "string", "description": "As stated on the pump, \"0.1mL\"." },
                    "filled": { "type": "string", "description": "Calibration: the volume filled…" },
                    "sprays_counted": { "type": "integer", "minimum": 1, "description": "…and the sprays it gave." } } },
                "StockForm": { "oneOf": [
                    { "type": "object", "additionalProperties": false, "required": ["kind", "strength", "count"], "properties": {
                        "kind": { "const": "troche" }, "strength": { "type": "string", "description": "\"25mg\"" },
                        "count": { "type": "number", "exclusiveMinimum": 0 }, "dispensed": { "type": "number", "exclusiveMinimum": 0 } } },
                    { "type": "object", "additionalProperties": false, "required": ["kind", "concentration", "bottle"], "properties": {
                        "kind": { "const": "spray" }, "concentration": { "type": "string", "description": "\"100mg/mL\" or \"10%\"" },
                        "volume": { "$ref": "#/components/schemas/SprayVolume" }, "bottle": { "type": "string", "description": "\"5mL\"" },
                        "priming": { "type": "integer", "minimum": 0 } } },
                    { "type": "object", "additionalProperties": false, "required": ["kind", "mass", "volume", "purity"], "properties": {
                        "kind": { "const": "solution" }, "mass": { "type": "string", "description": "\"500mg\"" },
                        "volume": { "type": "string", "description": "\"10mL\"" }, "purity": { "type": "number", "exclusiveMinimum": 0, "maximum": 100 },
                        "drop_volume": { "type": "string" } } } ] },
                "StockRequest": { "type": "object", "additionalProperties": false, "required": ["name", "form"], "properties": {
                    "name": { "type": "string", "minLength": 1, "maxLength": 200 },
                    "salt": { "type": "string", "enum": ["hcl", "base"] },
                    "substance": { "type": "string", "enum": ["ketamine", "esketamine"] },
                    "route": { "type": "string", "enum": ["sublingual", "buccal", "oral", "intranasal", "intramuscular", "intravenous", "rectal"] },
                    "lot": { "type": "string" }, "expiry": { "type": "string", "format": "date" }, "opened": { "type": "string", "format": "date" },
                    "note": { "type": "string" }, "form": { "$ref": "#/components/schemas/StockForm" } } },
                "Limits": { "type": "object", "additionalProperties": false, "properties": {
                    "max_dose": { "type": "string", "description": "\"25mg\"" }, "max_day": { "type": "string" }, "max_week": { "type": "string" },
                    "min_interval": { "type": "string", "description": "\"48h\", \"3d\"" },
                    "dispensed": { "type": "number", "exclusiveMinimum": 0 }, "refill": { "type": "string", "format": "date" },
                    "bp_warn_above": { "type": "string", "description": "\"140/90\"" }, "bp_refuse_from": { "type": "string", "description": "\"160/100\"" } } },
                "Titration": { "type": "object", "additionalProperties": false, "description": "All four or none.", "properties": {
                    "start": { "type": "string" }, "step": { "type": "string" }, "every": { "type": "string", "description": "\"14d\"" }, "ceiling": { "type": "string" } } },
                "ProtocolRequest": { "type": "object", "additionalProperties": false, "required": ["dose", "time"], "properties": {
                    "name": { "type": "string" }, "stock": { "type": "string", "description": "Stock id or name." },
                    "substance": { "type": "string", "enum": ["ketamine", "esketamine"] },
                    "every": { "type": "integer", "minimum": 1, "maximum": 60 }, "on_off": { "type": "string", "description": "\"4/3\"" },
                    "weekdays": { "type": "array", "items": { "type": "string" } }, "daily": { "type": "boolean" },
                    "weekly_cap": { "type": "integer", "minimum": 1 },
                    "dose": { "type": "string", "description": "\"1/2 troche\", \"12.5mg\"" }, "time": { "type": "string", "description": "HH:MM" },
                    "start": { "type": "string", "format": "date" }, "end": { "type": "string", "format": "date" },
                    "route": { "type": "string", "enum": ["sublingual", "buccal", "oral", "intranasal", "intramuscular", "intravenous", "rectal"] },
                    "cycle": { "type": "string", "description": "\"6w\"" }, "break_days": { "type": "string", "description": "\"2w\"" },
                    "titration": { "$ref": "#/components/schemas/Titration" }, "limits": { "$ref": "#/components/schemas/Limits" },
                    "checkin_time": { "type": "string" }, "require_bp": { "type": "boolean" }, "sitter": { "type": "boolean" },
                    "note": { "type": "string" }, "zone": { "type": "string" } } },
                "ChangeRequest": { "type": "object", "additionalProperties": false, "properties": {
                    "dose": { "type": "string" }, "time": { "type": "string" }, "end": { "type": "string", "format": "date" },
                    "checkin_time": { "type": "string" }, "limits": { "$ref": "#/components/schemas/Limits" },
                    "reason": { "type": "string" } } },
                "EditRequest": { "type": "object", "additionalProperties": false, "properties": {
                    "amount": { "type": "string" }, "stock": { "type": "string" },
                    "route": { "type": "string", "enum": ["sublingual", "buccal", "oral", "intranasal", "intramuscular", "intravenous", "rectal"] },
                    "at": { "type": "string" }, "note": { "type": "string" }, "reason": { "type": "string" }, "zone": { "type": "string" },
                    "override_reason": { "type": "string" } } },
                "ClearRequest": { "type": "object", "additionalProperties": false, "required": ["topic", "note"], "properties": {
                    "topic": { "type": "string", "enum": ["urinary", "screen"] },
                    "note": { "type": "string", "description": "Who reviewed it and what they said." } } },
                "ScreenRequest": { "type": "object", "additionalProperties": false, "properties": {
                    "yes": { "type": "array", "items": { "type": "string", "enum": dosewise_core::screen::questions().iter().map(|q| q.code.clone()).collect::<Vec<_>>() }, "description": "The codes (GET /api/v1/screen) of the conditions that apply." },
                    "crisis_line": { "type": "string", "description": "Empty removes it." },
                    "clinician": { "type": "string", "description": "How to reach the clinician (a name and a number), shown beside the crisis line; empty removes it." } } },
                "ProfileRequest": { "type": "object", "additionalProperties": false, "properties": {
                    "name": { "type": "string", "description": "Shown on reports." },
                    "weight": { "type": "string", "description": "\"70\", \"70 kg\", \"154 lb\" (a bare number is kg), for mg/kg; empty leaves it." },
                    "zone": { "type": "string", "description": "An IANA time zone, e.g. Europe/Berlin." } } },
                "BackupRequest": { "type": "object", "additionalProperties": false, "required": ["passphrase"], "properties": {
                    "passphrase": { "type": "string", "minLength": 8, "maxLength": 256, "pattern": "^[^\\u0000\\n\\r]*$" } } },
                "RestoreRequest": { "type": "object", "additionalProperties": false, "required": ["backup", "passphrase"], "properties": {
                    "backup": { "type": "string", "contentEncoding": "base64", "description": "The backup file, base64." },
                    "passphrase": { "type": "string", "minLength": 1, "maxLength": 256, "pattern": "^[^\\u0000\\n\\r]*$" } } },
                "SolutionCalcRequest": { "type": "object", "additionalProperties": false, "required": ["mass", "volume"], "properties": {
                    "mass": { "type": "string", "description": "\"500mg\"" }, "volume": { "type": "string", "description": "\"10mL\"" },
                    "dose": { "type": "string" }, "purity": { "type": "number", "exclusiveMinimum": 0, "maximum": 100 },
                    "salt": { "type": "string", "enum": ["hcl", "base"] } } },
                "SprayCalcRequest": { "type": "object", "additionalProperties": false, "required": ["concentration", "volume"], "properties": {
                    "concentration": { "type": "string" }, "volume": { "$ref": "#/components/schemas/SprayVolume" },
                    "dose": { "type": "string" }, "salt": { "type": "string", "enum": ["hcl", "base"] } } },
                "DiluteCalcRequest": { "type": "object", "additionalProperties": false, "required": ["from", "to", "volume"], "properties": {
                    "from": { "type": "string" }, "to": { "type": "string" }, "volume": { "type": "string" } } },
                "ConvertCalcRequest": { "type": "object", "additionalProperties": false, "required": ["dose", "from", "to"], "properties": {
                    "dose": { "type": "string" },
                    "from": { "type": "string", "enum": ["sublingual", "buccal", "oral", "intranasal"] },
                    "to": { "type": "string", "enum": ["sublingual", "buccal", "oral", "intranasal"] },
                    "substance": { "type": "string", "enum": ["ketamine", "esketamine"] } } },
                "CalendarLinkRequest": { "type": "object", "additionalProperties": false, "required": ["action"], "properties": {
                    "action": { "type": "string", "enum": ["new", "remove"] } } }
    })
}

fn base() -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Dosewise local API",
            "version": "1",
            "description": "The local web app's JSON API: the same operations as the pages and the CLI. State-changing requests need Content-Type: application/json and are refused from other sites. Times as typed: \"21:00\", \"-2h\", \"yesterday 21:00\", \"2026-11-28 08:00\" or RFC 3339."
        },
        "paths": {
            "/api/v1/openapi.json": { "get": { "summary": "This document.", "responses": { "200": ok("OpenAPI document.") } } },
            "/api/v1/today": { "get": { "summary": "Today at a glance: protocol day, doses, check-in, questionnaires due, findings, stock.", "responses": { "200": ok("Today.") } } },
            "/api/v1/doses": {
                "get": list("Doses in a period (deleted ones included, marked).", "{\"doses\": [...]}"),
                "post": {
                    "summary": "Log a dose through the safety check. A refused dose is not written unless override_reason is given; a dose timed more than 30 minutes ago, or sent with already_taken, is recorded as taken, with its findings (recorded_after_the_fact); dry_run only checks.",
                    "requestBody": body("DoseRequest"),
                    "responses": {
                        "201": ok("Logged: dose, stock, verdict, overridden, conversion."),
                        "200": ok("Dry run: the prepared dose, its conversion and verdict; nothing written."),
                        "422": ok("Refused by the safety check; nothing written: the verdict with every finding's reason, action and sources, and where Dosewise can record the follow-up its step (set_protocol, change_protocol, clear_urinary, clear_screen, record_vitals, log_missed_dose)."),
                        "400": err()
                    }
                }
            },
            "/api/v1/checkins": {
                "get": list("Check-ins in a period.", "{\"checkins\": [...]}"),
                "post": create("Record a check-in; urinary symptoms come back with a warning.", "CheckinRequest")
            },
            "/api/v1/insights": { "get": { "summary": "Ratings by kind of day, PHQ-9/GAD-7 change, dose–response and factors, with the caveat. Default period: from the first record.", "parameters": period(), "responses": { "200": ok("Insights."), "400": err() } } },
            "/api/v1/stock": {
                "get": { "summary": "Stocks and their status (days left, low, expiry).", "responses": { "200": ok("Stocks.") } },
                "post": { "summary": "Refill (add), remove (spilled, primed, lost) or count a stock; the amount in the stock's own terms. Returns the stock afterwards and what it held before.", "requestBody": body("StockChangeRequest"), "responses": { "200": ok("The stock and what it held before."), "400": err(), "404": err(), "409": err() } }
            },
            "/api/v1/protocols": { "get": { "summary": "Protocols with their change history.", "responses": { "200": ok("Protocols.") } } },
            "/api/v1/vitals": {
                "get": list("Vital-sign readings in a period.", "{\"vitals\": [...]}"),
                "post": create("Record blood pressure, heart rate or weight.", "VitalsRequest")
            },
            "/api/v1/assessments": {
                "get": list("Questionnaires in a period.", "{\"assessments\": [...]}"),
                "post": create("Score and save a questionnaire (phq9, gad7, bladder, substance); PHQ-9 item 9 above 0 returns crisis guidance.", "AssessmentRequest")
            },
            "/api/v1/medications": {
                "get": { "summary": "Standing medicines.", "responses": { "200": ok("Medicines.") } },
                "post": create("Add a standing medicine.", "MedicationRequest")
            },
            "/api/v1/substance-uses": {
                "get": list("Other substances logged in a period.", "{\"substance_uses\": [...]}"),
                "post": create("Log use of another substance (alcohol, cannabis, …).", "SubstanceUseRequest")
            },
            "/api/v1/export": { "get": { "summary": "The whole journal, lossless (the JSON export format), one table as CSV, or an HL7 FHIR R4 Bundle.", "parameters": [
                { "name": "format", "in": "query", "schema": { "type": "string", "enum": ["json", "csv", "fhir"] }, "description": "Default json." },
                { "name": "include_private", "in": "query", "schema": { "type": "boolean" }, "description": "With format=fhir: include private check-ins." },
                { "name": "table", "in": "query", "schema": { "type": "string", "enum": ["doses", "checkins", "stock"] }, "description": "With format=csv (default doses)." }
            ], "responses": { "200": { "description": "Journal (JSON) or table (CSV).", "content": { "application/json": { "schema": { "type": "object" } }, "application/fhir+json": { "schema": { "type": "object" } }, "text/csv": { "schema": { "type": "string" } } } }, "400": err() } } },
            "/api/v1/backup": { "post": { "summary": "The whole journal encrypted with a new passphrase (age format, scrypt), as a file.", "requestBody": body("BackupRequest"),
                "responses": { "200": { "description": "The encrypted backup.", "content": { "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } } }, "400": err() } } },
            "/api/v1/import-backup": { "post": { "summary": "Add an encrypted backup's records, all or nothing.", "requestBody": body("RestoreRequest"), "responses": { "200": ok("What was imported."), "400": err() } } },
            "/api/v1/import-csv": { "post": { "summary": "Add a spreadsheet's rows (CSV, comma or semicolon, the first row naming the columns) as doses and check-ins tagged spreadsheet, by the mapping in map; all or nothing, every bad row named; the journal's records left out.",
                "parameters": [
                    { "name": "map", "in": "query", "required": true, "schema": { "type": "string", "minLength": 1, "maxLength": 1000 }, "description": "FIELD=COLUMN separated by commas; fields date, time, amount, route, note, mood, anxiety, energy, focus, sleep, irritability, craving. E.g. date=Date,amount=Dose." },
                    { "name": "date_format", "in": "query", "schema": { "type": "string", "maxLength": 100 }, "description": "The date column's format when it is not YYYY-MM-DD, e.g. %d/%m/%Y %H:%M." },
                    { "name": "time", "in": "query", "schema": { "type": "string", "maxLength": 10 }, "description": "The time of rows whose date has none, HH:MM." },
                    { "name": "unit", "in": "query", "schema": { "type": "string", "maxLength": 20 }, "description": "The unit of bare numbers: mg, troche, spray, mL." },
                    { "name": "stock", "in": "query", "schema": { "type": "string", "maxLength": 100 }, "description": "The stock (name or id) the doses came from, to tell the mg of counts and volumes; its supply is not taken." },
                    { "name": "route", "in": "query", "schema": { "type": "string", "enum": ["sublingual", "buccal", "oral", "intranasal", "intramuscular", "intravenous", "rectal"] } },
                    { "name": "salt", "in": "query", "schema": { "type": "string", "enum": ["hcl", "base"] } },
                    { "name": "substance", "in": "query", "schema": { "type": "string", "enum": ["ketamine", "esketamine"] } },
                    { "name": "dry_run", "in": "query", "schema": { "type": "boolean" }, "description": "Only say what it would add." },
                    { "name": "private", "in": "query", "schema": { "type": "boolean" }, "description": "Mark its check-ins private." } ],
                "requestBody": { "required": true, "content": { "text/csv": { "schema": { "type": "string" } } } },
                "responses": { "200": ok("What was (or would be) imported."), "400": err() } } },
            "/api/v1/import": { "post": { "summary": "Add a JSON export's records, all or nothing; a FHIR R4 Bundle's (doses, PHQ-9/GAD-7, vital signs), or a PsychonautWiki Journal export's (told apart by their content): ketamine ingestions as doses, other substances as uses, notes and ratings as check-ins tagged pw-journal.",
                "parameters": [
                    { "name": "dry_run", "in": "query", "schema": { "type": "boolean" }, "description": "For a PsychonautWiki Journal file: only say what it would add." },
                    { "name": "private", "in": "query", "schema": { "type": "boolean" }, "description": "For a PsychonautWiki Journal file: mark its notes private." } ],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object" } } } }, "responses": { "200": ok("What was imported."), "400": err() } } },
            "/api/v1/report": { "get": { "summary": "The clinician report as HTML.", "parameters": [
                { "name": "from", "in": "query", "schema": { "type": "string", "format": "date" } },
                { "name": "to", "in": "query", "schema": { "type": "string", "format": "date" } },
                { "name": "sections", "in": "query", "schema": { "type": "string", "pattern": "^(regimen|supply|scales|ratings|trial|vitals|side-effects|medicines|notes)(,(regimen|supply|scales|ratings|trial|vitals|side-effects|medicines|notes))*$" }, "description": "Comma-separated: regimen, supply, scales, ratings, trial, vitals, side-effects, medicines, notes." },
                { "name": "private", "in": "query", "schema": { "type": "string", "enum": ["1"] }, "description": "1 to include private notes." }
            ], "responses": { "200": { "description": "HTML.", "content": { "text/html": {} } }, "400": err() } } }
        },
        "components": {
            "responses": {
                "Error": { "description": "What is wrong, and how to fix it.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
            },
            "schemas": {
                "Error": { "type": "object", "required": ["error"], "properties": { "error": { "type": "object", "properties": {
                    "kind": { "type": "string" }, "status": { "type": "integer" }, "message": { "type": "string" } } } } },
                "StockChangeRequest": { "type": "object", "additionalProperties": false, "required": ["stock", "change", "amount"], "properties": {
                    "stock": { "type": "integer", "minimum": 1, "description": "Stock id." },
                    "change": { "type": "string", "enum": ["add", "remove", "count"] },
                    "amount": { "type": "string", "description": "\"10 troches\", \"4.2 mL\", \"30 sprays\", \"50 mg\", or a number in the stock's unit." },
                    "note": { "type": "string", "description": "Kept in the stock's ledger." } } },
                "DoseRequest": { "type": "object", "additionalProperties": false, "properties": {
                    "amount": { "type": "string", "description": "\"1/2 troche\", \"12.5 mg\", \"2 sprays\"; empty: the protocol's planned dose." },
                    "stock": { "type": "string", "description": "Stock id or name." },
                    "no_stock": { "type": "boolean" },
                    "route": { "type": "string", "enum": ["sublingual", "buccal", "oral", "intranasal", "intramuscular", "intravenous", "rectal"] },
                    "at": { "type": "string" }, "note": { "type": "string" }, "zone": { "type": "string" },
                    "override_reason": { "type": "string", "description": "Log despite a refusal: who agreed the dose and when, kept with the dose. Judged only when the dose is refused: fewer than 2 words or 10 letters is a 400." },
                    "already_taken": { "type": "boolean", "description": "The dose is already taken: it is recorded as it happened, with the findings that would have applied and an already_taken note, however recently." },
                    "dry_run": { "type": "boolean" },
                    "container": { "type": "string", "description": "A blinded trial's container code (from its label): the amount and stock default to the trial's; the dose takes nothing from the stock." } } },
                "CheckinRequest": { "type": "object", "additionalProperties": false, "properties": {
                    "mood": { "type": "integer", "minimum": 0, "maximum": 10 }, "anxiety": { "type": "integer", "minimum": 0, "maximum": 10 },
                    "energy": { "type": "integer", "minimum": 0, "maximum": 10 }, "focus": { "type": "integer", "minimum": 0, "maximum": 10 },
                    "sleep": { "type": "integer", "minimum": 0, "maximum": 10 }, "irritability": { "type": "integer", "minimum": 0, "maximum": 10 },
                    "craving": { "type": "integer", "minimum": 0, "maximum": 10 },
                    "side_effects": { "type": "array", "items": { "type": "string" }, "description": "\"nausea\" or \"dizziness=4\"." },
                    "urinary": { "type": "array", "items": { "type": "string", "enum": ["frequency", "urgency", "pain", "blood", "nocturia"] } },
                    "note": { "type": "string" }, "tags": { "type": "array", "items": { "type": "string" } },
                    "private": { "type": "boolean" }, "at": { "type": "string" }, "zone": { "type": "string" },
                    "guess": { "type": "string", "enum": ["active", "placebo", "dont_know"], "description": "During a blinded trial: what you think you took today." },
                    "guess_sure": { "type": "integer", "minimum": 1, "maximum": 5, "description": "How sure of the guess: 1 (a pure guess) to 5 (certain); only with `guess`." } },
                    "dependentRequired": { "guess_sure": ["guess"] } },
                "VitalsRequest": { "type": "object", "additionalProperties": false, "required": ["context"], "properties": {
                    "bp": { "type": "string", "description": "\"128/82\"" }, "heart_rate": { "type": "integer", "minimum": 20, "maximum": 250 }, "weight": { "type": "string", "description": "\"70 kg\", \"154 lb\"" },
                    "context": { "type": "string", "enum": ["pre_dose", "post_dose", "other"] },
                    "at": { "type": "string" }, "note": { "type": "string" }, "zone": { "type": "string" } } },
                "AssessmentRequest": { "type": "object", "additionalProperties": false, "required": ["instrument", "answers"], "properties": {
                    "instrument": { "type": "string", "enum": ["phq9", "gad7", "bladder", "substance"] },
                    "answers": { "type": "array", "items": { "type": "integer" } },
                    "at": { "type": "string" }, "note": { "type": "string" }, "zone": { "type": "string" } } },
                "MedicationRequest": { "type": "object", "additionalProperties": false, "required": ["name"], "properties": {
                    "name": { "type": "string" }, "dose": { "type": "string" }, "clinician_aware": { "type": "boolean" }, "note": { "type": "string" } } },
                "SubstanceUseRequest": { "type": "object", "additionalProperties": false, "required": ["name"], "properties": {
                    "name": { "type": "string" }, "amount": { "type": "string" }, "at": { "type": "string" }, "note": { "type": "string" }, "zone": { "type": "string" } } }
            }
        }
    })
}
