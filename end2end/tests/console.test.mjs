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

test('engineer signs in, follows the run and the delivered LRI report live, signs out', async () => {
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

  // The watcher, the mapper and the MLLP sender run in the background. The dashboard
  // follows them by itself (server-sent events): no reload.
  await hydrated(page);
  await page.waitForSelector('#live[data-live="live"]', { timeout: 10_000 });
  const lri = '#flows li[data-flow="vcf-to-lri"]';
  try {
    await page.waitForSelector(`${lri} [data-delivered="1"]`, { timeout: 45_000 });
    await page.waitForFunction(() => document.querySelector('#stats [data-stat="Runs"] dd')?.textContent === '1',
      null, { timeout: 20_000 });
    await page.waitForFunction(() => document.querySelector('#waiting')?.textContent.includes('ACC-2026-0999'),
      null, { timeout: 20_000 });
  } catch (e) {
    assert.fail(`no run, delivered LRI message and waiting report on the dashboard: ${e}\n${
      await page.locator('body').innerText()}\n--- server log ---\n${server.tail()}`);
  }
  // The unordered result waits on the dashboard with its reason, and nothing was sent for it.
  assert.match(await page.locator('#waiting').innerText(), /No order yet for accession ACC-2026-0999/);
  assert.ok(ehr.received.every((m) => !m.includes('ACC-2026-0999')), 'nothing sent without an order');
  assert.ok(ehr.received.some((m) => mshField(m, 9)?.startsWith('ORU^R01')), 'the EHR received an ORU^R01');
  const stat = async (label) => Number(await page.locator(`#stats [data-stat="${label}"] dd`).innerText());

  // The JSON feed answers the signed-in browser; the headline numbers agree with it.
  const api = await page.request.get(`${server.base}/api/messages`);
  assert.equal(api.status(), 200);
  const messages = await api.json();
  assert.ok(messages.some((m) => m.sample_id === 'NB6TK328' && m.kind === 'lri' && m.status === 'delivered'));
  // No FHIR destination here: the Bundle is stored, not shown as on its way.
  const stored = messages.filter((m) => m.status === 'stored');
  assert.ok(stored.length > 0 && stored.every((m) => m.kind === 'fhir'), 'the FHIR Bundle is stored, not sent');
  assert.equal(await stat('Stored, not sent'), stored.length);
  // The LIMS documents are still going out: compare once the queue and the card agree,
  // within a few snapshots.
  const queued = async () => (await (await page.request.get(`${server.base}/api/messages`)).json())
    .filter((m) => m.status === 'pending').length
    + (await (await page.request.get(`${server.base}/api/lims?limit=2000`)).json()).filter((d) => d.status === 'pending').length;
  const until = Date.now() + 30_000;
  for (let want = await queued(); ; want = await queued()) {
    await page.waitForTimeout(1_500);
    if (await stat('Queued') === want && await queued() === want) break;
    assert.ok(Date.now() < until, `the Queued card (${await stat('Queued')}) never agreed with the lists (${want})`);
  }
  const fhir = page.locator('#flows li[data-flow="vcf-to-fhir"]');
  assert.match(await fhir.innerText(), /No destination configured/);
  assert.equal(await fhir.locator('[data-queued]').getAttribute('data-queued'), '0');

  // Each headline number is the size of the list it links to.
  const awaiting = await stat('Awaiting order');
  await page.click('#stats [data-stat="Awaiting order"]');
  await page.waitForURL(`${server.base}/waiting`, { timeout: 10_000 });
  await page.waitForSelector('[data-pager]', { timeout: 10_000 });
  assert.equal(await page.locator('#waiting li').count(), awaiting);
  assert.match(await page.locator('[data-pager]').innerText(), new RegExp(`${awaiting} in all`));
  await page.click('#nav-runs');
  await page.waitForURL(`${server.base}/runs`, { timeout: 10_000 });
  await page.waitForSelector('#runs', { timeout: 10_000 });
  assert.match(await page.locator('#runs').innerText(), /22F52TLT3/);
  await page.click('#nav-dashboard');
  await page.waitForURL(`${server.base}/`, { timeout: 10_000 });

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
  // The dashboard's latest events, as the server rendered them at sign-in.
  const audit = await page.locator('#audit').innerText();
  assert.match(audit, /login_failed/);
  assert.match(audit, /inspector\s+login\s+user:inspector/);
  assert.doesNotMatch(audit, /not-the-password/);
  await context.close();
});

test('the LIMS page shows a dead letter with the LIMS answer, and an engineer reprocesses it', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signIn(page, server.base, 'engineer', server.passwords.engineer);
  await page.waitForURL(`${server.base}/`, { timeout: 10_000 });
  await hydrated(page);
  // The stand-in LIMS refuses ACC13087A21's documents (one per lane, from the shipped
  // per-sample mapping) once each with 422. The dashboard lists them among the recent
  // errors and raises the alert rule on LIMS dead letters, with no reload.
  const error = '#errors li[data-error-flow="run-to-lims"][data-error-status="dead_letter"] a';
  await page.waitForSelector(error, { timeout: 45_000 });
  const alert = page.locator('#alerts [data-alert="lims-refusals"]');
  await alert.waitFor({ timeout: 20_000 });
  assert.match(await alert.innerText(), /dead letters? for lims in the last 60 min/);
  await fs.mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, 'dashboard-alert.png') });
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  assert.ok(height <= 800, `the dashboard is ${height} px tall at 1280×800 with an open alert`);
  // The error links to its delivery on the LIMS page.
  const href = await page.locator(error).first().getAttribute('href');
  const id = /#delivery-(\d+)$/.exec(href)?.[1];
  assert.ok(id, href);
  await page.locator(error).first().click();
  await page.waitForURL((u) => u.pathname === '/lims', { timeout: 10_000 });
  await hydrated(page);
  const row = page.locator(`#lims tr[data-delivery="${id}"]`);
  assert.equal(await row.getAttribute('data-status'), 'dead_letter');
  assert.match(await row.locator('[data-testid="lims-answer"]').innerText(), /sample not registered/);
  assert.match(await row.innerText(), /422/);
  await page.screenshot({ path: path.join(SHOTS, 'lims-dead-letter.png') });
  await row.getByRole('button', { name: 'Reprocess' }).click();
  await page.waitForSelector(`#lims tr[data-delivery="${id}"][data-status="pending"], #lims tr[data-delivery="${id}"][data-status="delivered"]`,
    { timeout: 20_000 });
  const deadline = Date.now() + 20_000;
  let feed;
  for (;;) {
    feed = await (await page.request.get(`${server.base}/api/lims?limit=2000`)).json();
    if (feed.find((d) => String(d.id) === id)?.status === 'delivered') break;
    assert.ok(Date.now() < deadline, `delivery ${id} not delivered after the reprocess:\n${server.tail()}`);
    await page.waitForTimeout(200);
  }
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

test('the dashboard fits one 1280×800 screen for every role, and links to paged lists', async () => {
  await fs.mkdir(SHOTS, { recursive: true });
  for (const role of ['admin', 'engineer']) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const problems = [];
    page.on('console', (m) => { if (['error', 'warning'].includes(m.type())) problems.push(m.text()); });
    page.on('pageerror', (e) => problems.push(String(e)));
    await signIn(page, server.base, role, server.passwords[role]);
    await page.waitForURL(`${server.base}/`, { timeout: 10_000 });
    await hydrated(page);
    await page.waitForSelector('#live[data-live="live"]', { timeout: 10_000 });
    // A few snapshots in, the page is still the server's render, updated in place.
    await page.waitForTimeout(2_500);
    assert.deepEqual(problems, [], `${role}: the browser console stays clean`);
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    await page.screenshot({ path: path.join(SHOTS, `dashboard-${role}.png`) });
    assert.ok(height <= 800, `${role}: the dashboard is ${height} px tall at 1280×800`);
    // Every flow has its sparkline, rates, latency and queue.
    assert.equal(await page.locator('#flows li[data-flow] svg[data-sparkline] path').count(), 10);
    assert.match(await page.locator('#flows li[data-flow="vcf-to-lri"] [data-latency]').innerText(), /p50 .* p95 /);
    assert.match(await page.locator('#flows li[data-flow="vcf-to-lri"]').innerText(), /vcf-report v\d/);
    await context.close();
  }
});

test('runs, QC, quarantine, waiting and LIMS pages render and page', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signIn(page, server.base, 'director', server.passwords.director);
  await page.waitForURL(`${server.base}/`, { timeout: 10_000 });
  const pages = { runs: '#runs', qc: null, quarantine: null, waiting: '#waiting', lims: '#lims' };
  for (const [name, list] of Object.entries(pages)) {
    await page.click(`#nav-${name}`);
    await page.waitForURL(`${server.base}/${name}`, { timeout: 10_000 });
    await page.waitForSelector('[data-pager]', { timeout: 10_000 });
    if (list) assert.ok(await page.locator(`${list} tr, ${list} li`).count() > 0, `${name}: rows`);
    await page.screenshot({ path: path.join(SHOTS, `list-${name}.png`), fullPage: true });
  }
  // The run's LIMS documents (one per sample and lane) fill more than one page.
  await page.goto(`${server.base}/lims`);
  await hydrated(page);
  const ids = () => page.locator('#lims tr[data-delivery]').evaluateAll((rows) => rows.map((r) => Number(r.dataset.delivery)));
  const first = await ids();
  assert.equal(first.length, 25);
  assert.equal(await page.locator('[data-page="newer"]').count(), 0, 'the first page has no newer page');
  await page.click('[data-page="older"]');
  await page.waitForURL(/\/lims\?before=\d+/, { timeout: 10_000 });
  await page.waitForFunction((min) => Number(document.querySelector('#lims tr[data-delivery]')?.dataset.delivery) < min,
    Math.min(...first), { timeout: 10_000 });
  const second = await ids();
  assert.ok(second.length > 0 && Math.max(...second) < Math.min(...first), 'the next page is older, without overlap');
  await page.click('[data-page="newer"]');
  await page.waitForURL(/\/lims\?after=\d+/, { timeout: 10_000 });
  await page.waitForFunction((n) => document.querySelectorAll('#lims tr[data-delivery]').length === n, first.length);
  assert.deepEqual(await ids(), first, 'back to the first page');
  await context.close();
});

test('a failing destination shows on the dashboard within 2 s, with no page reload', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signIn(page, server.base, 'engineer', server.passwords.engineer);
  await page.waitForURL(`${server.base}/`, { timeout: 10_000 });
  await hydrated(page);
  await page.waitForSelector('#live[data-live="live"]', { timeout: 10_000 });
  let navigations = 0;
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) navigations += 1; });
  await page.evaluate(() => { window.__sameDocument = true; });
  const row = '#flows li[data-flow="vcf-to-lri"]';
  assert.notEqual(await page.locator(row).getAttribute('data-health'), 'failing');

  // The EHR goes away: its port now refuses connections. A corrected result arrives.
  const port = ehr.port;
  await ehr.close();
  const text = await fs.readFile(path.join(fixturesDir(), 'vcf', VCF), 'utf8');
  const name = 'ACC-2026-0001_NB6TK328.refused.vcf';
  const staged = path.join(server.dirs.staging, name);
  await fs.writeFile(staged, text.replace('\n', '\n##e2e=sent while the EHR is down\n'));
  await fs.rename(staged, path.join(server.dirs.vcf, name));

  // The first refused attempt starts the failing streak (failing_since, the server's
  // clock); the dashboard must show it within 2 s of that, pushed, not reloaded.
  const failing = await page.waitForSelector(`${row}[data-health="failing"]`, { timeout: 30_000, polling: 'mutation' })
    .then(async (el) => ({ seen: Date.now(), since: await el.getAttribute('data-failing-since') }));
  const lag = failing.seen - Date.parse(failing.since);
  assert.ok(lag <= 2_000, `the failure showed ${lag} ms after it happened`);
  assert.match(await page.locator(row).innerText(), /Failing since/);
  // And among the recent errors, linked to the message.
  const error = page.locator('#errors li[data-error-flow="vcf-to-lri"] a').first();
  await error.waitFor({ timeout: 5_000 });
  assert.match(await error.getAttribute('href'), /^\/messages\/\d+$/);
  assert.equal(navigations, 0, 'no navigation');
  assert.equal(await page.evaluate(() => window.__sameDocument), true, 'the same document: no reload');
  await fs.mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, 'dashboard-destination-failing.png') });
  console.log(`# failing destination shown ${lag} ms after the refused attempt`);

  // The failed message, opened from the error, is dead-lettered after its 3 attempts. The
  // destination is fixed (the EHR comes back on the same port), the engineer reprocesses
  // it, and the rebuilt message turns delivered on the open page.
  await error.click();
  await page.waitForURL(/\/messages\/\d+$/, { timeout: 10_000 });
  await hydrated(page);
  await page.waitForSelector('#message-header[data-status="dead_letter"]', { timeout: 60_000 });
  ehr = await startEhr({ port });
  await page.click('#reprocess-form button[type="submit"]');
  await page.waitForSelector('#reprocessed-link', { timeout: 10_000 });
  await page.click('#reprocessed-link');
  await page.waitForSelector('#message-header[data-status="delivered"]', { timeout: 30_000 });
  assert.equal(await page.locator('#attempts tr[data-ack="AA"]').count(), 1);
  await page.screenshot({ path: path.join(SHOTS, 'dashboard-failing-then-reprocessed.png') });
  await context.close();
});
