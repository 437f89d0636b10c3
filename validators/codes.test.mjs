// Every LOINC and LA code GenoBridge emits is in one table (engine/src/messages/codes.rs).
// Each code must appear in the Genomics Reporting IG 3.0.0 package (its profiles,
// value sets or official examples), unless its line names another source; those are
// listed, so a reviewer sees exactly which codes rest on what.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const table = readFileSync(join(root, 'engine/src/messages/codes.rs'), 'utf8');
const pkg = join(root, '.cache/fhir-packages/hl7.fhir.uv.genomics-reporting/package');
const igText = [pkg, join(pkg, 'example')]
  .flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.json')).map((f) => readFileSync(join(d, f), 'utf8')))
  .join('\n');

// (code, display, source comment) for each c("…", "…") in the table.
const lriRef = readdirSync(join(root, '..', 'shared', 'fixtures', 'lri-reference'))
  .map((f) => readFileSync(join(root, '..', 'shared', 'fixtures', 'lri-reference', f), 'utf8'))
  .join('\n');

const entries = [...table.matchAll(/c\("([0-9A-Z-]+)", "([^"]+)"\)[^\n]*?(?:\/\/ *([^\n]*))?\n/g)].map((m) => ({
  code: m[1],
  display: m[2],
  source: m[3] ?? '',
}));

test('the codes table is read', () => assert.ok(entries.length >= 50, `${entries.length} codes`));

test('every code attributed to the IG, or unattributed, is in the IG package', () => {
  const elsewhere = (e) => /v2f|NCPI|lri-ref/.test(e.source) && !/\bIG\b/.test(e.source);
  const chromosome = (e) => /^Chromosome /.test(e.display); // table sourced from NCPI (LL2938-0)
  const missing = entries.filter((e) => !elsewhere(e) && !chromosome(e) && !igText.includes(`"${e.code}"`));
  assert.deepEqual(missing, []);
});

test('codes attributed to the LRI reference messages are in them', () => {
  const missing = entries.filter((e) => /lri-ref/.test(e.source) && !lriRef.includes(`${e.code}^`));
  assert.deepEqual(missing, []);
});

test('codes sourced outside the IG are named', (t) => {
  const outside = entries.filter((e) => !igText.includes(`"${e.code}"`));
  t.diagnostic(`not in the IG package (sourced from the LRI reference, vcf2fhir or NCPI/LOINC LL2938-0): ${outside.map((e) => e.code).join(', ')}`);
  for (const e of outside) {
    assert.ok(/v2f|NCPI|lri-ref/.test(e.source) || /^Chromosome /.test(e.display), `${e.code} has no source`);
  }
});

test('each code has one display name', () => {
  const seen = new Map();
  for (const e of entries) {
    assert.ok(!seen.has(e.code) || seen.get(e.code) === e.display, `${e.code}: ${seen.get(e.code)} vs ${e.display}`);
    seen.set(e.code, e.display);
  }
});
