//! The OpenAPI 3.1 description of `/api/v1`, written by hand beside the routes; a test checks
//! that every route in `api::ROUTES` is described and every described path answers.

use serde_json::{Value, json};

fn period() -> Value {
    json!([
        { "name": "from", "in": "query", "schema": { "type": "string", "format": "date" }, "description": "First local day (YYYY-MM-DD); default 30 days before `to`." },
        { "name": "to", "in": "query", "schema": { "type": "string", "format": "date" }, "description": "Last local day; default today." }
    ])
}

fn ok(desc: &str) -> Value {
    json!({ "description": desc, "content": { "application/json": { "schema": { "type": "object" } } } })
}

fn err() -> Value {
    json!({ "$ref": "#/components/responses/Error" })
}

fn body(schema: &str) -> Value {
    json!({ "required": true, "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } } })
}

fn list(summary: &str, what: &str) -> Value {
    json!({ "summary": summary, "parameters": period(), "responses": { "200": ok(what), "400": err() } })
}

fn create(summary: &str, schema: &str) -> Value {
    json!({ "summary": summary, "requestBody": body(schema), "responses": { "201": ok("Saved."), "400": err() } })
}

pub fn document() -> Value {
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
                    "summary": "Log a dose through the safety check. A refused dose is not written unless override_reason is given; a dose timed more than 30 minutes ago is recorded as taken, with its findings (recorded_after_the_fact); dry_run only checks.",
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
                "post": { "summary": "Refill (add), remove (spilled, primed, lost) or count a stock; the amount in the stock's own terms. Returns the stock afterwards and what it held before.", "requestBody": body("StockChangeRequest"), "responses": { "200": ok("The stock and what it held before."), "400": err() } }
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
            "/api/v1/export": { "get": { "summary": "The whole journal, lossless (the JSON export format).", "responses": { "200": ok("Journal.") } } },
            "/api/v1/import": { "post": { "summary": "Add a JSON export's records, all or nothing.", "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object" } } } }, "responses": { "200": ok("What was imported."), "400": err() } } },
            "/api/v1/report": { "get": { "summary": "The clinician report as HTML.", "parameters": [
                { "name": "from", "in": "query", "schema": { "type": "string", "format": "date" } },
                { "name": "to", "in": "query", "schema": { "type": "string", "format": "date" } },
                { "name": "sections", "in": "query", "schema": { "type": "string" }, "description": "Comma-separated: regimen, supply, scales, ratings, vitals, side-effects, medicines, notes." },
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
                    "stock": { "type": "integer", "description": "Stock id." },
                    "change": { "type": "string", "enum": ["add", "remove", "count"] },
                    "amount": { "type": "string", "description": "\"10 troches\", \"4.2 mL\", \"30 sprays\", \"50 mg\", or a number in the stock's unit." },
                    "note": { "type": "string", "description": "Kept in the stock's ledger." } } },
                "DoseRequest": { "type": "object", "additionalProperties": false, "properties": {
                    "amount": { "type": "string", "description": "\"1/2 troche\", \"12.5 mg\", \"2 sprays\"; empty: the protocol's planned dose." },
                    "stock": { "type": "string", "description": "Stock id or name." },
                    "no_stock": { "type": "boolean" },
                    "route": { "type": "string", "enum": ["sublingual", "buccal", "oral", "intranasal", "intramuscular", "intravenous", "rectal"] },
                    "at": { "type": "string" }, "note": { "type": "string" }, "zone": { "type": "string" },
                    "override_reason": { "type": "string", "description": "Log despite a refusal; kept with the dose." },
                    "dry_run": { "type": "boolean" } } },
                "CheckinRequest": { "type": "object", "additionalProperties": false, "properties": {
                    "mood": { "type": "integer", "minimum": 0, "maximum": 10 }, "anxiety": { "type": "integer", "minimum": 0, "maximum": 10 },
                    "energy": { "type": "integer", "minimum": 0, "maximum": 10 }, "focus": { "type": "integer", "minimum": 0, "maximum": 10 },
                    "sleep": { "type": "integer", "minimum": 0, "maximum": 10 }, "irritability": { "type": "integer", "minimum": 0, "maximum": 10 },
                    "craving": { "type": "integer", "minimum": 0, "maximum": 10 },
                    "side_effects": { "type": "array", "items": { "type": "string" }, "description": "\"nausea\" or \"dizziness=4\"." },
                    "urinary": { "type": "array", "items": { "type": "string", "enum": ["frequency", "urgency", "pain", "blood", "nocturia"] } },
                    "note": { "type": "string" }, "tags": { "type": "array", "items": { "type": "string" } },
                    "private": { "type": "boolean" }, "at": { "type": "string" }, "zone": { "type": "string" } } },
                "VitalsRequest": { "type": "object", "additionalProperties": false, "required": ["context"], "properties": {
                    "bp": { "type": "string", "description": "\"128/82\"" }, "heart_rate": { "type": "integer" }, "weight": { "type": "string", "description": "\"70 kg\", \"154 lb\"" },
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
