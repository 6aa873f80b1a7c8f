// Permissions per capability in real Chromium against a real Ponte server: the teacher switches
// one student's chat and hand raising off (the student's composer and hand toggle say why, and a
// post sent anyway is refused), goes back to the class settings, then changes the room-wide
// default for students.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, openAs, send, shot, startServer, uniqueRoom, waitForMessage } from './harness.mjs';

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

const blockedText = 'A teacher has not allowed you to write in the chat.';
const composerBlocked = (page, on) => page.waitForFunction((want) => {
  const input = document.querySelector('[data-testid=composer-input]');
  return input && input.disabled === want;
}, on, { timeout: 15_000 });

test('per-participant switches and room-wide defaults change what the student can do', async () => {
  const room = uniqueRoom('perms');
  await server.createRoom(room, { title: 'Erasmus NL–PL: climate', languages: ['en'] });
  const teacher = await openAs(browser, server, room, { user: 'u-ana', name: 'Ana', role: 'teacher' });
  const student = await openAs(browser, server, room, { user: 'u-zofia', name: 'Zofia', role: 'student' });
  const tp = teacher.page;
  const sp = student.page;
  const row = tp.locator('[data-testid=participant][data-user=u-zofia]');
  await row.waitFor({ timeout: 15_000 });
  assert.equal(await sp.locator('[data-testid=perms]').count(), 0, 'students switch nothing');

  // Keyboard: unfold Zofia's permissions and switch chat off.
  const summary = row.locator('[data-testid=perms] summary');
  assert.equal(await summary.getAttribute('aria-label'), 'What Zofia may do');
  await summary.focus();
  await tp.keyboard.press('Enter');
  const chatSwitch = row.getByTestId('perm-CAPABILITY_CHAT');
  assert.equal(await chatSwitch.isChecked(), true);
  await chatSwitch.focus();
  await tp.keyboard.press('Space');

  await composerBlocked(sp, true);
  assert.equal(await sp.getByTestId('composer-blocked').textContent(), blockedText);
  await row.getByTestId('perm-custom').waitFor({ timeout: 15_000 });
  assert.equal(await chatSwitch.isChecked(), false);
  assert.equal(await tp.locator('[data-testid=participant][data-user=u-zofia] details[open]').count(), 1, 'stays unfolded');
  // A post sent anyway (an old tab, a modified client) is refused by the server, in words.
  await sp.evaluate(() => window.ponte.post('sneaky'));
  const err = sp.getByTestId('pending-error');
  await err.waitFor({ timeout: 15_000 });
  assert.match(await err.textContent(), /\(CAPABILITY_DENIED 1910\)/);

  await row.getByTestId('perm-CAPABILITY_HAND_RAISE').uncheck();
  await sp.getByTestId('hand-blocked').waitFor({ state: 'visible', timeout: 15_000 });
  assert.equal(await sp.getByTestId('hand-toggle').isHidden(), true);
  await shot(tp, 'permissions-teacher-switches');
  await shot(sp, 'permissions-student-blocked');

  // Back to the class settings: everything allowed again.
  await row.getByTestId('perm-reset').click();
  await composerBlocked(sp, false);
  await sp.getByTestId('hand-toggle').waitFor({ state: 'visible', timeout: 15_000 });
  assert.equal(await row.getByTestId('perm-custom').count(), 0);
  await send(sp, 'allowed again');
  await waitForMessage(tp, 'allowed again');

  // Reactions and "ask the teacher" are capabilities of their own.
  const sMsg = sp.locator('[data-testid=messages] [data-testid=message]', { hasText: 'allowed again' });
  await sMsg.getByTestId('msg-react').waitFor();
  await row.getByTestId('perm-CAPABILITY_REACTIONS').uncheck();
  await sMsg.getByTestId('msg-react').waitFor({ state: 'detached', timeout: 15_000 });
  await row.getByTestId('perm-CAPABILITY_PRIVATE_TO_TEACHERS').uncheck();
  await sp.waitForFunction(() => document.querySelector('[data-testid=ask-teacher]')?.disabled === true, null, { timeout: 15_000 });
  assert.equal(await composerBlocked(sp, false).then(() => true), true, 'chat itself stays allowed');
  await row.getByTestId('perm-reset').click();
  await sMsg.getByTestId('msg-react').waitFor({ timeout: 15_000 });
  await sp.waitForFunction(() => document.querySelector('[data-testid=ask-teacher]')?.disabled === false, null, { timeout: 15_000 });

  // Room-wide: students may not chat; the teacher still may.
  const defaults = tp.locator('[data-testid=teacher-controls] [data-testid=perms-defaults]');
  await defaults.getByTestId('perm-CAPABILITY_CHAT').uncheck();
  await composerBlocked(sp, true);
  assert.equal(await sp.getByTestId('composer-blocked').textContent(), blockedText);
  await send(tp, 'teachers still write');
  await waitForMessage(sp, 'teachers still write');
  assert.equal(await row.getByTestId('perm-CAPABILITY_CHAT').isChecked(), false, 'the student row follows the default');
  await defaults.getByTestId('perm-CAPABILITY_CHAT').check();
  await composerBlocked(sp, false);

  // The whiteboard: the student's tools follow their own permission.
  await tp.getByTestId('panel-board').click();
  await tp.getByTestId('board-panel').waitFor();
  await sp.getByTestId('panel-board').click();
  await sp.getByTestId('board-panel').waitFor();
  const why = sp.getByTestId('board-why');
  await why.waitFor({ state: 'hidden', timeout: 15_000 });
  await row.getByTestId('perm-CAPABILITY_WHITEBOARD').uncheck();
  await why.waitFor({ state: 'visible', timeout: 15_000 });
  assert.equal(await why.textContent(), 'A teacher has not allowed you to draw on the whiteboard.');
  await row.getByTestId('perm-CAPABILITY_WHITEBOARD').check();
  await why.waitFor({ state: 'hidden', timeout: 15_000 });
  await close(student, teacher);
});
