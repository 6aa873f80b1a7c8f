// The waiting room in real Chromium against a real Ponte server: guests wait with their place
// in the queue, a teacher admits one (who then enters the class) and denies another (who sees
// why), admits everyone at once, and switches the lobby off.
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

async function close(...who) {
  for (const w of who) {
    assert.deepEqual(w.errors.filter((e) => !/Failed to load resource/.test(e)), [], 'no page errors');
    await w.context.close();
  }
}

const waitingText = (page) => page.getByTestId('lobby-waiting').textContent({ timeout: 20_000 });

test('guests wait with their place; the teacher admits one, who enters, and denies the other, who is told', async () => {
  const room = uniqueRoom('lobby');
  await server.createRoom(room, { title: 'Partner school visit', lobby: 'LOBBY_GUESTS' });
  const teacher = await openAs(browser, server, room, { user: 'u-ana', name: 'Ana', role: 'teacher' });
  const tp = teacher.page;
  const panel = tp.getByTestId('lobby-panel');
  await panel.waitFor();
  assert.equal(await tp.getByTestId('lobby-mode-LOBBY_GUESTS').isChecked(), true);

  const gil = await openAs(browser, server, room, { user: 'u-gil', name: 'Gil', role: 'student', guest: true, join: false });
  assert.match(await waitingText(gil.page), /You are number 1 in the waiting room\. A teacher will let you in\./);
  const gus = await openAs(browser, server, room, { user: 'u-gus', name: 'Gus', role: 'student', guest: true, join: false });
  assert.match(await waitingText(gus.page), /You are number 2 in the waiting room/);
  assert.equal(await gus.page.getByTestId('join').isDisabled(), true, 'no way in while waiting');
  await shot(gus.page, 'lobby-guest-waiting');

  const entries = tp.locator('[data-testid=lobby-list] [data-testid=lobby-entry]');
  await tp.waitForFunction(() => document.querySelectorAll('[data-testid=lobby-entry]').length === 2);
  assert.deepEqual((await entries.locator('.name').allTextContents()), ['Gil', 'Gus']);
  assert.equal(await entries.getByTestId('guest-tag').count(), 2);
  await tp.getByTestId('lobby-admit-all').waitFor();
  await shot(tp, 'lobby-teacher-waiting-room');

  // Keyboard: Admit for Gil with Enter; Gil goes straight into the class.
  const admitGil = tp.locator('[data-testid=lobby-entry][data-user=u-gil] [data-testid=lobby-admit]');
  assert.equal(await admitGil.getAttribute('aria-label'), 'Admit Gil');
  await admitGil.focus();
  await tp.keyboard.press('Enter');
  await gil.page.getByTestId('composer-input').waitFor({ timeout: 20_000 });
  await tp.locator('[data-testid=participant][data-user=u-gil]').waitFor({ timeout: 15_000 });
  // Gus moved up to first place.
  await gus.page.waitForFunction(() => /number 1 in the waiting room/.test(document.querySelector('[data-testid=lobby-waiting]')?.textContent || ''));
  await tp.waitForFunction(() => document.querySelectorAll('[data-testid=lobby-entry]').length === 1);
  // The keyboard user lands on the next person's Admit.
  await tp.waitForFunction(() => document.activeElement?.dataset.testid === 'lobby-admit'
    && document.activeElement.closest('[data-user=u-gus]'));

  await tp.locator('[data-testid=lobby-entry][data-user=u-gus] [data-testid=lobby-deny]').click();
  const refusal = gus.page.getByTestId('door-error');
  await refusal.waitFor({ timeout: 20_000 });
  assert.match(await refusal.textContent(), /A teacher did not let you into this class\. \(LOBBY_DENIED 1850\)/);
  assert.equal(await gus.page.getByTestId('lobby-waiting').count(), 0);
  await shot(gus.page, 'lobby-guest-denied');
  await tp.getByTestId('lobby-empty').waitFor({ state: 'visible' });
  assert.equal(await tp.locator('[data-testid=participant][data-user=u-gus]').count(), 0);
  await close(gil, gus, teacher);
});

test('admit all lets every waiting learner in; with the lobby off a guest comes straight in', async () => {
  const room = uniqueRoom('lobby-all');
  await server.createRoom(room, { title: 'Open day', lobby: 'LOBBY_EVERYONE' });
  const teacher = await openAs(browser, server, room, { user: 'u-ana', name: 'Ana', role: 'teacher' });
  const tp = teacher.page;
  const ola = await openAs(browser, server, room, { user: 'u-ola', name: 'Ola', role: 'student', join: false });
  const piet = await openAs(browser, server, room, { user: 'u-piet', name: 'Piet', role: 'student', join: false });
  await waitingText(ola.page);
  await waitingText(piet.page);
  await tp.getByTestId('lobby-admit-all').click({ timeout: 20_000 });
  await ola.page.getByTestId('composer-input').waitFor({ timeout: 20_000 });
  await piet.page.getByTestId('composer-input').waitFor({ timeout: 20_000 });

  // The mode switch: a radio group, operated with the keyboard.
  await tp.getByTestId('lobby-mode-LOBBY_OFF').focus();
  await tp.keyboard.press('Space');
  await tp.waitForFunction(() => document.querySelector('[data-testid=lobby-mode-LOBBY_OFF]').checked);
  // The mode change is durable: a guest arriving now is not held.
  const guest = await openAs(browser, server, room, { user: 'u-gwen', name: 'Gwen', role: 'student', guest: true });
  assert.equal(await guest.page.getByTestId('lobby-waiting').count(), 0);
  await tp.locator('[data-testid=participant][data-user=u-gwen]').waitFor({ timeout: 15_000 });
  assert.equal(await tp.getByTestId('lobby-mode-LOBBY_OFF').isChecked(), true);
  await close(ola, piet, guest, teacher);
});
