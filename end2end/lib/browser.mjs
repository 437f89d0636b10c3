// Debian's Chromium driven by playwright-core (no browser download on these machines).
import { chromium } from 'playwright-core';

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/** Waits until the app's hydration effect has run: before that, clicks do nothing. */
export async function hydrated(page) {
  await page.waitForSelector('main[data-hydrated="true"]', { timeout: 20_000 });
}

export async function signIn(page, base, username, password) {
  await page.goto(`${base}/login`);
  await hydrated(page);
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', password);
  await page.click('#login-form button[type="submit"]');
}

export async function sessionCookie(context) {
  return (await context.cookies()).find((c) => c.name === 'genobridge_session');
}
