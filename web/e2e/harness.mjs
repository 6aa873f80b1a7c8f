// End-to-end harness: a real Ponte server (test-support/server.mjs, PONTE_CLASSPATH) serving
// the built app from web/dist (--web-dir), and real headless Chromium (playwright-core driving
// /usr/bin/chromium, or PONTE_CHROMIUM). Missing pieces fail the test with what to do; nothing
// is skipped.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { PonteTestServer } from '../test-support/server.mjs';

const web = join(dirname(fileURLToPath(import.meta.url)), '..');
export const DIST = join(web, 'dist');
export const SHOTS = join(web, 'target', 'e2e-screenshots');
export const CHROMIUM = process.env.PONTE_CHROMIUM || '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];

/** The server, serving web/dist. */
export async function startServer() {
  if (!existsSync(join(DIST, 'index.html'))) {
    throw new Error(`no built app in ${DIST}: run npm run build first (Maven's web module does)`);
  }
  return PonteTestServer.start({ args: ['--web-dir', DIST] });
}

/**
 * Chromium. Each launch runs on a fresh temporary --user-data-dir that playwright-core creates
 * and deletes (it refuses one in args; launchPersistentContext would give one context only), and
 * each participant gets its own context (own storage and cookies).
 */
export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install it (apt-get install chromium) or set PONTE_CHROMIUM`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/** A screenshot to web/target/e2e-screenshots/<name>.png. */
export async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  const file = join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}

export function inviteLink(server, room, token) {
  return `${server.httpUrl}/#room=${encodeURIComponent(room)}&token=${token}`;
}

/**
 * A participant's page: a new context, the invite link opened, Join clicked, the chat shown.
 * @param {{user: string, name: string, role: 'teacher'|'student'|'observer', viewport?: object,
 *   locale?: string, join?: boolean}} who
 */
export async function openAs(browser, server, room, who) {
  const context = await browser.newContext({
    viewport: who.viewport || { width: 1280, height: 800 },
    locale: who.locale || 'en-GB',
    timezoneId: 'Europe/Amsterdam',
  });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (err) => errors.push(String(err)));
  page.on('console', (msg) => { if (msg.type() === 'error') errors.push(msg.text()); });
  const token = server.token({ user: who.user, name: who.name, rooms: { [room]: who.role }, guest: !!who.guest });
  await page.goto(inviteLink(server, room, token));
  if (who.join !== false) await joinClass(page);
  return { context, page, errors, token };
}

export async function joinClass(page) {
  await page.getByTestId('join').and(page.locator(':not([disabled])')).click({ timeout: 20_000 });
  await page.getByTestId('composer-input').waitFor({ timeout: 20_000 });
}

/** Sends a chat message with the composer (Enter). */
export async function send(page, text) {
  const input = page.getByTestId('composer-input');
  await input.fill(text);
  await input.press('Enter');
}

/** The texts of the delivered messages in the page's chat, in order. */
export function messageTexts(page) {
  return page.locator('[data-testid=messages] [data-testid=message] [data-testid=message-text]').allTextContents();
}

export function pendingTexts(page) {
  return page.locator('[data-testid=pending] [data-testid=message-text]').allTextContents();
}

/** Waits until the page shows a delivered message with exactly this text. */
export async function waitForMessage(page, text, timeout = 20_000) {
  await page.locator('[data-testid=messages] [data-testid=message-text]', { hasText: text }).first()
    .waitFor({ timeout });
}

export function uniqueRoom(prefix) {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}
