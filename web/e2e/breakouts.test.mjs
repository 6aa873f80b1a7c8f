// Breakout rooms in real Chromium against a real Ponte server: a teacher and two students, each in
// their own browser context. The teacher opens two random breakouts (one student in each), each
// student chats in their own breakout, a broadcast reaches both, and closing brings both back.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, openAs, shot, startServer, uniqueRoom } from './harness.mjs';

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

test('breakouts: two random rooms, a chat in each, a broadcast to both, close brings everyone back', async () => {
  const room = uniqueRoom('brk');
  await server.createRoom(room, { title: 'Erasmus NL–PL: climate', languages: ['nl', 'pl', 'en'] });
  const teacher = await openAs(browser, server, room, { user: 'u-ana', name: 'Ana', role: 'teacher' });
  const zofia = await openAs(browser, server, room, { user: 'u-zofia', name: 'Zofia', role: 'student' });
  const daan = await openAs(browser, server, room, { user: 'u-daan', name: 'Daan', role: 'student' });
  const tp = teacher.page;
  await tp.locator('[data-testid=participant][data-user=u-zofia]').waitFor();
  await tp.locator('[data-testid=participant][data-user=u-daan]').waitFor();

  // Not placed yet: the learners see no breakout card.
  assert.equal(await zofia.page.getByTestId('breakouts-panel').isVisible(), false);

  // A count out of range is refused in the form, with the reason, before anything is sent.
  await tp.getByTestId('breakout-count').fill('21');
  await tp.getByTestId('breakout-create').click();
  await tp.getByTestId('breakout-error').filter({ hasText: /2 to 20/ }).waitFor();

  // Keyboard only: the count, a 10 minute timer, Enter submits the form.
  await tp.getByTestId('breakout-count').fill('2');
  await tp.getByTestId('breakout-minutes').fill('10');
  await tp.getByTestId('breakout-minutes').press('Enter');
  await tp.getByTestId('breakout-room').nth(1).waitFor();
  assert.equal(await tp.getByTestId('breakout-room').count(), 2);
  await tp.getByTestId('breakout-ends').filter({ hasText: /Ends at/ }).waitFor();
  // Random placement with two rooms and two students: one in each.
  await tp.getByTestId('breakout-member').nth(1).waitFor();
  const roomTexts = await tp.getByTestId('breakout-room').allTextContents();
  assert.equal(roomTexts.filter((x) => /Zofia/.test(x)).length, 1);
  assert.equal(roomTexts.filter((x) => /Daan/.test(x)).length, 1);
  assert.ok(roomTexts.every((x) => /\(1\)/.test(x)), `one per room: ${roomTexts}`);
  const roomOf = (name) => (/Room 1/.test(roomTexts.find((x) => x.includes(name))) ? 'Room 1' : 'Room 2');

  for (const [who, name, text] of [[zofia, 'Zofia', 'Hallo uit onze groep'], [daan, 'Daan', 'Cześć z naszej grupy']]) {
    const p = who.page;
    const banner = p.getByTestId('breakout-banner');
    await banner.waitFor();
    assert.equal(await banner.textContent(), `You are in breakout room ${roomOf(name)}`);
    await p.getByTestId('breakout-ends').waitFor();
    await p.getByTestId('breakout-input').fill(text);
    await p.getByTestId('breakout-input').press('Enter');
    await p.getByTestId('breakout-message').filter({ hasText: text }).waitFor();
    // The main room's chat is still there.
    assert.equal(await p.getByTestId('composer-input').isVisible(), true);
  }
  // Each student sees only their own room's chat.
  assert.equal(await zofia.page.getByTestId('breakout-message').filter({ hasText: 'Cześć' }).count(), 0);
  assert.equal(await daan.page.getByTestId('breakout-message').filter({ hasText: 'Hallo' }).count(), 0);
  assert.equal(await zofia.page.getByTestId('breakout-message').count(), 1);

  // A broadcast reaches both rooms.
  await tp.getByTestId('breakout-broadcast-text').fill('Five minutes left');
  await tp.getByTestId('breakout-broadcast-send').click();
  for (const w of [zofia, daan]) {
    await w.page.getByTestId('breakout-notice').filter({ hasText: 'From your teacher: Five minutes left' }).waitFor();
  }
  await shot(zofia.page, 'breakouts-student-in-breakout');
  await shot(tp, 'breakouts-teacher-round');

  // Close: both are back in the main room, the breakout view is gone.
  await tp.getByTestId('breakout-close').click();
  await tp.getByTestId('breakout-create').waitFor();
  for (const w of [zofia, daan]) {
    await w.page.getByTestId('breakout-notice').filter({ hasText: 'Back in the main room' }).waitFor();
    await w.page.getByTestId('breakout-banner').waitFor({ state: 'detached' });
    assert.equal(await w.page.getByTestId('breakout-chat').count(), 0);
  }
  await shot(zofia.page, 'breakouts-student-back');

  for (const w of [teacher, zofia, daan]) {
    assert.deepEqual(w.errors.filter((e) => !/Failed to load resource/.test(e)), [], 'no page errors');
    await w.context.close();
  }
});
