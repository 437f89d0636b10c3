// Starts `genobridge serve --demo` on a free port with a throw-away config and data folders,
// and collects the demo passwords it prints.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import { existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');

/** The shared fixtures: $GENOBRIDGE_FIXTURES, else `shared/` beside the clone, else /work/shared. */
export function fixturesDir() {
  const candidates = [process.env.GENOBRIDGE_FIXTURES, path.join(ROOT, '..', 'shared', 'fixtures'), '/work/shared/fixtures'];
  return candidates.find((p) => p && existsSync(p));
}

async function freePort() {
  const srv = net.createServer();
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

async function waitFor(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function startServer({ ehrPort }) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'genobridge-e2e-'));
  const dirs = Object.fromEntries(['runs', 'vcf', 'data', 'staging'].map((d) => [d, path.join(dir, d)]));
  for (const d of Object.values(dirs)) await fs.mkdir(d);
  const port = await freePort();
  const limsPort = await freePort();
  const config = path.join(dir, 'genobridge.toml');
  await fs.writeFile(config, [
    `database_url = "sqlite://${path.join(dir, 'gb.db')}"`,
    `listen = "127.0.0.1:${port}"`,
    `site_root = "${path.join(ROOT, 'target', 'site')}"`,
    `data_dir = "${dirs.data}"`,
    '[watch]',
    `runs_dir = "${dirs.runs}"`,
    `vcf_dir = "${dirs.vcf}"`,
    'poll_interval_ms = 300',
    '[lri_destination]',
    'host = "127.0.0.1"',
    `port = ${ehrPort}`,
    'timeout_ms = 3000',
    'max_attempts = 3',
    // No fixtures_dir: with one, --demo would copy the run and the VCF itself; the test drops
    // them into the watched folders instead, so it exercises the watcher like a sequencer would.
    // The run is mapped by the shipped `illumina-run-to-lims` (active on a new database):
    // one document per sample and lane. The demo's stand-in LIMS refuses, once with 422,
    // the documents of a sample id ending in A21: ACC13087A21's eight lanes.
    '[lims]',
    'poll_interval_ms = 200',
    '[lims.destination]',
    `url = "http://127.0.0.1:${limsPort}/api/v1/runs"`,
    'backoff_base_ms = 100',
    // One refused LIMS document is enough to page someone: the dashboard shows the alert.
    '[alerts]',
    'evaluate_interval_ms = 300',
    '[[alerts.rules]]',
    'name = "lims-refusals"',
    'when = "dead_letters"',
    'queue = "lims"',
    'count = 1',
    'within = "1h"',
    '[demo]',
    'ehr_listener = false',
    'lims_listener = true',
    '',
  ].join('\n'));

  const bin = process.env.GENOBRIDGE_BIN ?? path.join(ROOT, 'target', 'debug', 'genobridge');
  const child = spawn(bin, ['serve', '--config', config, '--demo'], {
    cwd: ROOT,
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = [];
  const passwords = {};
  let exited = null;
  child.on('exit', (code, signal) => { exited = { code, signal }; });
  const collect = (stream) => {
    let rest = '';
    stream.on('data', (chunk) => {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop();
      for (const line of lines) {
        const m = /^demo user (\w+) password: (\S+)$/.exec(line.trim());
        if (m) passwords[m[1]] = m[2];
        else log.push(line);
      }
    });
  };
  collect(child.stdout);
  collect(child.stderr);

  const base = `http://127.0.0.1:${port}`;
  const server = {
    base, dir, dirs, passwords, log, child,
    /** Copies a fixture into a watched folder by way of a rename, so the watcher never sees half of it. */
    // Copies `src` aside, then moves it into the watched folder in one step, named `name`.
    async drop(src, watched, name = path.basename(src)) {
      const staged = path.join(dirs.staging, name);
      await fs.cp(src, staged, { recursive: true });
      await fs.rename(staged, path.join(watched, name));
    },
    async stop() {
      if (exited === null) {
        const done = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await done;
        clearTimeout(timer);
      }
      if (!process.env.E2E_KEEP) await fs.rm(dir, { recursive: true, force: true });
    },
    tail: (n = 30) => log.slice(-n).join('\n'),
  };
  try {
    await waitFor(async () => {
      if (exited) throw new Error(`genobridge exited early (${JSON.stringify(exited)}):\n${server.tail()}`);
      try { return (await fetch(`${base}/health`)).ok; } catch { return false; }
    }, 60_000, '/health');
    await waitFor(async () => ['admin', 'engineer', 'director', 'inspector'].every((r) => passwords[r]), 10_000, 'demo passwords on stdout');
  } catch (e) {
    await server.stop();
    throw e;
  }
  return server;
}
