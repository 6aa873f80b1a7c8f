// A server restart in the middle of a class: both browsers reconnect and resume; a message the
// student sends while the server is down shows as pending, then is delivered exactly once; no
// message is lost or duplicated in either view.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  launchBrowser, messageTexts, openAs, pendingTexts, send, shot, startServer, uniqueRoom, waitForMessage,
} from './harness.mjs';

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

const bannerState = (page) => page.getByTestId('banner').getAttribute('data-state');

test('restart: reconnect, resume, the offline message delivered exactly once', async () => {
  const room = uniqueRoom('restart');
  await server.createRoom(room, { title: 'Restart', languages: ['en', 'nl'] });
  const teacher = await openAs(browser, server, room, { user: 'u-ana', name: 'Ana', role: 'teacher' });
  const student = await openAs(browser, server, room, { user: 'u-zofia', name: 'Zofia', role: 'student' });

  await send(teacher.page, 'one: before the restart');
  await waitForMessage(student.page, 'one: before the restart');
  await send(student.page, 'two: before the restart');
  for (const { page } of [teacher, student]) await waitForMessage(page, 'two: before the restart');

  const restarts = [];
  for (const { page } of [teacher, student]) {
    page.on('websocket', (ws) => restarts.push(ws.url()));
  }

  // Graceful stop: Goodbye SERVER_SHUTDOWN (4102), "resume".
  await server.stop('SIGTERM');
  for (const { page } of [teacher, student]) {
    await page.waitForFunction(() => ['reconnecting', 'offline'].includes(
      document.querySelector('[data-testid=banner]').dataset.state), null, { timeout: 15_000 });
  }
  assert.match(await student.page.getByTestId('banner').textContent(), /Reconnecting|offline/);

  // Written while the server is down: shown as pending (waiting for the connection).
  await send(student.page, 'three: sent while the server was down');
  const pending = student.page.locator('[data-testid=pending]', { hasText: 'three: sent while the server was down' });
  await pending.waitFor();
  assert.match(await pending.textContent(), /Waiting for the connection/);
  assert.deepEqual(await messageTexts(student.page), ['one: before the restart', 'two: before the restart']);
  await shot(student.page, 'restart-student-pending');

  // Same port, same data directory.
  await server.start();
  for (const { page } of [teacher, student]) {
    await waitForMessage(page, 'three: sent while the server was down', 60_000);
  }
  await student.page.waitForFunction(() => !document.querySelector('[data-testid=pending]'), null, { timeout: 15_000 });
  for (const { page } of [teacher, student]) {
    await page.waitForFunction(() => ['resumed', 'online'].includes(
      document.querySelector('[data-testid=banner]').dataset.state), null, { timeout: 30_000 });
  }
  assert.ok(restarts.length >= 2, 'both pages opened new WebSockets');
  await shot(student.page, 'restart-student-resumed');

  // Live again, both ways.
  await send(teacher.page, 'four: after the restart');
  for (const { page } of [teacher, student]) await waitForMessage(page, 'four: after the restart');
  await student.page.waitForTimeout(500); // a late duplicate would show by now

  const expected = ['one: before the restart', 'two: before the restart', 'three: sent while the server was down', 'four: after the restart'];
  for (const { page } of [teacher, student]) {
    assert.deepEqual(await messageTexts(page), expected);
    assert.deepEqual(await pendingTexts(page), []);
    const seqs = await page.locator('[data-testid=messages] [data-testid=message]').evaluateAll((els) => els.map((e) => e.dataset.seq));
    assert.equal(new Set(seqs).size, seqs.length, 'no seq twice');
  }
  // And the server holds it once: a fresh participant's history agrees.
  const late = await openAs(browser, server, room, { user: 'u-piet', name: 'Piet', role: 'student' });
  assert.deepEqual(await messageTexts(late.page), expected);
  await shot(teacher.page, 'restart-teacher-after');
  for (const w of [teacher, student, late]) {
    assert.deepEqual(w.errors.filter((e) => !/Failed to load resource|WebSocket/.test(e)), []);
    await w.context.close();
  }
});
