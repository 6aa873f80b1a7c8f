// Reports in real Chromium against a real Ponte server: a student reports another student's
// chat message and the student themself (reason from the list, optional text); the teacher sees
// both in the Reports panel, with the message as it was when reported, and marks them handled
// or dismissed. Students never see the panel.
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

test('a student reports a message and a participant; the teacher sees the kept content and resolves both', async () => {
  const room = uniqueRoom('report');
  await server.createRoom(room, { title: 'Erasmus NL–PL: climate', languages: ['en'] });
  const teacher = await openAs(browser, server, room, { user: 'u-ana', name: 'Ana', role: 'teacher' });
  const zofia = await openAs(browser, server, room, { user: 'u-zofia', name: 'Zofia', role: 'student' });
  const piotr = await openAs(browser, server, room, { user: 'u-piotr', name: 'Piotr', role: 'student' });
  const tp = teacher.page;
  const zp = zofia.page;
  await tp.getByTestId('reports-panel').waitFor();
  assert.equal(await zp.getByTestId('reports-panel').count(), 0, 'students have no Reports panel');

  await send(piotr.page, 'Call Zofia on 0612 345 678 tonight');
  await waitForMessage(zp, 'Call Zofia on 0612 345 678 tonight');
  const msg = zp.locator('[data-testid=messages] [data-testid=message]', { hasText: '0612 345 678' });
  // Nobody reports their own message.
  await waitForMessage(piotr.page, 'Call Zofia on 0612 345 678 tonight');
  assert.equal(await piotr.page.locator('[data-testid=message] [data-testid=msg-report]').count(), 0);

  const reportBtn = msg.getByTestId('msg-report');
  assert.equal(await reportBtn.getAttribute('aria-label'), 'Report the message from Piotr');
  await msg.focus();
  await reportBtn.click();
  const dialog = zp.getByTestId('report-dialog');
  await dialog.waitFor();
  assert.equal(await dialog.getByTestId('report-send').isDisabled(), true, 'a reason is required');
  await dialog.getByTestId('report-reason-PERSONAL_INFORMATION').focus();
  await zp.keyboard.press('Space');
  await dialog.getByTestId('report-text').fill('He shares my phone number');
  await shot(zp, 'reports-student-dialog');
  await dialog.getByTestId('report-send').click();
  await dialog.waitFor({ state: 'detached', timeout: 15_000 });

  // The author edits the message afterwards: the report keeps what was reported.
  const seq = await msg.getAttribute('data-seq');
  await piotr.page.evaluate((s) => window.ponte.session.edit(s, 'nothing to see'), seq);
  await waitForMessage(tp, 'nothing to see');

  const first = tp.locator('[data-testid=reports-list] [data-testid=report]').first();
  await first.waitFor({ timeout: 15_000 });
  assert.equal(await first.getByTestId('report-reason').textContent(), 'Someone’s personal information');
  assert.equal(await first.getByTestId('report-reporter').textContent(), 'Reported by Zofia');
  assert.equal(await first.getByTestId('report-target').textContent(), 'Message from Piotr');
  assert.equal(await first.getByTestId('report-content').textContent(), 'Call Zofia on 0612 345 678 tonight');
  assert.equal(await first.getByTestId('report-text').textContent(), '“He shares my phone number”');
  assert.equal(await first.getAttribute('data-status'), 'REPORT_OPEN');

  // The participant, from the list, with the keyboard only.
  const personReport = zp.locator('[data-testid=participant][data-user=u-piotr] [data-testid=report-person]');
  assert.equal(await personReport.getAttribute('aria-label'), 'Report Piotr');
  await personReport.focus();
  await zp.keyboard.press('Enter');
  await dialog.waitFor();
  await dialog.getByTestId('report-reason-SPAM').check();
  await dialog.getByTestId('report-send').focus();
  await zp.keyboard.press('Enter');
  await dialog.waitFor({ state: 'detached', timeout: 15_000 });

  await tp.waitForFunction(() => document.querySelectorAll('[data-testid=reports-list] [data-testid=report]').length === 2);
  const second = tp.locator('[data-testid=report]', { hasText: 'Participant: Piotr' });
  assert.equal(await second.getByTestId('report-reason').textContent(), 'Spam');
  assert.match(await tp.locator('#reports-h').textContent(), /\(2\)/);
  await shot(tp, 'reports-teacher-panel');

  await first.getByTestId('report-handled').click();
  await tp.waitForFunction(() => document.querySelector('[data-testid=report][data-status=REPORT_HANDLED]'));
  const handled = tp.locator('[data-testid=report][data-status=REPORT_HANDLED]');
  assert.equal(await handled.getByTestId('report-resolved-by').textContent(), 'by Ana');
  assert.equal(await handled.getByTestId('report-status').textContent(), 'handled');
  // Focus moved on to the open report's Handled (the resolved one has no buttons left).
  await tp.waitForFunction(() => document.activeElement?.dataset.testid === 'report-handled'
    && document.activeElement.closest('[data-status=REPORT_OPEN]'));
  await second.getByTestId('report-dismiss').click();
  await tp.locator('[data-testid=report][data-status=REPORT_DISMISSED]').waitFor({ timeout: 15_000 });
  assert.match(await tp.locator('#reports-h').textContent(), /\(0\)/);
  assert.equal(await tp.getByTestId('report-handled').count(), 0);
  await close(zofia, piotr, teacher);
});
