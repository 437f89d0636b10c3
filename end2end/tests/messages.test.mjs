// End-to-end: the message browser. The real binary with --demo, a stand-in EHR over MLLP
// that refuses (AE) until the test "fixes" it, and Chromium. Journeys: a refused result
// appears on the live dashboard without a reload, its link opens the message with the
// EHR's ACK, and once the EHR accepts again a reprocess turns it delivered; search for a
// sample, open a message, read the ORU and its ACK; an inspector sees no patient data.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import fs from 'node:fs/promises';
import os from 'node:os';
import { spawnSync } from 'node:child_process';
import { startEhr, mshField } from '../lib/ehr.mjs';
import { startServer, fixturesDir, ROOT } from '../lib/server.mjs';
import { launch, hydrated, signIn } from '../lib/browser.mjs';

const SHOTS = path.join(ROOT, 'end2end', 'test-results');
// The demo's order is ACC-2026-0001 for sample NB6TK328.
const VCF_NAME = 'ACC-2026-0001_NB6TK328.vcf';

let ehr;
let server;
let browser;
let refusing = true;

before(async () => {
  ehr = await startEhr({ code: () => (refusing ? 'AE' : 'AA') });
  server = await startServer({ ehrPort: ehr.port });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await ehr?.close();
});

async function signedIn(role) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signIn(page, server.base, role, server.passwords[role]);
  await page.waitForURL(`${server.base}/`, { timeout: 10_000 });
  await hydrated(page);
  return { context, page };
}

const shot = (page, name) => page.screenshot({ path: path.join(SHOTS, name), fullPage: true });

test('a refused result shows live, opens with its ACK, and a reprocess delivers it', async () => {
  const { context, page } = await signedIn('engineer');
  await page.waitForSelector('#live[data-live="live"]', { timeout: 10_000 });
  // A marker that a reload or a navigation would wipe.
  await page.evaluate(() => { window.__stayed = true; });
  await server.drop(path.join(fixturesDir(), 'vcf', 'NB6TK328_filtered.vcf'), server.dirs.vcf, VCF_NAME);
  const error = '#errors li[data-error-flow="vcf-to-lri"] a';
  try {
    await page.waitForSelector(error, { timeout: 45_000 });
  } catch (e) {
    assert.fail(`the refused ORU never showed on the dashboard: ${e}\n${server.tail()}`);
  }
  assert.equal(await page.evaluate(() => window.__stayed), true, 'the dashboard was not reloaded');
  assert.ok(ehr.received.some((m) => mshField(m, 9)?.startsWith('ORU^R01')));
  await shot(page, 'messages-1-dashboard-error.png');

  // The error links to the message: dead-lettered, with the EHR's AE as received.
  await page.click(error);
  await page.waitForURL(/\/messages\/\d+$/, { timeout: 10_000 });
  await hydrated(page);
  const original = page.url();
  assert.equal(await page.locator('#message-header').getAttribute('data-status'), 'dead_letter');
  assert.match(await page.locator('#attempts tr[data-ack="AE"] pre.ack').innerText(), /MSA\|AE\|/);
  assert.match(await page.locator('#last-error').innerText(), /not accepted/);
  await shot(page, 'messages-2-dead-letter.png');

  // The EHR is fixed; the engineer reprocesses; the rebuilt ORU is delivered.
  refusing = false;
  await page.click('#reprocess-form button[type="submit"]');
  await page.waitForSelector('#reprocessed-link', { timeout: 10_000 });
  await page.click('#reprocessed-link');
  await page.waitForURL((u) => u.href !== original && /\/messages\/\d+$/.test(u.pathname), { timeout: 10_000 });
  await hydrated(page);
  try {
    await page.waitForSelector('#message-header[data-status="delivered"]', { timeout: 30_000 });
  } catch (e) {
    assert.fail(`the reprocessed message never turned delivered: ${e}\n${server.tail()}`);
  }
  const rebuilt = await page.locator('#control-id').innerText();
  assert.match(rebuilt, /^GB\d{8}L2$/, 'a new control id');
  assert.ok(await page.locator('[data-reprocessed-from]').count() === 1, 'it names the message it replaces');
  assert.equal(await page.locator('#attempts tr[data-ack="AA"]').count(), 1);
  assert.ok(ehr.received.some((m) => mshField(m, 10) === rebuilt), 'the EHR received the rebuilt ORU');
  await shot(page, 'messages-3-reprocessed-delivered.png');

  await page.goto(original);
  await page.waitForSelector('[data-replaced-by]', { timeout: 10_000 });
  assert.equal(await page.locator('#message-header').getAttribute('data-status'), 'replaced');
  await context.close();
});

test('search for a sample, open a message, see the ORU and its ACK', async () => {
  const { context, page } = await signedIn('engineer');
  await page.click('#nav-messages');
  await page.waitForURL(`${server.base}/messages`, { timeout: 10_000 });
  await page.fill('#message-search input[name="sample"]', 'NB6TK328');
  await page.selectOption('#message-search select[name="flow"]', 'vcf-to-lri');
  await page.click('#message-search button[type="submit"]');
  await page.waitForURL(/sample=NB6TK328/, { timeout: 10_000 });
  const rows = page.locator('#message-results tbody tr');
  await rows.first().waitFor({ timeout: 10_000 });
  assert.equal(await rows.count(), 2, 'the refused ORU and its replacement');
  assert.equal(await page.locator('#message-results tr[data-status="delivered"]').count(), 1);
  await shot(page, 'messages-4-search.png');

  await page.click('#message-results tr[data-status="delivered"] a');
  await page.waitForURL(/\/messages\/\d+$/, { timeout: 10_000 });
  const segments = page.locator('#message-body [data-segment]');
  await segments.first().waitFor({ timeout: 10_000 });
  assert.equal(await page.locator('#message-body [data-segment="MSH"]').count(), 1);
  const obx = await page.locator('#message-body [data-segment="OBX"]').count();
  assert.ok(obx > 10, `OBX segments shown one per line (${obx})`);
  const groups = await page.locator('#message-body [data-segment="OBX"]').evaluateAll(
    (els) => new Set(els.map((e) => e.dataset.obx4).filter(Boolean)).size);
  assert.ok(groups > 1, 'OBX-4 groups are marked');
  assert.match(await page.locator('#attempts pre.ack').first().innerText(), /MSA\|AA\|GB\d{8}L2/);
  assert.match(await page.locator('#message-body').innerText(), /PID\|/, 'an engineer sees the body');
  await shot(page, 'messages-5-detail.png');
  await context.close();
});

test('an inspector reads the delivery record but no patient data, and cannot resend', async () => {
  const { context, page } = await signedIn('inspector');
  await page.goto(`${server.base}/messages?flow=vcf-to-lri`);
  await hydrated(page);
  assert.equal(await page.locator('#message-search input[name="mrn"]').count(), 0, 'no MRN search');
  await page.click('#message-results tr[data-status="delivered"] a');
  await page.waitForURL(/\/messages\/\d+$/, { timeout: 10_000 });
  await page.waitForSelector('#attempts', { timeout: 10_000 });
  assert.match(await page.locator('main').innerText(), /patient data, which your role may not see/);
  assert.equal(await page.locator('#message-body').count(), 0);
  assert.equal(await page.locator('#resend-form, #reprocess-form').count(), 0);
  await context.close();
});

test('an inspector follows NB6TK328 to the EHR ACK, verifies the chain, exports and re-checks it', async () => {
  const { context, page } = await signedIn('inspector');
  await page.click('#nav-audit');
  await page.waitForURL(`${server.base}/audit`, { timeout: 10_000 });
  await page.fill('#audit-filters input[name="sample"]', 'NB6TK328');
  await page.click('#audit-filters button[type="submit"]');
  await page.waitForURL(/sample=NB6TK328/, { timeout: 10_000 });
  await page.waitForSelector('#lineage li', { timeout: 10_000 });
  const actions = await page.locator('#lineage li').evaluateAll((els) => els.map((e) => e.dataset.action));
  for (const want of ['report.created', 'message.created', 'message.delivery_attempt', 'message.dead_letter',
    'message.reprocessed', 'message.delivered', 'phi.viewed']) {
    assert.ok(actions.includes(want), `the lineage shows ${want}: ${actions.join(', ')}`);
  }
  assert.ok(actions.indexOf('report.created') < actions.indexOf('message.delivered'), 'oldest first');
  const built = await page.locator('#lineage li[data-action="message.created"]').first().innerText();
  assert.match(built, /mapping vcf-report/, 'the step names the mapping that built the message');
  await hydrated(page);
  await page.click('#verify-form button[type="submit"]');
  await page.waitForSelector('#chain-status [data-verified="intact"]', { timeout: 15_000 });
  await page.click('#export-form button[type="submit"]');
  await page.waitForSelector('#export-files a[data-file="manifest.json"]', { timeout: 15_000 });
  await shot(page, 'messages-6-inspector-lineage.png');

  // The three files, downloaded with the inspector's session, re-check with the README's script.
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'gb-export-'));
  for (const name of ['manifest.json', 'events.json', 'events.csv']) {
    const href = await page.locator(`#export-files a[data-file="${name}"]`).getAttribute('href');
    const res = await page.request.get(`${server.base}${href}`);
    assert.equal(res.status(), 200, name);
    await fs.writeFile(path.join(dir, name), await res.body());
  }
  const checked = spawnSync('python3', [path.join(ROOT, 'scripts', 'audit_recheck.py'), dir], { encoding: 'utf8' });
  assert.equal(checked.status, 0, checked.stdout + checked.stderr);
  assert.match(checked.stdout, /^OK: \d+ events/);
  const manifest = JSON.parse(await fs.readFile(path.join(dir, 'manifest.json'), 'utf8'));
  assert.equal(manifest.query.sample, 'NB6TK328');
  // Inspectors are read-only: no resend, and the message browser's actions refuse them.
  const refused = await page.request.post(`${server.base}/api/message_resend`, {
    form: { id: '1', csrf: 'x' }, headers: { Origin: server.base },
  });
  assert.equal(refused.status(), 403);
  await context.close();
});
