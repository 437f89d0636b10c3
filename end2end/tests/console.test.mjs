// End-to-end: the real binary with --demo, a stand-in EHR over MLLP, and Chromium.
// Run after scripts/build.sh with `npm run e2e`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEhr, mshField } from '../lib/ehr.mjs';
import { startServer, fixturesDir, ROOT } from '../lib/server.mjs';
import { launch, hydrated, signIn, sessionCookie } from '../lib/browser.mjs';

const SHOTS = path.join(ROOT, 'end2end', 'test-results');
const RUN = '20231108_LH00188_0028_B22F52TLT3';
const VCF = 'NB6TK328_filtered.vcf';
// The pipeline names its output <accession>_<sample>.vcf; the demo order is ACC-2026-0001.
const VCF_NAME = 'ACC-2026-0001_NB6TK328.vcf';
// A result for an accession the EHR never ordered: it must wait, visibly.
const UNORDERED = 'ACC-2026-0999_qiagen.vcf';
const LRI_DELIVERED = 'tr[data-sample="NB6TK328"][data-kind="lri"][data-status="delivered"]';

let ehr;
let server;
let browser;

before(async () => {
  ehr = await startEhr();
  server = await startServer({ ehrPort: ehr.port });
  browser = await launch();
  // Drop the inputs now, so the pipeline runs while the first tests do.
  const fixtures = fixturesDir();
  await server.drop(path.join(fixtures, 'illumina', RUN), server.dirs.runs);
  await server.drop(path.join(fixtures, 'vcf', VCF), server.dirs.vcf, VCF_NAME);
  await server.drop(path.join(fixtures, 'vcf', 'qiagen.vcf'), server.dirs.vcf, UNORDERED);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await ehr?.close();
});

test('health is public, the messages API needs a session', async () => {
  const health = await fetch(`${server.base}/health`);
  assert.equal(health.status, 200);
  assert.equal((await health.text()).trim(), 'ok');
  assert.equal((await fetch(`${server.base}/api/messages`)).status, 401);
  // A signed-out browser navigation to the dashboard is a real 302, before any script runs.
  const home = await fetch(`${server.base}/`, { headers: { Accept: 'text/html' }, redirect: 'manual' });
  assert.equal(home.status, 302);
  assert.equal(home.headers.get('location'), '/login');
});

test('state-changing requests from another origin, or with no origin, get 403', async () => {
  const body = new URLSearchParams({ username: 'admin', password: server.passwords.admin, csrf: 'x' });
  const post = (headers) => fetch(`${server.base}/api/login`, { method: 'POST', body, headers, redirect: 'manual' });
  assert.equal((await post({ Origin: 'http://evil.example' })).status, 403);
  assert.equal((await post({ Referer: 'http://evil.example/login' })).status, 403);
  assert.equal((await post({})).status, 403);
  // Same origin but no session token: refused by the CSRF token check instead.
  assert.equal((await post({ Origin: server.base, Accept: 'application/json' })).status, 403);
});

test('a wrong password shows an error and does not sign in', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, server.base, 'engineer', 'not-the-password');
  const error = page.locator('#login-error');
  await error.waitFor({ timeout: 10_000 });
  const text = await error.innerText();
  assert.match(text, /invalid username or password/i, `server log:\n${server.tail()}`);
  assert.equal(new URL(page.url()).pathname, '/login');
  await context.close();
});

test('engineer signs in, sees the run and the delivered LRI report, filters, signs out', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();

  // The login page already holds a pre-login session (its CSRF token); login must rotate it.
  await page.goto(`${server.base}/login`);
  const before = await sessionCookie(context);
  assert.ok(before, 'the login page sets a pre-login session cookie');
  assert.equal(before.httpOnly, true);
  assert.equal(before.sameSite, 'Strict');
  await signIn(page, server.base, 'engineer', server.passwords.engineer);
  await page.waitForURL(`${server.base}/`, { timeout: 10_000 });
  const afterLogin = await sessionCookie(context);
  assert.ok(afterLogin, 'signed-in session cookie');
  assert.notEqual(afterLogin.value, before.value, 'the session id changes at login');

  assert.match(await page.locator('#whoami').innerText(), /engineer/);
  assert.equal(await page.locator('#audit').count(), 0, 'engineers do not see the audit trail');

  // The watcher, the mapper and the MLLP sender run in the background: poll the page.
  const deadline = Date.now() + 45_000;
  while (!((await page.locator('#runs').innerText().catch(() => '')).includes('22F52TLT3')
    && (await page.locator(LRI_DELIVERED).count()) > 0
    && (await page.locator('#waiting').innerText().catch(() => '')).includes('ACC-2026-0999'))) {
    assert.ok(Date.now() < deadline, `no run 22F52TLT3 with a delivered LRI message for NB6TK328:\n${
      await page.locator('body').innerText()}\n--- server log ---\n${server.tail()}`);
    await page.waitForTimeout(1_000);
    await page.reload();
  }
  assert.match(await page.locator(LRI_DELIVERED).innerText(), /LRI/);
  // The unordered result waits on the dashboard with its reason, and nothing was sent for it.
  assert.match(await page.locator('#waiting').innerText(), /No order yet for accession ACC-2026-0999/);
  assert.ok(ehr.received.every((m) => !m.includes('ACC-2026-0999')), 'nothing sent without an order');
  // The headline number agrees with the list it summarizes.
  assert.equal(Number(await page.locator('#stats [data-stat="Awaiting order"] dd').innerText()),
    await page.locator('#waiting li').count());
  // No FHIR destination here: the Bundle is stored, not shown as on its way.
  assert.ok(await page.locator('#messages tr[data-kind="fhir"][data-status="stored"]').count() > 0,
    'the FHIR Bundle is stored, not sent');
  assert.ok(ehr.received.some((m) => mshField(m, 9)?.startsWith('ORU^R01')), 'the EHR received an ORU^R01');

  // The filter works only once hydrated.
  await hydrated(page);
  const rows = () => page.locator('#messages tbody tr');
  const all = await rows().count();
  await page.click('button[data-filter="delivered"]');
  await page.waitForSelector('button[data-filter="delivered"][aria-pressed="true"]');
  const statuses = await rows().evaluateAll((trs) => trs.map((tr) => tr.dataset.status));
  assert.ok(statuses.length > 0 && statuses.every((s) => s === 'delivered'), `only delivered rows: ${statuses}`);
  await page.click('button[data-filter="failed"]');
  await page.getByText('No messages match.').waitFor({ timeout: 5_000 });
  assert.equal(await rows().count(), 0);
  await page.click('button[data-filter="all"]');
  await page.waitForFunction((n) => document.querySelectorAll('#messages tbody tr').length >= n, all);

  // The JSON feed answers the signed-in browser.
  const api = await page.request.get(`${server.base}/api/messages`);
  assert.equal(api.status(), 200);
  assert.ok((await api.json()).some((m) => m.sample_id === 'NB6TK328' && m.kind === 'lri'));

  // Engineers look up the fields a mapping can read, with examples from the recorded run.
  await page.click('#sources-link');
  await page.waitForURL(`${server.base}/sources`, { timeout: 10_000 });
  const flowcell = page.locator('section[data-format="illumina-run-folder"] tr[data-path="run.flowcell_id"]');
  assert.match(await flowcell.innerText(), /22F52TLT3/);
  await page.goto(`${server.base}/`);
  await hydrated(page);

  await page.click('#logout-form button[type="submit"]');
  await page.waitForURL(`${server.base}/login`, { timeout: 10_000 });
  const nav = await page.goto(`${server.base}/`);
  assert.equal(new URL(page.url()).pathname, '/login', 'signed out: / redirects to /login');
  assert.equal(nav.request().redirectedFrom()?.url(), `${server.base}/`, 'by an HTTP redirect');
  // The old session id is dead server-side, not just forgotten by the browser.
  const stale = await fetch(`${server.base}/api/messages`, { headers: { Cookie: `${afterLogin.name}=${afterLogin.value}` } });
  assert.equal(stale.status, 401);
  await context.close();
});

test('an inspector sees the audit trail, including the failed and successful logins', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  // A failed attempt just before signing in, so it is among the newest events whatever the
  // pipeline has written meanwhile (the card lists the latest 50).
  await signIn(page, server.base, 'inspector', 'not-the-password');
  await page.locator('#login-error').waitFor({ timeout: 10_000 });
  await signIn(page, server.base, 'inspector', server.passwords.inspector);
  await page.waitForURL(`${server.base}/`, { timeout: 10_000 });
  const audit = await page.locator('#audit').innerText();
  assert.match(audit, /login_failed/);
  assert.match(audit, /user:engineer/);
  assert.doesNotMatch(audit, /not-the-password/);
  await context.close();
});

test('the LIMS panel shows a dead letter with the LIMS answer, and an engineer reprocesses it', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, server.base, 'engineer', server.passwords.engineer);
  await page.waitForURL(`${server.base}/`, { timeout: 10_000 });
  await hydrated(page);
  // The stand-in LIMS refuses ACC13087A21's documents (one per lane, from the shipped
  // per-sample mapping) once each with 422.
  const dead = '#lims tr[data-status="dead_letter"]';
  await page.waitForSelector(dead, { timeout: 45_000 });
  const row = page.locator(dead).first();
  assert.match(await row.locator('[data-testid="lims-answer"]').innerText(), /sample not registered/);
  assert.match(await row.innerText(), /422/);
  // The alert rule on LIMS dead letters has fired: shown above the figures, no reload.
  const alert = page.locator('#alerts [data-alert="lims-refusals"]');
  await alert.waitFor({ timeout: 20_000 });
  assert.match(await alert.innerText(), /dead letters? for lims in the last 60 min/);
  await fs.mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, 'dashboard-alert.png') });
  const id = await row.getAttribute('data-delivery');
  await row.getByRole('button', { name: 'Reprocess' }).click();
  await page.waitForSelector(`#lims tr[data-delivery="${id}"][data-status="delivered"]`, { timeout: 20_000 });
  const feed = await (await page.request.get(`${server.base}/api/lims`)).json();
  assert.equal(feed.find((d) => String(d.id) === id)?.status, 'delivered');
  // Only that one was reprocessed: the other seven lanes are still dead letters.
  const dead_left = feed.filter((d) => d.status === 'dead_letter');
  assert.equal(dead_left.length, 7);
  assert.ok(dead_left.every((d) => d.sample_id === 'ACC13087A21'));
  await context.close();
});

test('an engineer pauses the flow to the EHR, a result queues, then resumes it and nothing is lost', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, server.base, 'engineer', server.passwords.engineer);
  await page.waitForURL(`${server.base}/`, { timeout: 10_000 });
  await hydrated(page);
  const row = '#flows li[data-flow="vcf-to-lri"]';
  await page.locator(row).getByRole('button', { name: 'Pause' }).click();
  await page.waitForSelector(`${row}[data-paused="true"]`, { timeout: 10_000 });
  assert.match(await page.locator(row).innerText(), /Paused by engineer/);
  const sent = ehr.received.length;
  // A corrected result for the demo order arrives while the flow is paused.
  const text = await fs.readFile(path.join(fixturesDir(), 'vcf', VCF), 'utf8');
  const name = 'ACC-2026-0001_NB6TK328.corrected.vcf';
  const staged = path.join(server.dirs.staging, name);
  await fs.writeFile(staged, text.replace('\n', '\n##e2e=corrected while paused\n'));
  await fs.rename(staged, path.join(server.dirs.vcf, name));
  // It is built and queued, and the dashboard counts it with no reload; the EHR gets nothing.
  await page.waitForSelector(`${row} [data-queued="1"]`, { timeout: 30_000 });
  await page.waitForTimeout(1_500);
  assert.equal(ehr.received.length, sent, 'nothing is sent while the flow is paused');
  await fs.mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, 'dashboard-flow-paused.png') });
  await page.locator(row).getByRole('button', { name: 'Resume' }).click();
  await page.waitForSelector(`${row}[data-paused="false"] [data-queued="0"]`, { timeout: 30_000 });
  const deadline = Date.now() + 20_000;
  while (ehr.received.length === sent) {
    assert.ok(Date.now() < deadline, `not delivered after the resume:\n${server.tail()}`);
    await page.waitForTimeout(200);
  }
  assert.ok(mshField(ehr.received.at(-1), 9)?.startsWith('ORU^R01'));
  const metrics = await (await page.request.get(`${server.base}/metrics`)).text();
  assert.match(metrics, /genobridge_flow_paused\{flow="vcf-to-lri"\} 0/);
  await context.close();
});

test('sign-in also works as a plain form post, without JavaScript', async () => {
  const page = await fetch(`${server.base}/login`, { headers: { Accept: 'text/html' } });
  const cookie = page.headers.get('set-cookie')?.split(';')[0];
  const csrf = /name="csrf" value="([0-9a-f]+)"/.exec(await page.text())?.[1];
  assert.ok(cookie && csrf, 'the login page carries a session cookie and its CSRF token');
  const post = (password) => fetch(`${server.base}/api/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { Accept: 'text/html', Origin: server.base, Cookie: cookie },
    body: new URLSearchParams({ username: 'director', password, csrf }),
  });
  const bad = await post('wrong');
  assert.equal(bad.status, 302);
  assert.equal(bad.headers.get('location'), '/login?error=1');
  const good = await post(server.passwords.director);
  assert.equal(good.status, 302);
  assert.equal(good.headers.get('location'), '/');
  const rotated = good.headers.get('set-cookie')?.split(';')[0];
  assert.ok(rotated && rotated !== cookie, 'a new session id at login');
  const home = await fetch(`${server.base}/`, { headers: { Accept: 'text/html', Cookie: rotated } });
  assert.equal(home.status, 200);
  assert.match(await home.text(), /id="audit"/, 'directors see the audit trail');
});
