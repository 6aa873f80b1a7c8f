// The teachers' audit log (paged) and undoing one learner's document edits, in real Chromium
// against a real Ponte server.
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

async function classroom(prefix) {
  const room = uniqueRoom(prefix);
  await server.createRoom(room, { title: 'Erasmus NL–PL: climate', languages: ['en'] });
  const teacher = await openAs(browser, server, room, { user: 'u-ana', name: 'Ana', role: 'teacher' });
  const student = await openAs(browser, server, room, { user: 'u-zofia', name: 'Zofia', role: 'student' });
  await teacher.page.locator('[data-testid=participant][data-user=u-zofia]').waitFor({ timeout: 15_000 });
  return { teacher, student };
}

test('audit log: teachers read who did what, newest first, page by page; students have none', async () => {
  const { teacher, student } = await classroom('audit');
  const tp = teacher.page;
  assert.equal(await student.page.getByTestId('audit-panel').count(), 0);
  await tp.locator('[data-testid=participant][data-user=u-zofia] [data-testid=mute]').click();
  await tp.locator('[data-testid=participant][data-user=u-zofia] [data-testid=muted-tag]').waitFor({ timeout: 15_000 });
  // 22 more teacher actions: more than one page (20).
  await tp.evaluate(async () => {
    for (let i = 0; i < 22; i++) await window.ponte.session.teacher({ lock: { locked: i % 2 === 0 } });
  });

  const summary = tp.locator('[data-testid=audit] summary');
  await summary.focus();
  await tp.keyboard.press('Enter');
  const entries = tp.locator('[data-testid=audit-list] [data-testid=audit-entry]');
  await tp.waitForFunction(() => document.querySelectorAll('[data-testid=audit-entry]').length === 20, null, { timeout: 15_000 });
  // Newest first: the last action was the 22nd lock toggle (i = 21: unlock).
  assert.equal(await entries.first().getAttribute('data-action'), 'moderation.unlock');
  assert.equal(await entries.first().getByTestId('audit-actor').textContent(), 'Ana');
  assert.equal(await tp.locator('[data-testid=audit-entry][data-action="moderation.mute"]').count(), 0, 'the mute is on the next page');
  await tp.getByTestId('audit-more').click();
  const mute = tp.locator('[data-testid=audit-entry][data-action="moderation.mute"]');
  await mute.waitFor({ timeout: 15_000 });
  assert.match(await mute.getByTestId('audit-about').textContent(), /Zofia/);
  assert.ok(await entries.count() >= 23);
  assert.equal(await tp.getByTestId('audit-more').isHidden(), true, 'no further page');
  await mute.scrollIntoViewIfNeeded();
  await shot(tp, 'audit-teacher-log');
  await close(student, teacher);
});

test('documents: the teacher undoes one learner\'s edits since a few minutes ago; the teacher\'s text stays', async () => {
  const { teacher, student } = await classroom('revert');
  const tp = teacher.page;
  const sp = student.page;
  for (const page of [tp, sp]) {
    await page.getByTestId('panel-docs').click();
    await page.getByTestId('docs-panel').waitFor();
  }
  await tp.getByTestId('doc-new-title').fill('Group story');
  await tp.getByTestId('doc-create').click();
  await tp.locator('[data-testid=doc-title]', { hasText: 'Group story' }).waitFor();
  const ready = (page) => page.locator('[data-testid=doc-status][data-state=saved], [data-testid=doc-status][data-state=connected]').waitFor({ timeout: 20_000 });
  await ready(tp);
  await tp.getByTestId('doc-text').click();
  await tp.keyboard.type('Once upon a time.');
  await sp.locator('[data-testid=doc-item]', { hasText: 'Group story' }).click();
  await ready(sp);
  const text = (page) => page.evaluate(() => window.ponteDocs.text());
  const waitText = (page, want) => page.waitForFunction((w) => window.ponteDocs && window.ponteDocs.text() === w, want, { timeout: 20_000 });
  await waitText(sp, 'Once upon a time.');
  await sp.getByTestId('doc-text').click();
  await sp.keyboard.press('Control+End');
  await sp.keyboard.type(' The dragon ate the homework.');
  await waitText(tp, 'Once upon a time. The dragon ate the homework.');
  await sp.locator('[data-testid=doc-status][data-state=saved]').waitFor({ timeout: 20_000 });
  assert.equal(await sp.getByTestId('doc-revert-box').count(), 0, 'students cannot undo others');

  const box = tp.getByTestId('doc-revert-box');
  await box.locator('summary').focus();
  await tp.keyboard.press('Enter');
  assert.equal(await box.getByTestId('doc-revert-who').inputValue(), 'u-zofia');
  await box.getByTestId('doc-revert-since').selectOption('15');
  await box.getByTestId('doc-revert').click();
  const dialog = tp.getByTestId('confirm-dialog');
  await dialog.waitFor();
  assert.match(await dialog.textContent(), /Undo the edits of Zofia\?/);
  await dialog.locator('button.danger').click();
  await waitText(tp, 'Once upon a time.');
  await waitText(sp, 'Once upon a time.');
  assert.equal(await box.getByTestId('doc-revert-status').textContent(), 'The edits of Zofia from the last 15 minutes were undone.');
  await shot(tp, 'docs-revert-teacher');

  // Nothing left to undo: the server says so, in words.
  await box.getByTestId('doc-revert').click();
  await dialog.locator('button.danger').click();
  await tp.waitForFunction(() => /REVERT_NOTHING 1901/.test(document.querySelector('[data-testid=doc-revert-error]')?.textContent || ''), null, { timeout: 15_000 });
  assert.equal(await text(tp), 'Once upon a time.');

  // The teacher takes away Zofia's document editing: her editor turns read-only and says why.
  const row = tp.locator('[data-testid=participant][data-user=u-zofia]');
  await row.locator('[data-testid=perms] summary').click();
  await row.getByTestId('perm-CAPABILITY_DOCUMENT_EDIT').uncheck();
  await sp.locator('[data-testid=doc-editor][data-editable=false]').waitFor({ timeout: 15_000 });
  assert.equal(await sp.getByTestId('doc-read-only').textContent(), 'A teacher has not allowed you to edit documents: you can read this one.');
  await row.getByTestId('perm-CAPABILITY_DOCUMENT_EDIT').check();
  await sp.locator('[data-testid=doc-editor][data-editable=true]').waitFor({ timeout: 15_000 });
  await close(student, teacher);
});
