//! Records from other apps through the real binary: a PsychonautWiki Journal export previewed,
//! imported, imported again (nothing added), and bad files refused whole with the journal
//! unchanged.

mod common;

use common::{Run, command, output, validate_fhir};
use serde_json::Value;
use std::path::{Path, PathBuf};

const NOW: &str = "2026-12-01T12:00:00Z";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/pw-journal")
        .join(name)
}

struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        let h = Home {
            dir: tempfile::tempdir().unwrap_or_else(|e| panic!("{e}")),
        };
        h.run(&["init", "--weight", "70kg", "--no-conditions"]).ok();
        h
    }
    fn run(&self, args: &[&str]) -> Run {
        self.at(NOW, args)
    }
    fn at(&self, now: &str, args: &[&str]) -> Run {
        output(&mut command(self.dir.path(), now, args))
    }
    /// The whole journal as the JSON export has it.
    fn journal(&self) -> Value {
        self.run(&["export", "--format", "json"]).ok().json()
    }
    fn import(&self, file: &Path, extra: &[&str]) -> Run {
        let f = file.display().to_string();
        let mut args = vec!["--json", "import", "--from", "pw-journal", f.as_str()];
        args.extend_from_slice(extra);
        self.run(&args)
    }
}

fn len(v: &Value, key: &str) -> usize {
    v[key].as_array().map_or(0, Vec::len)
}

#[test]
fn a_pw_journal_export_is_previewed_imported_once_and_seen_by_the_safety_check() {
    let h = Home::new();
    let before = h.journal();
    // The preview says what would be added, and writes nothing.
    let p = h
        .import(&fixture("android.json"), &["--dry-run"])
        .ok()
        .json();
    assert_eq!(p["dry_run"], true);
    assert_eq!(
        (
            p["doses"].as_u64(),
            p["substance_uses"].as_u64(),
            p["checkins"].as_u64()
        ),
        (Some(2), Some(1), Some(3))
    );
    assert_eq!(p["for_others"], 1, "{p}");
    assert!(
        p["preview"][0]
            .as_str()
            .unwrap_or("")
            .contains("dose 25 mg HCl (21.67 mg base) sublingual"),
        "{p}"
    );
    assert_eq!(h.journal(), before, "a preview writes nothing");
    let text = h
        .run(&[
            "import",
            "--from",
            "pw-journal",
            &fixture("android.json").display().to_string(),
            "--dry-run",
        ])
        .ok()
        .stdout;
    assert!(
        text.starts_with(
            "Would add 2 doses, 1 use of other substances and 3 check-ins (tagged pw-journal)"
        ),
        "{text}"
    );
    assert!(
        text.contains("1 ingestion was logged for someone else: left out."),
        "{text}"
    );
    assert!(text.contains("Nothing was written."), "{text}");

    // Imported: the records with their times, routes and provenance.
    let r = h.import(&fixture("android.json"), &[]).ok().json();
    assert_eq!(
        (r["dry_run"].as_bool(), r["doses"].as_u64()),
        (Some(false), Some(2))
    );
    let j = h.journal();
    assert_eq!(
        (
            len(&j, "doses"),
            len(&j, "substance_uses"),
            len(&j, "checkins")
        ),
        (2, 1, 3)
    );
    let d = &j["doses"][0];
    assert_eq!(
        (
            d["route"].as_str(),
            d["dose_mg"].as_f64(),
            d["salt"].as_str()
        ),
        (Some("sublingual"), Some(25.0), Some("hcl"))
    );
    assert_eq!(d["at"], "2026-11-01T08:00:00.12Z");
    assert!(
        d["note"]
            .as_str()
            .unwrap_or("")
            .starts_with("From PsychonautWiki Journal"),
        "{d}"
    );
    assert!(
        j["checkins"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|c| c["tags"] == serde_json::json!(["pw-journal"]))
    );
    assert_eq!(j["substance_uses"][0]["name"], "Alcohol");

    // Again: nothing added.
    let again = h.import(&fixture("android.json"), &[]).ok().json();
    assert_eq!(
        (
            again["doses"].as_u64(),
            again["checkins"].as_u64(),
            again["substance_uses"].as_u64()
        ),
        (Some(0), Some(0), Some(0))
    );
    assert_eq!(again["already_here"], 6, "{again}");
    let after = h.journal();
    assert_eq!(
        (
            len(&after, "doses"),
            len(&after, "checkins"),
            len(&after, "substance_uses")
        ),
        (2, 3, 1)
    );

    // The imported alcohol (18:30 UTC on 1 November) is seen by the check before a dose an hour later.
    let v = h
        .at(
            "2026-11-01T19:30:00Z",
            &["--json", "dose", "12.5mg", "--no-stock", "--dry-run"],
        )
        .json();
    let codes: Vec<&str> = v["verdict"]["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert!(codes.iter().any(|c| c.contains("alcohol")), "{codes:?}");
}

#[test]
fn every_variant_of_the_format_is_read() {
    let h = Home::new();
    for (file, doses) in [
        ("ios.json", 1),
        ("old-variance.json", 1),
        ("custom-units.json", 5),
    ] {
        let r = h.import(&fixture(file), &[]).ok().json();
        assert_eq!(r["doses"].as_u64(), Some(doses), "{file}: {r}");
    }
    let j = h.journal();
    assert_eq!(len(&j, "doses"), 7);
    // The custom unit's slip is kept, flagged with the unit-plausibility finding.
    let flagged: Vec<&Value> = j["doses"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| {
            d["findings"]
                .as_array()
                .is_some_and(|f| f.iter().any(|x| x["code"] == "unit_plausibility"))
        })
        .collect();
    assert_eq!(flagged.len(), 1);
    assert_eq!(flagged[0]["dose_mg"], 250.0);
    // Private notes on request.
    let h2 = Home::new();
    h2.import(&fixture("ios.json"), &["--private"]).ok();
    let j2 = h2.journal();
    assert!(
        j2["checkins"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|c| c["private"] == true),
        "{j2}"
    );
}

#[test]
fn bad_files_are_refused_whole_and_change_nothing() {
    let h = Home::new();
    h.import(&fixture("ios.json"), &[]).ok();
    let before = h.journal();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap_or_else(|e| panic!("{e}"));
        p
    };
    let full = std::fs::read_to_string(fixture("custom-units.json")).unwrap_or_default();
    let cut = write("cut.json", &full[..full.len() * 2 / 3]);
    h.import(&cut, &[]).fails("the file ends early");
    h.import(&cut, &[]).fails("line ");
    // A Dosewise export is not a PW Journal file, and the other way round.
    let own = dir.path().join("own.json");
    h.run(&["export", "--out", &own.display().to_string()]).ok();
    h.import(&own, &[]).fails("it is a Dosewise export");
    h.run(&["import", &fixture("android.json").display().to_string()])
        .fails("--from pw-journal");
    let foreign = write("foreign.json", "{\"name\": \"something else\"}");
    h.import(&foreign, &[])
        .fails("not a PsychonautWiki Journal export");
    let binary = dir.path().join("binary.json");
    std::fs::write(&binary, [0xff_u8, 0xfe, 0x00, 0x41]).unwrap_or_else(|e| panic!("{e}"));
    h.import(&binary, &[]).fails("not UTF-8");
    // One bad record refuses the file: the records before it are not written either.
    let smoked = write("smoked.json", &full.replacen("\"ORAL\"", "\"SMOKED\"", 1));
    h.import(&smoked, &[])
        .fails("ingestion 4 (Ketamine): ketamine by route \"SMOKED\"");
    // Huge: refused before it is read.
    let huge = dir.path().join("huge.json");
    let f = std::fs::File::create(&huge).unwrap_or_else(|e| panic!("{e}"));
    f.set_len(600 * 1024 * 1024)
        .unwrap_or_else(|e| panic!("{e}"));
    h.import(&huge, &[]).fails("larger than any journal export");
    assert_eq!(h.journal(), before, "nothing changed");
}

#[test]
fn a_spreadsheet_is_mapped_previewed_and_imported_all_or_nothing() {
    let h = Home::new();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let sheet = dir.path().join("doses.csv");
    std::fs::write(
        &sheet,
        "Date;Dose;Mood;Notes\n03/11/2026 08:00;12.5;6;\"calm; slept well\"\n05/11/2026 08:00;15;;\n06/11/2026 21:00;;4;\n;;;\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let f = sheet.display().to_string();
    let before = h.journal();
    let csv = |extra: &[&str]| {
        let mut a = vec!["--json", "import", "--from", "csv", f.as_str()];
        a.extend_from_slice(extra);
        h.run(&a)
    };
    // No mapping, and no terminal to ask at: the columns, and a mapping guessed from their names.
    csv(&[]).fails("--map \"date=Date,amount=Dose,note=Notes,mood=Mood\". The columns are: \"Date\", \"Dose\", \"Mood\", \"Notes\"");
    let map = ["--map", "date=Date,amount=Dose,mood=Mood,note=Notes"];
    // A bare number needs its unit; a date that is not YYYY-MM-DD its format. Every bad row named.
    let e = csv(&map).code(1).stderr;
    assert!(
        e.contains("row 2: \"03/11/2026 08:00\" is not a YYYY-MM-DD date"),
        "{e}"
    );
    assert!(
        e.contains("row 3:") && e.contains("row 4:") && e.contains("Nothing was imported."),
        "{e}"
    );
    let dated = [&map[..], &["--date-format", "%d/%m/%Y %H:%M"]].concat();
    csv(&dated).fails("row 2: \"12.5\" has no unit: give --unit");
    csv(&[&map[..], &["--map", "x"]].concat()).code(2);
    csv(&["--map", "date=Day,amount=Dose"]).fails("there is no column \"Day\"");
    assert_eq!(h.journal(), before, "nothing written by any refusal");
    // Previewed, then imported, then imported again (nothing added).
    let ok = [&dated[..], &["--unit", "mg"]].concat();
    let p = csv(&[&ok[..], &["--dry-run"]].concat()).ok().json();
    assert_eq!(
        (
            p["doses"].as_u64(),
            p["checkins"].as_u64(),
            p["empty_rows"].as_u64()
        ),
        (Some(2), Some(2), Some(1)),
        "{p}"
    );
    assert!(
        p["preview"][0]
            .as_str()
            .unwrap_or("")
            .starts_with("2026-11-03 08:00 CET: dose 12.5 mg HCl"),
        "{p}"
    );
    assert_eq!(h.journal(), before);
    let r = csv(&ok).ok().json();
    assert_eq!(r["doses"], 2, "{r}");
    let j = h.journal();
    assert_eq!(j["doses"][0]["at"], "2026-11-03T07:00:00Z");
    assert_eq!(
        j["doses"][0]["note"],
        "From a spreadsheet: calm; slept well"
    );
    assert_eq!(
        j["checkins"][0]["ratings"]["mood"], 6,
        "{}",
        j["checkins"][0]
    );
    let again = csv(&ok).ok().json();
    assert_eq!(
        (
            again["doses"].as_u64(),
            again["checkins"].as_u64(),
            again["already_here"].as_u64()
        ),
        (Some(0), Some(0), Some(4)),
        "{again}"
    );
    // The flags of one source are refused with another.
    h.run(&["import", &f, "--unit", "mg"])
        .fails("are for --from csv");
}

#[test]
fn the_fhir_export_is_valid_r4_with_the_right_codes_and_comes_back_on_import() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let demo = dir.path().join("demo");
    output(&mut command(&demo, "2026-11-28T11:00:00Z", &["demo"])).ok();
    let file = dir.path().join("bundle.json");
    let f = file.display().to_string();
    output(&mut command(
        &demo,
        "2026-11-28T11:00:00Z",
        &["export", "--format", "fhir", "--out", &f],
    ))
    .ok();
    // Two independent validators: every resource valid.
    let v = validate_fhir(&file);
    assert_eq!(v["error_count"], 0, "{v}");
    let bundle: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}"));
    let entries = bundle["entry"].as_array().cloned().unwrap_or_default();
    assert_eq!(v["resources"].as_u64(), Some(entries.len() as u64));
    let of = |kind: &str| {
        entries
            .iter()
            .filter(|e| e["resource"]["resourceType"] == kind)
            .count()
    };
    let journal = output(&mut command(&demo, "2026-11-28T11:00:00Z", &["export"]))
        .ok()
        .json();
    assert_eq!(of("MedicationAdministration"), len(&journal, "doses"));
    assert_eq!(of("MedicationStatement"), len(&journal, "protocols"));
    assert_eq!(
        of("QuestionnaireResponse"),
        journal["assessments"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|a| a["instrument"] == "phq9" || a["instrument"] == "gad7")
            .count()
    );
    // Every code from the right system.
    let mut codes = std::collections::BTreeSet::new();
    fn walk(v: &Value, out: &mut std::collections::BTreeSet<(String, String)>) {
        match v {
            Value::Object(m) => {
                if let (Some(s), Some(c)) = (
                    m.get("system").and_then(Value::as_str),
                    m.get("code").and_then(Value::as_str),
                ) {
                    out.insert((s.to_string(), c.to_string()));
                }
                m.values().for_each(|x| walk(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    walk(&bundle, &mut codes);
    let allowed_loinc = [
        "44249-1", "44261-6", "44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2",
        "44252-5", "44253-3", "44260-8", "69737-5", "70274-6", "69725-0", "68509-9", "69733-4",
        "69734-2", "69735-9", "69689-8", "69736-7", "LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9",
        "85354-9", "8480-6", "8462-4", "8867-4", "29463-7",
    ];
    for (system, code) in &codes {
        match system.as_str() {
            "http://loinc.org" => assert!(allowed_loinc.contains(&code.as_str()), "LOINC {code}"),
            "http://snomed.info/sct" => assert!(
                [
                    "26643006", "37839007", "54471007", "46713006", "78421000", "47625008",
                    "37161004"
                ]
                .contains(&code.as_str()),
                "SNOMED {code}"
            ),
            "http://unitsofmeasure.org" => assert!(
                ["mg", "mm[Hg]", "/min", "kg", "{score}"].contains(&code.as_str()),
                "UCUM {code}"
            ),
            "http://www.nlm.nih.gov/research/umls/rxnorm" => assert_eq!(code, "6130"),
            "http://terminology.hl7.org/CodeSystem/observation-category" => {
                assert!(["survey", "vital-signs"].contains(&code.as_str()))
            }
            "https://dosewise.invalid/fhir/CodeSystem/check-in" => assert!(
                [
                    "mood",
                    "anxiety",
                    "energy",
                    "focus",
                    "sleep",
                    "irritability",
                    "craving"
                ]
                .contains(&code.as_str())
            ),
            other => panic!("unexpected code system {other} ({code})"),
        }
    }
    assert!(
        codes.contains(&("http://loinc.org".into(), "44260-8".into())),
        "PHQ-9 item 9 is its own observation"
    );
    // The blood-pressure panel holds both components in mm[Hg].
    let bp = entries
        .iter()
        .find(|e| e["resource"]["code"]["coding"][0]["code"] == "85354-9")
        .map(|e| &e["resource"])
        .cloned()
        .unwrap_or_default();
    assert_eq!(bp["component"][0]["valueQuantity"]["code"], "mm[Hg]");
    // Pseudonymous: the demo's profile has no name, so the Patient has none.
    assert!(entries[0]["resource"]["name"].is_null());

    // A broken resource is caught by the validators (they are not waving everything through).
    let mut broken = bundle.clone();
    if let Some(r) = broken["entry"][1]["resource"].as_object_mut() {
        r.remove("status");
    }
    let bad = dir.path().join("broken.json");
    std::fs::write(&bad, broken.to_string()).unwrap_or_else(|e| panic!("{e}"));
    let v = validate_fhir(&bad);
    assert!(v["error_count"].as_u64().unwrap_or(0) > 0, "{v}");

    // Round trip: into an empty journal, the doses, scores and vital signs come back.
    let h = Home::new();
    let p = output(&mut command(
        h.dir.path(),
        NOW,
        &["--json", "import", "--from", "fhir", &f, "--dry-run"],
    ))
    .ok()
    .json();
    assert_eq!(p["dry_run"], true);
    let r = output(&mut command(
        h.dir.path(),
        NOW,
        &["--json", "import", "--from", "fhir", &f],
    ))
    .ok()
    .json();
    assert_eq!(
        r["doses"].as_u64(),
        Some(len(&journal, "doses") as u64),
        "{r}"
    );
    let back = h.journal();
    let key = |d: &Value| {
        (
            d["at"].to_string(),
            d["dose_mg"].to_string(),
            d["salt"].to_string(),
            d["route"].to_string(),
            d["substance"].to_string(),
        )
    };
    let before: Vec<_> = journal["doses"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["deleted_at"].is_null())
        .map(key)
        .collect();
    let after: Vec<_> = back["doses"]
        .as_array()
        .into_iter()
        .flatten()
        .map(key)
        .collect();
    assert_eq!(after, before);
    let score = |a: &Value| {
        (
            a["at"].to_string(),
            a["instrument"].to_string(),
            a["answers"].to_string(),
            a["total"].to_string(),
        )
    };
    let before: Vec<_> = journal["assessments"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["instrument"] == "phq9" || a["instrument"] == "gad7")
        .map(score)
        .collect();
    let after: Vec<_> = back["assessments"]
        .as_array()
        .into_iter()
        .flatten()
        .map(score)
        .collect();
    assert_eq!(after, before);
    let reading = |v: &Value| {
        (
            v["at"].to_string(),
            v["systolic"].to_string(),
            v["diastolic"].to_string(),
            v["heart_rate"].to_string(),
            v["weight_kg"].to_string(),
            v["context"].to_string(),
        )
    };
    let before: Vec<_> = journal["vitals"]
        .as_array()
        .into_iter()
        .flatten()
        .map(reading)
        .collect();
    let after: Vec<_> = back["vitals"]
        .as_array()
        .into_iter()
        .flatten()
        .map(reading)
        .collect();
    assert_eq!(after, before);
    // Again: nothing added.
    let again = output(&mut command(
        h.dir.path(),
        NOW,
        &["--json", "import", "--from", "fhir", &f],
    ))
    .ok()
    .json();
    assert_eq!(
        (
            again["doses"].as_u64(),
            again["assessments"].as_u64(),
            again["vitals"].as_u64()
        ),
        (Some(0), Some(0), Some(0)),
        "{again}"
    );
    drop(p);
}
