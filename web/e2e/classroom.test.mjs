// The classroom app in real Chromium against a real Ponte server: a teacher and a student, each
// in their own browser context. Every test uses its own room.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  launchBrowser, messageTexts, openAs, send, shot, startServer, uniqueRoom, waitForMessage,
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

async function classroom(prefix, { studentLocale, teacherLocale, studentViewport } = {}) {
  const room = uniqueRoom(prefix);
  await server.createRoom(room, { title: 'Erasmus NL–PL: climate', languages: ['nl', 'pl', 'en'] });
  const teacher = await openAs(browser, server, room, { user: 'u-ana', name: 'Ana', role: 'teacher', locale: teacherLocale });
  const student = await openAs(browser, server, room, {
    user: 'u-zofia', name: 'Zofia', role: 'student', locale: studentLocale,
    viewport: studentViewport || { width: 820, height: 1180 }, // a tablet, portrait
  });
  await teacher.page.locator('[data-testid=participant][data-user=u-zofia]').waitFor();
  return { room, teacher, student };
}

async function close(...who) {
  for (const w of who) {
    assert.deepEqual(w.errors.filter((e) => !/Failed to load resource/.test(e)), [], 'no page errors');
    await w.context.close();
  }
}

test('chat: a message goes from the teacher to the student and back, with its language tag', async () => {
  const { teacher, student } = await classroom('roundtrip');
  await teacher.page.getByTestId('composer-language').selectOption('nl');
  await send(teacher.page, 'Goedemorgen allemaal! Vandaag: klimaat.');
  await waitForMessage(student.page, 'Goedemorgen allemaal! Vandaag: klimaat.');
  await student.page.getByTestId('composer-language').selectOption('pl');
  await send(student.page, 'Dzień dobry! Mam pytanie o CO₂.');
  await waitForMessage(teacher.page, 'Dzień dobry! Mam pytanie o CO₂.');
  await waitForMessage(student.page, 'Dzień dobry! Mam pytanie o CO₂.');

  for (const { page } of [teacher, student]) {
    assert.deepEqual(await messageTexts(page), ['Goedemorgen allemaal! Vandaag: klimaat.', 'Dzień dobry! Mam pytanie o CO₂.']);
    const tags = await page.locator('[data-testid=messages] .tag.lang').allTextContents();
    assert.deepEqual(tags, ['NL', 'PL']);
    assert.equal(await page.locator('[data-testid=messages] [data-testid=message-text]').first().getAttribute('lang'), 'nl');
  }
  // Text from people is text: markup arrives as characters, never as elements.
  await send(student.page, '<img src=x onerror=alert(1)><b>bold?</b>');
  await waitForMessage(teacher.page, '<img src=x onerror=alert(1)><b>bold?</b>');
  assert.equal(await teacher.page.locator('[data-testid=messages] img, [data-testid=messages] b').count(), 0);

  // Tablet: every visible control is a touch target of at least 44 x 44 px (a checkbox counts
  // with its label), and the invite's token left the address bar.
  const small = await student.page.evaluate(() => [...document.querySelectorAll('button, select, textarea, input')]
    .filter((el) => el.offsetParent !== null && !el.closest('.sr-only'))
    .map((el) => {
      const r = el.getBoundingClientRect();
      const label = el.type === 'checkbox' ? document.querySelector(`label[for="${el.id}"]`)?.getBoundingClientRect() : null;
      const h = Math.max(r.height, label ? label.height : 0);
      const w = label ? r.width + label.width : r.width;
      return { what: el.dataset.testid || el.textContent.trim() || el.type, w: Math.round(w), h: Math.round(h) };
    })
    .filter((b) => b.w < 44 || b.h < 44));
  assert.deepEqual(small, [], 'touch targets under 44 px');
  assert.ok(!student.page.url().includes('token='), 'no token in the address bar');
  assert.equal(await student.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, 'no sideways scrolling');

  // The participants panel: roles, own entry marked.
  assert.equal(await teacher.page.locator('[data-testid=participant].me .name').textContent(), 'Ana');
  assert.match(await teacher.page.locator('[data-testid=participant][data-user=u-zofia]').textContent(), /Student/);
  await shot(teacher.page, 'teacher-view');
  await shot(student.page, 'student-view-tablet');
  await close(teacher, student);
});

test('mute: the student sees why the composer is off, and a forced send is refused with MUTED 1301', async () => {
  const { teacher, student } = await classroom('mute');
  await send(student.page, 'Before the mute');
  await waitForMessage(teacher.page, 'Before the mute');

  await teacher.page.locator('[data-testid=participant][data-user=u-zofia] [data-testid=mute]').click();
  await teacher.page.locator('[data-testid=participant][data-user=u-zofia] [data-testid=muted-tag]').waitFor();

  const input = student.page.getByTestId('composer-input');
  await student.page.waitForFunction(() => document.querySelector('[data-testid=composer-input]').disabled);
  assert.equal(await student.page.getByTestId('send').isDisabled(), true);
  const reason = student.page.getByTestId('composer-blocked');
  assert.equal(await reason.isVisible(), true);
  assert.match(await reason.textContent(), /muted you/);
  assert.equal(await input.getAttribute('aria-describedby').then((d) => d.includes('composer-blocked')), true);

  // Forced send past the disabled composer: the app's own send path, straight to the server.
  await student.page.evaluate(() => window.ponte.post('Sent while muted'));
  const refusal = student.page.getByTestId('pending-error');
  await refusal.waitFor({ timeout: 15_000 });
  const text = await refusal.textContent();
  assert.match(text, /MUTED 1301/);
  assert.match(text, /muted you/);
  await shot(student.page, 'student-muted');
  // The refused message reached nobody.
  await teacher.page.waitForTimeout(300);
  assert.deepEqual(await messageTexts(teacher.page), ['Before the mute']);

  // Unmuted: the composer comes back.
  await teacher.page.locator('[data-testid=participant][data-user=u-zofia] [data-testid=mute]').click();
  await student.page.waitForFunction(() => !document.querySelector('[data-testid=composer-input]').disabled);
  assert.equal(await reason.isVisible(), false);
  await close(teacher, student);
});

test('keyboard only: Tab to the composer, Enter sends, edit with ArrowUp/Enter, Escape cancels, Tab reaches a teacher control', async () => {
  const { teacher, student } = await classroom('keyboard');
  const page = student.page;
  await page.evaluate(() => document.activeElement?.blur());
  let reached = false;
  for (let i = 0; i < 30 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => document.activeElement?.dataset.testid === 'composer-input');
  }
  assert.ok(reached, 'Tab reaches the composer');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none', 'the focused composer shows a focus ring');
  await page.keyboard.type('Typed with the keyboard only');
  await page.keyboard.press('Enter');
  await waitForMessage(teacher.page, 'Typed with the keyboard only');
  await waitForMessage(page, 'Typed with the keyboard only');

  // ArrowUp in the empty composer edits the last own message; Escape cancels, Enter saves.
  await page.keyboard.press('ArrowUp');
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'edit-input');
  await page.keyboard.press('End');
  await page.keyboard.type(' (draft)');
  await page.keyboard.press('Escape');
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'msg-edit', 'focus back on Edit');
  assert.deepEqual(await messageTexts(page), ['Typed with the keyboard only']);
  await page.keyboard.press('Enter'); // the Edit button
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'edit-input');
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.type('Edited with the keyboard');
  await page.keyboard.press('Enter');
  await waitForMessage(teacher.page, 'Edited with the keyboard');
  assert.match(await teacher.page.locator('[data-testid=message]').first().textContent(), /\(edited\)/);
  await shot(page, 'keyboard-edit');

  // The teacher reaches "Lock the room" with Tab alone and switches it with the keyboard.
  const tp = teacher.page;
  await tp.evaluate(() => document.activeElement?.blur());
  const seen = [];
  let control = null;
  for (let i = 0; i < 30 && !control; i++) {
    await tp.keyboard.press('Tab');
    const id = await tp.evaluate(() => document.activeElement?.dataset.testid || document.activeElement?.tagName);
    seen.push(id);
    if (id === 'lock-room') control = id;
  }
  assert.ok(control, `Tab reaches the lock switch (focus went: ${seen.join(' → ')})`);
  assert.ok(seen.indexOf('mute') >= 0 && seen.indexOf('mute') < seen.indexOf('lock-room'), 'participants first, then room controls');
  assert.notEqual(await tp.evaluate(() => getComputedStyle(document.activeElement).outlineStyle), 'none');
  await tp.keyboard.press('Space');
  await tp.waitForFunction(() => document.querySelector('[data-testid=lock-room]').getAttribute('aria-checked') === 'true');
  assert.equal(await tp.evaluate(() => document.activeElement?.dataset.testid), 'lock-room', 'focus stays on the switch');
  await shot(tp, 'keyboard-teacher-lock');
  await close(teacher, student);
});

test('languages: Dutch from the browser, Polish from the picker, every string translated and <html lang> set', async () => {
  const { teacher, student } = await classroom('i18n', { studentLocale: 'nl-NL' });
  await send(teacher.page, 'Witajcie! Welkom!');
  const nl = student.page;
  await waitForMessage(nl, 'Witajcie! Welkom!');
  assert.equal(await nl.evaluate(() => document.documentElement.lang), 'nl');
  assert.equal(await nl.getByTestId('send').textContent(), 'Versturen');
  assert.equal(await nl.locator('#people-h').textContent().then((s) => s.startsWith('Deelnemers')), true);
  await shot(nl, 'student-dutch');

  const pl = teacher.page;
  await pl.getByTestId('ui-language').first().selectOption('pl');
  await pl.waitForFunction(() => document.documentElement.lang === 'pl');
  assert.equal(await pl.getByTestId('send').textContent(), 'Wyślij');
  assert.equal(await pl.locator('#teacher-h').textContent(), 'Panel nauczyciela');
  await waitForMessage(pl, 'Witajcie! Welkom!');
  await shot(pl, 'teacher-polish');
  // The choice is kept for the next visit.
  await pl.reload();
  await pl.getByTestId('composer-input').waitFor();
  assert.equal(await pl.evaluate(() => document.documentElement.lang), 'pl');
  await close(teacher, student);
});

test('chat features: ask the teacher, reply, reaction, delete, typing; student chat off; end of session', async () => {
  const { teacher, student } = await classroom('features');
  const t = teacher.page;
  const s = student.page;

  // Typing indicators reach the other side (not in low-bandwidth mode).
  await s.getByTestId('composer-input').pressSequentially('Sto');
  await t.getByTestId('typing').filter({ hasText: 'Zofia is typing' }).waitFor({ timeout: 10_000 });
  await s.getByTestId('composer-input').fill('');

  // "Ask the teacher": the teacher sees it marked private; a second student does not see it.
  const other = await openAs(browser, server, (await t.evaluate(() => window.ponte.model.roomId)),
    { user: 'u-piet', name: 'Piet', role: 'student' });
  await s.getByTestId('ask-teacher').check();
  await send(s, 'Private: can I hand in tomorrow?');
  await waitForMessage(t, 'Private: can I hand in tomorrow?');
  assert.match(await t.locator('[data-testid=message]', { hasText: 'hand in tomorrow' }).textContent(), /to the teachers only/);
  await send(t, 'Public: welcome Piet');
  await waitForMessage(other.page, 'Public: welcome Piet');
  assert.deepEqual(await messageTexts(other.page), ['Public: welcome Piet']);

  // Reply and reaction.
  await t.locator('[data-testid=message]', { hasText: 'hand in tomorrow' }).getByTestId('msg-reply').click();
  await send(t, 'Yes, tomorrow is fine.');
  await waitForMessage(s, 'Yes, tomorrow is fine.');
  assert.match(await s.locator('[data-testid=message]', { hasText: 'Yes, tomorrow is fine.' }).locator('.reply-quote').textContent(),
    /Reply to Zofia:.*hand in tomorrow/);
  await s.locator('[data-testid=message]', { hasText: 'Yes, tomorrow is fine.' }).getByTestId('msg-react').click();
  await s.getByRole('button', { name: 'Thumbs up' }).click();
  await t.locator('[data-testid=message]', { hasText: 'Yes, tomorrow is fine.' }).locator('.reaction', { hasText: '👍 1' }).waitFor();

  // Delete own message: gone for everyone.
  await send(s, 'Oops, wrong room');
  await waitForMessage(t, 'Oops, wrong room');
  await s.locator('[data-testid=message]', { hasText: 'Oops, wrong room' }).getByTestId('msg-delete').click();
  await t.locator('[data-testid=message] .msg-text.deleted').waitFor();
  assert.equal(await t.locator('[data-testid=message-text]', { hasText: 'Oops, wrong room' }).count(), 0);

  // Student chat off: the students' composer says why; on again.
  await t.getByTestId('student-chat').click();
  await s.waitForFunction(() => document.querySelector('[data-testid=composer-input]').disabled);
  assert.match(await s.getByTestId('composer-blocked').textContent(), /turned student chat off/);
  await t.getByTestId('student-chat').click();
  await s.waitForFunction(() => !document.querySelector('[data-testid=composer-input]').disabled);

  // End of session: everyone gets a clear final message; nothing reconnects.
  await t.getByTestId('end-session').click();
  await t.getByTestId('confirm-dialog').getByRole('button', { name: 'End the session' }).click();
  for (const page of [s, other.page]) {
    await page.locator('[data-testid=banner][data-state=final]').waitFor({ timeout: 15_000 });
    assert.match(await page.getByTestId('banner').textContent(), /ended this session/);
    assert.equal(await page.getByTestId('composer-input').isDisabled(), true);
  }
  await shot(s, 'student-session-ended');
  await close(teacher, student, other);
});

test('low-bandwidth mode: no typing indicators sent or shown; history pages back on scroll', async () => {
  const { room, teacher, student } = await classroom('lowbw');
  const t = teacher.page;
  const s = student.page;
  await s.getByTestId('low-bandwidth').first().check();
  await s.getByTestId('composer-input').pressSequentially('typing quietly');
  await t.waitForTimeout(1500);
  assert.equal(await t.getByTestId('typing').textContent(), '', 'a low-bandwidth student sends no typing');
  await s.getByTestId('composer-input').fill('');
  await t.getByTestId('composer-input').pressSequentially('teacher types');
  await s.waitForTimeout(1500);
  assert.equal(await s.getByTestId('typing').textContent(), '', 'and shows none');
  await t.getByTestId('composer-input').fill('');
  assert.equal(await s.evaluate(() => JSON.parse(localStorage.getItem('ponte.prefs')).lowBandwidth), true);

  // History: more messages than a snapshot holds; a newcomer pages back to the first.
  await t.evaluate(async () => {
    for (let i = 1; i <= 130; i++) window.ponte.session.post({ text: `history ${i}`, language: 'en', clientMsgId: `h-${i}` });
  });
  await waitForMessage(t, 'history 130', 30_000);
  const late = await openAs(browser, server, room, { user: 'u-late', name: 'Late', role: 'student' });
  await waitForMessage(late.page, 'history 130');
  const before = (await messageTexts(late.page)).length;
  assert.ok(before < 130, `the snapshot holds the recent messages only (${before})`);
  for (let i = 0; i < 10 && !(await messageTexts(late.page)).includes('history 1'); i++) {
    await late.page.getByTestId('chat-scroll').evaluate((el) => { el.scrollTop = 0; });
    await late.page.waitForTimeout(400);
  }
  const texts = await messageTexts(late.page);
  assert.equal(texts[0], 'history 1');
  assert.equal(texts.filter((x) => x.startsWith('history ')).length, 130);
  assert.equal(await late.page.getByTestId('load-earlier').isVisible(), false);
  await close(teacher, student, late);
});

test('door: expired invitation, locked room, removal and ban are explained, translated, with their code', async () => {
  const room = uniqueRoom('door');
  await server.createRoom(room, { title: 'Door', languages: ['en', 'de'] });

  // Expired token: refused at Hello.
  const expired = await browser.newContext({ locale: 'de-DE' });
  const ep = await expired.newPage();
  const old = server.token({ user: 'u-old', name: 'Alt', rooms: { [room]: 'student' }, expiresAt: Math.floor(Date.now() / 1000) - 3600 });
  await ep.goto(`${server.httpUrl}/#room=${room}&token=${old}`);
  await ep.getByTestId('door-error').waitFor({ timeout: 20_000 });
  assert.match(await ep.getByTestId('door-error').textContent(), /abgelaufen.*TOKEN_EXPIRED 1101/);
  assert.ok(!ep.url().includes('token='), 'the token left the address bar');
  assert.equal(await ep.getByTestId('join').isDisabled(), true);
  await shot(ep, 'door-expired-german');
  await expired.close();

  const teacher = await openAs(browser, server, room, { user: 'u-ana', name: 'Ana', role: 'teacher' });
  const student = await openAs(browser, server, room, { user: 'u-zofia', name: 'Zofia', role: 'student' });
  await teacher.page.locator('[data-testid=participant][data-user=u-zofia]').waitFor();

  // Away / active presence, seen by the teacher.
  await student.page.evaluate(() => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await teacher.page.locator('[data-testid=participant][data-user=u-zofia] .state.away').waitFor({ timeout: 10_000 });

  // Locked: a newcomer is told, and the SDK keeps trying.
  await teacher.page.getByTestId('lock-room').click();
  await teacher.page.waitForFunction(() => document.querySelector('[data-testid=lock-room]').getAttribute('aria-checked') === 'true');
  const late = await openAs(browser, server, room, { user: 'u-late', name: 'Late', role: 'student', join: false });
  await late.page.getByTestId('door-error').waitFor({ timeout: 20_000 });
  assert.match(await late.page.getByTestId('door-error').textContent(), /locked.*ROOM_LOCKED 1201.*automatically/);
  await shot(late.page, 'door-locked');
  await teacher.page.getByTestId('lock-room').click();
  await late.page.getByTestId('join').and(late.page.locator(':not([disabled])')).waitFor({ timeout: 60_000 });
  assert.equal(await late.page.getByTestId('door-error').count(), 0);
  await late.context.close();

  // Removal: a final message, no reconnect; the same invitation then meets the ban.
  await teacher.page.locator('[data-testid=participant][data-user=u-zofia] [data-testid=remove]').click();
  await teacher.page.getByTestId('confirm-dialog').getByRole('button', { name: 'Remove' }).click();
  await student.page.locator('[data-testid=banner][data-state=final]').waitFor({ timeout: 15_000 });
  assert.match(await student.page.getByTestId('banner').textContent(), /removed you/);
  await teacher.page.locator('[data-testid=participant][data-user=u-zofia]').waitFor({ state: 'detached' });
  await student.page.reload();
  await student.page.getByTestId('door-error').waitFor({ timeout: 20_000 });
  assert.match(await student.page.getByTestId('door-error').textContent(), /removed you.*BANNED 1204/);
  await shot(student.page, 'door-banned');
  await close(teacher, student);
});
