// Validate a FHIR R4 Bundle (a file named on the command line) with two independent
// validators: FHIR.js against the R4 StructureDefinitions (elements, cardinalities, types,
// required value-set bindings) and HL7's official R4 JSON schema. Prints one JSON document:
// {"resources": N, "errors": [...]} and exits 1 when there is any error.
//
// Usage: node validate.mjs BUNDLE.json
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { Fhir } = require("fhir");
const JSONSchemaValidator = require("@asymmetrik/fhir-json-schema-validator");

const bundle = JSON.parse(readFileSync(process.argv[2], "utf8"));
const fhir = new Fhir();
const schema = new JSONSchemaValidator();
const errors = [];

// FHIR.js: the whole Bundle, entries included (their fullUrls, their resources).
const whole = fhir.validate(bundle, { errorOnUnexpected: true });
for (const m of whole.messages ?? []) {
  if (m.severity === "error") errors.push({ validator: "fhir.js", location: m.location, message: m.message });
}
// The JSON schema: resource by resource (on a whole Bundle its oneOf hides which entry failed).
const entries = bundle.entry ?? [];
const { entry, ...shell } = bundle;
for (const [where, resource] of [["Bundle", shell], ...entries.map((e, k) => [`entry ${k + 1} (${e.resource?.resourceType}/${e.resource?.id})`, e.resource])]) {
  for (const e of schema.validate(resource)) {
    errors.push({ validator: "json-schema", where, location: e.dataPath ?? e.instancePath, message: e.message });
  }
}
console.log(JSON.stringify({ resources: entries.length, errors: errors.slice(0, 50), error_count: errors.length }, null, 1));
process.exit(errors.length ? 1 : 0);
