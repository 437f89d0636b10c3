// End-to-end: the mapping screens, as an engineer and a lab director use them. An engineer's
// new version of the report mapping is imported as a draft (the visual editor is not built
// yet); the engineer submits it in the browser, the director reads the diff and approves it
// with an e-signature, then activates it. A version the director wrote cannot be signed by
// them: the button is disabled with the reason, and the server refuses too. Then the
// director retires the superseded version, and an engineer whose draft changes a golden
// sample's output promotes the new output (both audited) and can submit.
// Screenshots: end2end/test-results/studio-*.png. Run after scripts/build.sh with `npm run e2e`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { startEhr } from '../lib/ehr.mjs';
import { startServer, fixturesDir, ROOT } from '../lib/server.mjs';
import { launch, hydrated, signIn } from '../lib/browser.mjs';

const SHOTS = path.join(ROOT, 'end2end', 'test-results');
const run = promisify(execFile);

let ehr;
let server;
/** Set while the test submits a wrong password on purpose. */
let expectRefusal = false;
let browser;

/** `genobridge mapping …` against the test server's database, as `user` when given. */
async function cli(args, user) {
  const bin = process.env.GENOBRIDGE_BIN ?? path.join(ROOT, 'target', 'debug', 'genobridge');
  const env = { ...process.env, RUST_LOG: 'warn' };
  if (user) env.GENOBRIDGE_PASSWORD = server.passwords[user];
  const { stdout } = await run(bin, ['mapping', ...args, ...(user ? ['--user', user] : []),
    '--config', path.join(server.dir, 'genobridge.toml')], { env });
  return stdout;
}

/** Exports the active version of `name`, changes it with `edit`, imports it as `user`. */
async function newDraft(name, user, edit) {
  const exported = await cli(['export', name]);
  const body = exported.split('\n').filter((l) => !l.startsWith('#')).join('\n');
  const edited = edit(body);
  assert.notEqual(edited, body, 'the edit changes the mapping');
  const file = path.join(server.dir, `${name}-${user}.toml`);
  await fs.writeFile(file, edited);
  return cli(['import', file], user);
}

/** A page at 1280 px that fails the test on any console error. */
async function newPage(errors) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const url = m.location()?.url ?? '';
    // The deliberate wrong password below: the server answers 403, which Chromium logs.
    if (expectRefusal && url.endsWith('/api/mapping_sign') && /status of 403/.test(m.text())) {
      expectRefusal = false;
      return;
    }
    errors.push(`${m.text()} (${url})`);
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  return { context, page };
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, `studio-${name}.png`), fullPage: true });
}

before(async () => {
  await fs.mkdir(SHOTS, { recursive: true });
  ehr = await startEhr();
  server = await startServer({ ehrPort: ehr.port });
  browser = await launch();
  // One real input for the impact replay: a report from the demo order's VCF.
  await server.drop(path.join(fixturesDir(), 'vcf', 'NB6TK328_filtered.vcf'), server.dirs.vcf,
    'ACC-2026-0001_NB6TK328.vcf');
  // The engineer's change: the gene from VEP's symbol before SnpEff's, and a clearer note.
  const out = await newDraft('vcf-report', 'engineer', (body) => body
    .replace('text = ["ann[].gene_name", "csq[].SYMBOL"]', 'text = ["csq[].SYMBOL", "ann[].gene_name"]')
    .replace('pathogenic = "LA6668-3"\n', 'pathogenic = "LA6668-3"\n"conflicting_classifications" = "LA26333-7"\n'));
  assert.match(out, /vcf-report v2: new draft/);
  // A version the director wrote, submitted by the engineer: the director may not sign it.
  await newDraft('illumina-run-to-lims', 'director', (body) => body.replace(/^description = ".*"$/m,
    'description = "Run registration, with the director\'s wording."'));
  await cli(['submit', 'illumina-run-to-lims', '2'], 'engineer');
  // A golden sample for the qPCR mapping, then a draft whose output differs from it.
  const plate = path.join(fixturesDir(), 'qc', 'quantstudio', 'appbio_quantstudio_example01.txt');
  assert.match(await cli(['golden-add', 'quantstudio-to-lims', plate, '--label', 'plate-1'], 'engineer'),
    /golden sample "plate-1" added/);
  await newDraft('quantstudio-to-lims', 'engineer', (body) => body
    .replace('value = "genobridge"', 'value = "genobridge-qpcr"'));
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await ehr?.close();
});

test('the engineer submits, the director reads the diff, signs and activates; an author cannot sign', async () => {
  const errors = [];

  // --- The engineer: the list says who waits on whom; submit v2 in the browser.
  const eng = await newPage(errors);
  await signIn(eng.page, server.base, 'engineer', server.passwords.engineer);
  await eng.page.waitForURL(`${server.base}/`, { timeout: 10_000 });
  await eng.page.click('#nav-mappings');
  await eng.page.waitForURL(`${server.base}/mappings`);
  await hydrated(eng.page);
  const row = eng.page.locator('tr[data-mapping="vcf-report"]');
  assert.match(await row.locator('[data-testid="waiting"]').innerText(), /v2 draft by engineer, not yet submitted/);
  assert.match(await eng.page.locator('tr[data-mapping="illumina-run-to-lims"] [data-testid="waiting"]').innerText(),
    /v2 submitted by director, awaiting another director/);
  assert.equal(await eng.page.locator('#sources-link').count(), 1, 'engineers see the source fields');
  await row.locator('a').click();
  await eng.page.waitForURL(`${server.base}/mappings/vcf-report`);
  await hydrated(eng.page);
  assert.equal(await eng.page.locator('#approve').count(), 0, 'engineers do not sign');
  await eng.page.click('#submit');
  await eng.page.waitForSelector('#focus[data-state="submitted"]', { timeout: 15_000 });
  assert.equal(await eng.page.locator('#mapping-audit').count(), 0, 'engineers do not read the audit trail');
  await shot(eng.page, '1-engineer-submitted');
  await eng.context.close();

  // --- The director: reads the list, opens v2, reads the diff.
  const dir = await newPage(errors);
  const page = dir.page;
  await signIn(page, server.base, 'director', server.passwords.director);
  await page.waitForURL(`${server.base}/`, { timeout: 10_000 });
  assert.equal(await page.locator('#sources-link').count(), 0, 'directors do not see source fields');
  await page.click('#nav-mappings');
  await page.waitForURL(`${server.base}/mappings`);
  assert.match(await page.locator('tr[data-mapping="vcf-report"] [data-testid="waiting"]').innerText(),
    /v2 submitted by engineer, awaiting director/);
  await shot(page, '2-mapping-list');
  await page.click('tr[data-mapping="vcf-report"] a');
  await page.waitForURL(`${server.base}/mappings/vcf-report`);
  await hydrated(page);
  const diff = page.locator('#diff-table');
  await diff.waitFor({ timeout: 15_000 });
  const textRow = diff.locator('tr[data-key="rules[48018-6].text"]');
  assert.equal(await textRow.getAttribute('data-kind'), 'changed');
  assert.match(await textRow.locator('.old').innerText(), /ann\[\]\.gene_name.*csq\[\]\.SYMBOL/);
  assert.match(await textRow.locator('.new').innerText(), /csq\[\]\.SYMBOL.*ann\[\]\.gene_name/);
  const added = diff.locator('tr[data-kind="added"]');
  assert.match(await added.innerText(), /conflicting_classifications/);
  await shot(page, '3-director-diff');

  // --- Impact replay: v2 beside the active v1 on the inputs the engine processed.
  const summary = page.locator('[data-testid="replay-summary"]');
  const until = Date.now() + 45_000;
  for (;;) {
    await page.click('#replay-run');
    await summary.waitFor({ timeout: 30_000 });
    const text = await summary.innerText();
    if (/of [1-9]\d* inputs would change/.test(text)) break;
    assert.ok(Date.now() < until, `the replay never saw the processed VCF: ${text}`);
    await page.waitForTimeout(1_000);
  }
  assert.match(await summary.innerText(), /\d+ of \d+ inputs would change · \d+ unchanged · 0 could not be replayed/);
  await shot(page, '3b-impact-replay');

  // --- Approve: the dialog shows the exact hash; the session's first signature asks for
  // the user name and the password.
  const sha = (await page.locator('[data-testid="sha256"]').innerText()).trim();
  assert.match(sha, /^[0-9a-f]{64}$/);
  await page.click('#approve');
  const dialog = page.locator('#sign-dialog');
  await dialog.waitFor();
  assert.equal((await dialog.locator('[data-testid="signing-sha256"]').innerText()).trim(), sha);
  assert.equal(await dialog.locator('#sign-username').count(), 1, 'first signing: user name too');
  // A wrong password is refused in the dialog, and nothing is signed.
  await page.fill('#sign-username', 'director');
  await page.fill('#sign-password', 'not-the-password');
  expectRefusal = true;
  await page.click('#sign-submit');
  await page.locator('#sign-error').waitFor({ timeout: 10_000 });
  assert.match(await page.locator('#sign-error').innerText(), /password is wrong/);
  await page.fill('#sign-password', server.passwords.director);
  await shot(page, '4-signature-dialog');
  await page.click('#sign-submit');
  await dialog.waitFor({ state: 'detached', timeout: 15_000 });
  await page.waitForSelector('#focus[data-state="approved"]', { timeout: 15_000 });
  const v2 = page.locator('#timeline li[data-version="2"]');
  assert.equal(await v2.getAttribute('data-state'), 'approved');
  const signature = await v2.locator('.signature').innerText();
  assert.match(signature, /Demo Director/);
  assert.match(signature, /approved for clinical use/);
  assert.match(signature, /\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ UTC/);
  const approval = page.locator('#mapping-audit tr[data-action="mapping.approve"]');
  assert.match(await approval.innerText(), /user:director[\s\S]*v2[\s\S]*Demo Director — approved for clinical use/);
  assert.equal(await page.locator('#mapping-audit tr[data-action="mapping.signature_refused"]').count(), 1);
  await shot(page, '5-approved');

  // --- Activate, after a confirmation that names what changes.
  await page.click('#activate');
  const confirm = page.locator('#activate-confirm');
  assert.match(await confirm.innerText(), /in place of v1[\s\S]*stays approved/);
  await shot(page, '6-activate-confirm');
  await page.click('#activate-confirm-button');
  await page.waitForSelector('#timeline li[data-version="2"][data-state="active"]', { timeout: 15_000 });
  assert.equal(await page.locator('#timeline li[data-version="1"]').getAttribute('data-state'), 'approved');

  // --- The director's own version: disabled with the reason, and refused by the server.
  await page.goto(`${server.base}/mappings/illumina-run-to-lims`);
  await hydrated(page);
  const approve = page.locator('#approve');
  assert.equal(await approve.isDisabled(), true);
  assert.match(await page.locator('#sign-blocked').innerText(), /you wrote or edited this version/);
  await shot(page, '7-author-cannot-sign');
  const session = await (await page.request.post(`${server.base}/api/session`, { headers: { Origin: server.base } })).json();
  const refused = await page.request.post(`${server.base}/api/mapping_sign`, {
    headers: { Origin: server.base },
    form: {
      name: 'illumina-run-to-lims', version: '2', approve: 'true', meaning: 'approved for clinical use',
      username: 'director', password: server.passwords.director, csrf: session.csrf,
    },
  });
  assert.equal(refused.status(), 403);
  assert.match(await refused.text(), /you wrote or edited this version/);
  await page.reload();
  assert.equal(await page.locator('#timeline li[data-version="2"]').getAttribute('data-state'), 'submitted');

  // The dashboard's audit trail shows the signature too.
  await page.goto(`${server.base}/`);
  await page.locator('#audit').waitFor({ timeout: 15_000 });
  assert.match(await page.locator('#audit').innerText(), /mapping\.approve/);
  await dir.context.close();

  assert.deepEqual(errors, [], 'no console errors');
});

test('the director retires a superseded version; the engineer promotes a golden sample and submits', async () => {
  const errors = [];

  // --- The director: v1 of the report mapping was replaced by v2 above; retire it.
  const dir = await newPage(errors);
  await signIn(dir.page, server.base, 'director', server.passwords.director);
  await dir.page.waitForURL(`${server.base}/`, { timeout: 10_000 });
  await dir.page.goto(`${server.base}/mappings/vcf-report?v=2`);
  await hydrated(dir.page);
  assert.equal(await dir.page.locator('#retire').count(), 0, 'the version that runs cannot be retired');
  await dir.page.goto(`${server.base}/mappings/vcf-report?v=1`);
  await hydrated(dir.page);
  await dir.page.click('#retire');
  assert.match(await dir.page.locator('#retire-confirm').innerText(), /never be activated again/);
  await shot(dir.page, '8-retire-confirm');
  await dir.page.click('#retire-confirm-button');
  await dir.page.waitForSelector('#timeline li[data-version="1"][data-state="retired"]', { timeout: 15_000 });
  assert.equal(await dir.page.locator('#timeline li[data-version="2"]').getAttribute('data-state'), 'active');
  assert.equal(await dir.page.locator('#activate').count(), 0, 'a retired version offers no activation');
  assert.match(await dir.page.locator('#no-actions').innerText(), /never activated again/);
  assert.match(await dir.page.locator('#mapping-audit tr[data-action="mapping.retire"]').innerText(), /user:director[\s\S]*v1/);
  await shot(dir.page, '9-retired');
  await dir.context.close();

  // --- The engineer: the draft's output differs from the golden sample, so submitting is
  // refused until the engineer promotes the new output.
  const eng = await newPage(errors);
  await signIn(eng.page, server.base, 'engineer', server.passwords.engineer);
  await eng.page.waitForURL(`${server.base}/`, { timeout: 10_000 });
  await eng.page.goto(`${server.base}/mappings/quantstudio-to-lims?v=2`);
  await hydrated(eng.page);
  const golden = eng.page.locator('#golden li[data-golden="plate-1"]');
  assert.equal(await golden.getAttribute('data-pass'), 'false');
  assert.match(await golden.innerText(), /source[\s\S]*genobridge[\s\S]*genobridge-qpcr/);
  // Coverage: the plate's fields no rule reads are counted and listed (the export's
  // experiment settings, for one).
  const unread = golden.locator('[data-testid="unread"]');
  assert.ok(Number(await unread.getAttribute('data-count')) > 0);
  await unread.locator('summary').click();
  assert.match(await unread.innerText(), /source fields of this sample are read by no rule[\s\S]*experiment\./);
  await shot(eng.page, '10-golden-fails');
  await golden.locator('button.promote').click();
  await eng.page.waitForSelector('#golden li[data-golden="plate-1"][data-pass="true"]', { timeout: 15_000 });
  await eng.page.click('#submit');
  await eng.page.waitForSelector('#focus[data-state="submitted"]', { timeout: 15_000 });
  await shot(eng.page, '11-promoted-and-submitted');
  await eng.context.close();

  const log = await cli(['show', 'quantstudio-to-lims']);
  assert.match(log, /golden sample: "plate-1"[\s\S]*expected set by engineer/);
  assert.deepEqual(errors, [], 'no console errors');
});
