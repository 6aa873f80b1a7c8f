// The documents panel in real Chromium against a real Ponte server: Tiptap editors bound to
// Yjs documents through the stock @hocuspocus/provider on the server's /hocuspocus endpoint.
// Every test uses its own room; each participant has their own browser context.
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

/** Closes the contexts; no page errors (besides refused connections while a server was down). */
async function close(who, { serverWasDown = false } = {}) {
  const expected = serverWasDown ? /Failed to load resource|WebSocket connection to .* failed/ : /Failed to load resource/;
  for (const w of who) {
    assert.deepEqual(w.errors.filter((e) => !expected.test(e)), [], 'no page errors');
    await w.context.close();
  }
}

async function openPanel(page) {
  await page.getByTestId('panel-docs').click();
  await page.getByTestId('docs-panel').waitFor();
}

/** The teacher creates a document from the panel; it opens at once. */
async function createDoc(page, title, { studentsReadOnly = false } = {}) {
  await page.getByTestId('doc-new-title').fill(title);
  if (studentsReadOnly) await page.getByTestId('doc-new-read-only').check();
  await page.getByTestId('doc-create').click();
  await page.locator('[data-testid=doc-title]', { hasText: title }).waitFor();
  await ready(page);
}

async function openDoc(page, title) {
  await page.locator('[data-testid=doc-item]', { hasText: title }).click();
  await page.locator('[data-testid=doc-title]', { hasText: title }).waitFor();
  await ready(page);
}

/** Connected, synced and nothing unacknowledged (or connected, for a read-only user). */
async function ready(page) {
  await page.locator('[data-testid=doc-status][data-state=saved], [data-testid=doc-status][data-state=connected]')
    .waitFor({ timeout: 20_000 });
  await page.getByTestId('doc-text').waitFor();
}

/** The editor's text (ProseMirror's, without the others' caret labels that sit in the DOM). */
const text = (page) => page.evaluate(() => window.ponteDocs.text());

async function waitForText(page, predicate, what, timeout = 20_000) {
  const start = Date.now();
  let last = '';
  while (Date.now() - start < timeout) {
    last = await text(page);
    if (predicate(last)) return last;
    await page.waitForTimeout(50);
  }
  throw new Error(`timed out waiting for ${what}; the editor holds ${JSON.stringify(last)}`);
}

test('documents: concurrent typing converges, named cursors (hidden in low bandwidth), the text survives a reload', async () => {
  const room = uniqueRoom('docs');
  await server.createRoom(room, { title: 'Erasmus NL–PL: climate', languages: ['nl', 'pl', 'en'] });
  const teacher = await openAs(browser, server, room, { user: 'u-ana', name: 'Ana', role: 'teacher', viewport: { width: 1440, height: 900 } });
  const student = await openAs(browser, server, room, { user: 'u-zofia', name: 'Zofia', role: 'student' });

  await openPanel(teacher.page);
  await openPanel(student.page);
  await createDoc(teacher.page, 'Climate notes');
  // The student's list shows the new document (doc_created event).
  await student.page.locator('[data-testid=doc-item]', { hasText: 'Climate notes' }).waitFor();
  await shot(student.page, 'docs-list-student');
  await openDoc(student.page, 'Climate notes');

  // A first line from the teacher, so the two can write at different positions.
  await teacher.page.getByTestId('doc-text').click();
  await teacher.page.keyboard.type('Our findings:');
  await waitForText(student.page, (t) => t === 'Our findings:', 'the first line at the student');

  // Both type at once: the teacher at the start, the student at the end.
  await student.page.getByTestId('doc-text').click();
  await student.page.keyboard.press('Control+End');
  await teacher.page.keyboard.press('Control+Home');
  await Promise.all([
    teacher.page.keyboard.type('Ana: sea levels rise. ', { delay: 15 }),
    student.page.keyboard.type(' Zofia: glaciers melt.', { delay: 15 }),
  ]);
  const expected = 'Ana: sea levels rise. Our findings: Zofia: glaciers melt.';
  const seenByTeacher = await waitForText(teacher.page, (t) => t.includes('Zofia: glaciers melt.'), 'the student\'s text at the teacher');
  const seenByStudent = await waitForText(student.page, (t) => t.includes('Ana: sea levels rise.'), 'the teacher\'s text at the student');
  await waitForText(teacher.page, (t) => t === seenByStudent || t === expected, 'convergence');
  assert.equal(await text(teacher.page), await text(student.page), 'both editors hold the same text');
  assert.equal(await text(teacher.page), expected, `converged text (teacher saw ${seenByTeacher})`);

  // The teacher sees the student's caret, labelled with her name, in her colour.
  const caret = teacher.page.locator('.collaboration-carets__label', { hasText: 'Zofia' });
  await caret.waitFor({ timeout: 10_000 });
  await teacher.page.getByTestId('doc-text').click();
  await teacher.page.keyboard.press('End');
  await student.page.locator('.collaboration-carets__label', { hasText: 'Ana' }).waitFor({ timeout: 10_000 });
  await teacher.page.waitForFunction(() => document.querySelector('[data-testid=doc-status]').dataset.state === 'saved');
  await shot(teacher.page, 'docs-teacher-with-student-cursor');
  await shot(student.page, 'docs-student');

  // Rich text: a bold word from the toolbar arrives bold.
  await teacher.page.getByTestId('doc-tool-bold').click();
  await teacher.page.keyboard.type(' Act now!');
  await student.page.locator('[data-testid=doc-text] strong', { hasText: 'Act now!' }).waitFor();
  assert.equal(await teacher.page.getByTestId('doc-tool-bold').getAttribute('aria-pressed'), 'true');

  // Low bandwidth on the student's side: her cursor leaves the teacher's screen, the teacher's
  // leaves hers; editing goes on.
  await student.page.getByTestId('low-bandwidth').check();
  await student.page.getByTestId('doc-low-bandwidth').waitFor();
  await caret.waitFor({ state: 'detached', timeout: 10_000 });
  await ready(student.page);
  assert.equal(await student.page.locator('.collaboration-carets__label').count(), 0, 'no carets shown in low bandwidth');
  await student.page.getByTestId('doc-text').click();
  await student.page.keyboard.press('Control+End');
  await student.page.keyboard.type(' Low-bandwidth line.');
  await waitForText(teacher.page, (t) => t.endsWith('Low-bandwidth line.'), 'the low-bandwidth edit at the teacher');
  await teacher.page.waitForTimeout(500); // the caret would be back within an awareness round trip
  assert.equal(await caret.count(), 0, 'no caret of a low-bandwidth student');
  await student.page.getByTestId('low-bandwidth').uncheck();
  await student.page.getByTestId('doc-low-bandwidth').waitFor({ state: 'detached' });
  await ready(student.page);
  await student.page.getByTestId('doc-text').click();
  await caret.waitFor({ timeout: 10_000 });

  // A reload shows the stored text (and reopens the document that was open).
  const stored = await text(teacher.page);
  await teacher.page.waitForFunction(() => document.querySelector('[data-testid=doc-status]').dataset.state === 'saved');
  await teacher.page.reload();
  await teacher.page.getByTestId('composer-input').waitFor({ timeout: 20_000 });
  await openPanel(teacher.page);
  await ready(teacher.page);
  assert.equal(await teacher.page.getByTestId('doc-title').textContent(), 'Climate notes');
  assert.equal(await waitForText(teacher.page, (t) => t === stored, 'the stored text after a reload'), stored);
  await close([teacher, student]);
});

test('documents: read-only for students (not editable, a forced edit is dropped by the server), observers read only, creating needs the permission', async () => {
  const room = uniqueRoom('docs-ro');
  await server.createRoom(room, {
    title: 'Read-only', languages: ['en'], studentPermissions: { chat: true, whiteboard: true, documents: false },
  });
  const teacher = await openAs(browser, server, room, { user: 'u-ana', name: 'Ana', role: 'teacher' });
  const student = await openAs(browser, server, room, { user: 'u-zofia', name: 'Zofia', role: 'student' });
  const observer = await openAs(browser, server, room, { user: 'u-olek', name: 'Olek', role: 'observer' });

  await openPanel(teacher.page);
  await openPanel(student.page);
  await openPanel(observer.page);
  // Only the teacher may create here; the others are told why.
  assert.equal(await student.page.getByTestId('doc-new-title').count(), 0);
  assert.match(await student.page.getByTestId('doc-create-refused').textContent(), /Only the teacher/);
  assert.match(await observer.page.getByTestId('doc-create-refused').textContent(), /Observers/);

  await createDoc(teacher.page, 'Class rules');
  await teacher.page.getByTestId('doc-text').click();
  await teacher.page.keyboard.type('Be kind. Listen first.');
  await teacher.page.waitForFunction(() => document.querySelector('[data-testid=doc-status]').dataset.state === 'saved');
  await openDoc(student.page, 'Class rules');
  await openDoc(observer.page, 'Class rules');
  await waitForText(student.page, (t) => t === 'Be kind. Listen first.', 'the rules at the student');
  assert.equal(await student.page.getByTestId('doc-text').getAttribute('contenteditable'), 'true');

  // The teacher makes it read-only for students.
  const toggle = teacher.page.getByTestId('doc-students-can-edit');
  assert.equal(await toggle.getAttribute('aria-checked'), 'true');
  await toggle.click();
  await teacher.page.locator('[data-testid=doc-students-can-edit][aria-checked=false]').waitFor();
  await student.page.getByTestId('doc-read-only').waitFor();
  await student.page.locator('[data-testid=doc-text][contenteditable=false]').waitFor();
  assert.equal(await student.page.getByTestId('doc-toolbar').isHidden(), true, 'no formatting toolbar when read-only');

  // Typing does nothing...
  await student.page.getByTestId('doc-text').click();
  await student.page.keyboard.type('typed while read-only');
  assert.equal(await text(student.page), 'Be kind. Listen first.');
  // ...and an edit forced into the editor is refused by the server and never reaches the teacher.
  await student.page.evaluate(() => window.ponteDocs.editor.commands.insertContentAt(1, 'FORCED '));
  await student.page.getByTestId('doc-refused').waitFor({ timeout: 10_000 });
  assert.match(await student.page.getByTestId('doc-refused').textContent(), /DOC_READ_ONLY 1304/);
  await waitForText(student.page, (t) => t === 'Be kind. Listen first.', 'the server\'s copy back at the student');
  await teacher.page.waitForTimeout(1000);
  assert.equal(await text(teacher.page), 'Be kind. Listen first.', 'the teacher never saw the forced edit');
  assert.equal(await text(observer.page), 'Be kind. Listen first.', 'nor did the observer');
  await shot(student.page, 'docs-student-read-only');

  // The observer reads, cannot write, and is told so.
  assert.match(await observer.page.getByTestId('doc-read-only').textContent(), /observing/);
  assert.equal(await observer.page.getByTestId('doc-text').getAttribute('contenteditable'), 'false');
  assert.equal(await observer.page.getByTestId('doc-students-can-edit').count(), 0);

  // Editable again: the student's edit reaches the teacher.
  await toggle.click();
  await teacher.page.locator('[data-testid=doc-students-can-edit][aria-checked=true]').waitFor();
  await student.page.locator('[data-testid=doc-text][contenteditable=true]').waitFor();
  assert.equal(await student.page.getByTestId('doc-read-only').count(), 0);
  await student.page.getByTestId('doc-text').click();
  await student.page.keyboard.press('Control+End');
  await student.page.keyboard.type(' Share.');
  await waitForText(teacher.page, (t) => t === 'Be kind. Listen first. Share.', 'the student\'s edit at the teacher');
  await close([teacher, student, observer]);
});

// Last in this file: it restarts the shared server.
test('documents: the status follows the connection, and an edit made while the server is down arrives after its restart', async () => {
  const room = uniqueRoom('docs-restart');
  await server.createRoom(room, { title: 'Restart', languages: ['en'] });
  const teacher = await openAs(browser, server, room, { user: 'u-ana', name: 'Ana', role: 'teacher' });
  const student = await openAs(browser, server, room, { user: 'u-zofia', name: 'Zofia', role: 'student' });
  await openPanel(teacher.page);
  await openPanel(student.page);
  await createDoc(teacher.page, 'Lab diary');
  await teacher.page.getByTestId('doc-text').click();
  await teacher.page.keyboard.type('Before the restart.');
  await openDoc(student.page, 'Lab diary');
  await waitForText(student.page, (t) => t === 'Before the restart.', 'the first line at the student');

  await server.stop('SIGTERM');
  for (const { page } of [teacher, student]) {
    await page.locator('[data-testid=doc-status][data-state=offline]').waitFor({ timeout: 15_000 });
  }
  assert.match(await student.page.getByTestId('doc-status').textContent(), /Offline/);
  // Written while the server is down: kept in the student's document.
  await student.page.getByTestId('doc-text').click();
  await student.page.keyboard.press('Control+End');
  await student.page.keyboard.type(' Written offline.');
  await shot(student.page, 'docs-student-offline');
  assert.equal(await text(teacher.page), 'Before the restart.');

  await server.start();
  for (const { page } of [teacher, student]) {
    await page.locator('[data-testid=doc-status][data-state=saved]').waitFor({ timeout: 60_000 });
  }
  await waitForText(teacher.page, (t) => t === 'Before the restart. Written offline.', 'the offline edit at the teacher', 30_000);
  // Stored: a newcomer's editor shows it.
  const observer = await openAs(browser, server, room, { user: 'u-olek', name: 'Olek', role: 'observer' });
  await openPanel(observer.page);
  await openDoc(observer.page, 'Lab diary');
  await waitForText(observer.page, (t) => t === 'Before the restart. Written offline.', 'the stored text at a newcomer');
  await close([teacher, student, observer], { serverWasDown: true });
});
