// Initial load, measured in Chromium against the server (gzip on, as in production): the
// compressed JavaScript transferred before the first message can be sent, and the time from
// opening the invite link to the first chat message on screen. Also: the whiteboard and
// documents panels are not part of it and load on demand.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { inviteLink, joinClass, launchBrowser, openAs, send, shot, startServer, uniqueRoom, waitForMessage } from './harness.mjs';

const BUDGET_GZIP = 250 * 1024;
let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.dispose();
});

test('initial load: compressed JS before the first send, and time to the first message', async () => {
  const room = uniqueRoom('load');
  await server.createRoom(room, { title: 'Load', languages: ['en'] });
  const teacher = await openAs(browser, server, room, { user: 'u-ana', name: 'Ana', role: 'teacher' });
  await send(teacher.page, 'Welcome! The first message a newcomer sees.');
  await waitForMessage(teacher.page, 'Welcome! The first message a newcomer sees.');

  // A newcomer with an empty cache.
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const responses = [];
  page.on('requestfinished', async (req) => {
    const sizes = await req.sizes().catch(() => null);
    const res = await req.response();
    responses.push({
      url: req.url(), type: req.resourceType(), bytes: sizes ? sizes.responseBodySize : 0,
      encoding: res ? (await res.allHeaders())['content-encoding'] || '' : '',
    });
  });
  const token = server.token({ user: 'u-new', name: 'Newcomer', rooms: { [room]: 'student' } });
  const started = Date.now();
  await page.goto(inviteLink(server, room, token));
  await joinClass(page);
  await waitForMessage(page, 'Welcome! The first message a newcomer sees.');
  const wallMs = Date.now() - started;
  await page.waitForFunction(() => !document.querySelector('[data-testid=composer-input]').disabled);
  await page.waitForTimeout(200); // let requestfinished handlers settle
  const marks = await page.evaluate(() => ({
    firstMessage: performance.getEntriesByName('ponte:first-message')[0]?.startTime,
    joined: performance.getEntriesByName('ponte:joined')[0]?.startTime,
    domContentLoaded: performance.getEntriesByType('navigation')[0]?.domContentLoadedEventEnd,
  }));
  const scripts = responses.filter((r) => r.type === 'script');
  const jsBytes = scripts.reduce((n, r) => n + r.bytes, 0);
  const allBytes = responses.reduce((n, r) => n + r.bytes, 0);
  assert.ok(scripts.length >= 1, 'the app script was fetched');
  for (const s of scripts) assert.equal(s.encoding, 'gzip', `${s.url} travels gzip-compressed`);
  assert.ok(!scripts.some((s) => /\/(board|docs)-/.test(s.url)), 'no board or docs code in the initial load');
  assert.ok(jsBytes <= BUDGET_GZIP, `initial JS ${jsBytes} B <= ${BUDGET_GZIP} B`);
  assert.ok(marks.firstMessage > 0 && marks.firstMessage < 15_000, `first message at ${marks.firstMessage} ms`);

  const report = {
    initialJsTransferredBytes: jsBytes,
    initialJsTransferredKiB: +(jsBytes / 1024).toFixed(1),
    allTransferredBeforeFirstSendKiB: +(allBytes / 1024).toFixed(1),
    requests: responses.map((r) => `${r.type} ${new URL(r.url).pathname} ${r.bytes} B ${r.encoding}`),
    msToDomContentLoaded: Math.round(marks.domContentLoaded),
    msToJoined: Math.round(marks.joined),
    msToFirstMessageShown: Math.round(marks.firstMessage),
    wallMsFromGotoToFirstMessage: wallMs,
    note: 'localhost, headless Chromium, empty cache; the time includes the test clicking Join on the name screen',
  };
  console.log(`initial load: ${JSON.stringify(report, null, 2)}`);
  mkdirSync(join('target'), { recursive: true });
  writeFileSync(join('target', 'e2e-initial-load.json'), JSON.stringify(report, null, 2));

  // On demand: the whiteboard panel's code arrives only when opened.
  const before = responses.length;
  await page.getByTestId('panel-board').click();
  await page.getByTestId('board-panel').waitFor();
  await page.waitForTimeout(200);
  assert.ok(responses.slice(before).some((r) => /\/app\/board-[A-Z0-9]+\.js$/.test(r.url)), 'board chunk loaded on demand');
  assert.equal(await page.getByTestId('panel-board').getAttribute('aria-expanded'), 'true');
  await page.getByTestId('panel-docs').click();
  await page.getByTestId('docs-panel').waitFor();
  assert.equal(await page.getByTestId('board-panel').count(), 0, 'the board panel was unmounted');
  await shot(page, 'panels-on-demand');
  await context.close();
  await teacher.context.close();
});
