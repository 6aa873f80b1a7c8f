// Hand raising and polls in real Chromium against a real Ponte server: a teacher and a student,
// each in their own browser context, one room per test.
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

async function classroom(prefix) {
  const room = uniqueRoom(prefix);
  await server.createRoom(room, { title: 'Erasmus NL–PL: climate', languages: ['nl', 'pl', 'en'] });
  const teacher = await openAs(browser, server, room, { user: 'u-ana', name: 'Ana', role: 'teacher' });
  const student = await openAs(browser, server, room, { user: 'u-zofia', name: 'Zofia', role: 'student' });
  await teacher.page.locator('[data-testid=participant][data-user=u-zofia]').waitFor();
  return { room, teacher, student };
}

async function close(...who) {
  for (const w of who) {
    assert.deepEqual(w.errors.filter((e) => !/Failed to load resource/.test(e)), [], 'no page errors');
    await w.context.close();
  }
}

test('hand raising: the student raises a hand, the teacher sees it in the queue and lowers it', async () => {
  const { teacher, student } = await classroom('hand');
  const toggle = student.page.getByTestId('hand-toggle');
  assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
  assert.match(await toggle.textContent(), /Raise hand/);
  // Keyboard: focus the toggle and press Space.
  await toggle.focus();
  await student.page.keyboard.press('Space');
  await student.page.waitForFunction(() => document.querySelector('[data-testid=hand-toggle]').getAttribute('aria-pressed') === 'true');
  assert.match(await toggle.textContent(), /Lower hand/);

  const item = teacher.page.locator('[data-testid=hand-queue] [data-testid=hand-item][data-user=u-zofia]');
  await item.waitFor({ timeout: 15_000 });
  assert.match(await item.textContent(), /1.*Zofia/);
  await teacher.page.locator('[data-testid=participant][data-user=u-zofia] [data-testid=hand-badge]').waitFor();
  assert.match(await teacher.page.locator('[data-testid=participant][data-user=u-zofia] [data-testid=hand-badge]').textContent(), /1/);
  await teacher.page.getByTestId('hand-lower-all').waitFor();
  await shot(teacher.page, 'handpoll-teacher-hand-queue');

  await item.getByTestId('hand-lower').click();
  await item.waitFor({ state: 'detached', timeout: 15_000 });
  await student.page.waitForFunction(() => document.querySelector('[data-testid=hand-toggle]').getAttribute('aria-pressed') === 'false');
  assert.equal(await teacher.page.locator('[data-testid=hand-badge]').count(), 0);
  assert.equal(await student.page.locator('[data-testid=hand-item]').count(), 0);
  await close(teacher, student);
});

test('polls: the teacher creates and opens a poll, the student answers, the teacher sees the count, closes and shares', async () => {
  const { teacher, student } = await classroom('poll');
  const tp = teacher.page;
  const sp = student.page;
  assert.equal(await sp.getByTestId('poll-form').count(), 0, 'students get no create form');

  await tp.getByTestId('poll-question').fill('Which gas warms the climate most?');
  const inputs = tp.getByTestId('poll-option-input');
  await inputs.nth(0).fill('CO₂');
  await inputs.nth(1).fill('Oxygen');
  await tp.getByTestId('poll-add-option').click();
  await inputs.nth(2).fill('Nitrogen');
  await tp.getByTestId('poll-create').click();

  const tPoll = tp.locator('[data-testid=poll]', { hasText: 'Which gas warms the climate most?' });
  await tPoll.waitFor({ timeout: 15_000 });
  assert.equal(await tPoll.getAttribute('data-status'), 'POLL_STATUS_DRAFT');
  // A draft is for teachers only.
  await sp.waitForTimeout(300);
  assert.equal(await sp.locator('[data-testid=poll]').count(), 0);

  await tPoll.getByTestId('poll-open').click();
  await tp.waitForFunction(() => document.querySelector('[data-testid=poll]')?.dataset.status === 'POLL_STATUS_OPEN');

  const sPoll = sp.locator('[data-testid=poll]', { hasText: 'Which gas warms the climate most?' });
  await sPoll.getByTestId('poll-answer').waitFor({ timeout: 15_000 });
  const choices = sPoll.getByTestId('poll-choice');
  assert.equal(await choices.count(), 3);
  assert.equal(await choices.first().getAttribute('type'), 'radio');
  await sPoll.getByLabel('CO₂').check();
  await sPoll.getByTestId('poll-submit').click();
  await sPoll.getByTestId('poll-answered').waitFor({ timeout: 15_000 });
  await shot(sp, 'handpoll-student-answered');

  // The teacher's live counts: one voter, on the first option.
  await tp.waitForFunction(() => {
    const counts = [...document.querySelectorAll('[data-testid=poll] [data-testid=poll-count]')].map((e) => e.textContent);
    return counts[0]?.startsWith('1 ');
  }, null, { timeout: 15_000 });
  assert.deepEqual(await tPoll.getByTestId('poll-count').allTextContents(), ['1 · 100%', '0 · 0%', '0 · 0%']);
  assert.match(await tPoll.getByTestId('poll-voters').textContent(), /1 answered/);
  await shot(tp, 'handpoll-teacher-counts');

  await tPoll.getByTestId('poll-close').click();
  await sPoll.getByTestId('poll-waiting').waitFor({ timeout: 15_000 });
  assert.equal(await sPoll.getByTestId('poll-results').count(), 0, 'no results before they are shared');
  await tPoll.getByTestId('poll-share').click();

  await sPoll.getByTestId('poll-results').waitFor({ timeout: 15_000 });
  assert.deepEqual(await sPoll.getByTestId('poll-count').allTextContents(), ['1 · 100%', '0 · 0%', '0 · 0%']);
  assert.match(await sPoll.getByTestId('poll-status').textContent(), /results shared/);
  assert.match(await sPoll.locator('[data-testid=poll-result][data-option="0"]').textContent(), /your answer/);
  await shot(sp, 'handpoll-student-results');
  await close(teacher, student);
});

test('a named quiz: the teacher marks the correct option, sees who answered what, and the shared results show it', async () => {
  const { teacher, student } = await classroom('quiz');
  const tp = teacher.page;
  const sp = student.page;
  await tp.getByTestId('poll-question').fill('Where is Kraków?');
  await tp.getByTestId('poll-quiz').check();
  const inputs = tp.getByTestId('poll-option-input');
  await inputs.nth(0).fill('Poland');
  await inputs.nth(1).fill('Netherlands');
  await tp.getByTestId('poll-option-correct').nth(0).check();
  await tp.getByTestId('poll-form').scrollIntoViewIfNeeded();
  await shot(tp, 'handpoll-teacher-quiz-form');
  await tp.getByTestId('poll-create').click();

  const tPoll = tp.locator('[data-testid=poll]', { hasText: 'Where is Kraków?' });
  await tPoll.waitFor({ timeout: 15_000 });
  assert.match(await tPoll.textContent(), /quiz/);
  // Teachers see the correct option from the start.
  assert.match(await tPoll.locator('[data-testid=poll-result][data-option="0"]').textContent(), /correct/);
  assert.doesNotMatch(await tPoll.locator('[data-testid=poll-result][data-option="1"]').textContent(), /correct/);
  await tPoll.getByTestId('poll-open').click();

  const sPoll = sp.locator('[data-testid=poll]', { hasText: 'Where is Kraków?' });
  await sPoll.getByTestId('poll-answer').waitFor({ timeout: 15_000 });
  assert.doesNotMatch(await sPoll.textContent(), /correct/, 'students do not see the answer before results are shared');
  await sPoll.getByLabel('Netherlands').check();
  await sPoll.getByTestId('poll-submit').click();
  await sPoll.getByTestId('poll-answered').waitFor({ timeout: 15_000 });

  const ballot = tPoll.locator('[data-testid=poll-ballots] [data-testid=poll-ballot][data-user=u-zofia]');
  await ballot.waitFor({ timeout: 15_000 });
  assert.equal((await ballot.textContent()).trim(), 'Zofia: Netherlands');
  await shot(tp, 'handpoll-teacher-quiz-ballots');

  await tPoll.getByTestId('poll-close').click();
  await tPoll.getByTestId('poll-share').click();
  await sPoll.getByTestId('poll-results').waitFor({ timeout: 15_000 });
  assert.match(await sPoll.locator('[data-testid=poll-result][data-option="0"]').textContent(), /correct/);
  assert.match(await sPoll.locator('[data-testid=poll-result][data-option="1"]').textContent(), /your answer/);
  assert.equal(await sp.locator('[data-testid=poll-ballots]').count(), 0, 'students never see ballots');
  await shot(sp, 'handpoll-student-quiz-results');
  await close(teacher, student);
});

test('an anonymous poll shows teachers no ballots, only counts', async () => {
  const { teacher, student } = await classroom('anon');
  const tp = teacher.page;
  await tp.getByTestId('poll-question').fill('How was today?');
  const inputs = tp.getByTestId('poll-option-input');
  await inputs.nth(0).fill('Good');
  await inputs.nth(1).fill('Hard');
  await tp.getByTestId('poll-anonymous').check();
  await tp.getByTestId('poll-create').click();
  const tPoll = tp.locator('[data-testid=poll]', { hasText: 'How was today?' });
  await tPoll.getByTestId('poll-open').click();
  const sPoll = student.page.locator('[data-testid=poll]', { hasText: 'How was today?' });
  await sPoll.getByTestId('poll-answer').waitFor({ timeout: 15_000 });
  await sPoll.getByLabel('Hard').check();
  await sPoll.getByTestId('poll-submit').click();
  await tp.waitForFunction(() => [...document.querySelectorAll('[data-testid=poll-voters]')].some((e) => /1 answered/.test(e.textContent)), null, { timeout: 15_000 });
  assert.equal(await tPoll.getByTestId('poll-ballots').count(), 0);
  await tPoll.getByTestId('poll-anonymous-note').waitFor();
  assert.doesNotMatch(await tPoll.textContent(), /Zofia/);
  await close(teacher, student);
});
