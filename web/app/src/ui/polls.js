// Polls: teachers create a poll or a quiz (question, 2-10 options, correct options for a quiz,
// single or multiple choice, anonymous), open it, close it, share its results, delete it, and
// watch the live counts and, for a named poll, who answered what; students answer an open poll
// (and may change their answer until it closes); everyone sees shared results.
import { h, replaceChildren } from '../dom.js';
import { t } from '../i18n.js';
import { confirmDialog } from './controls.js';

const MIN_OPTIONS = 2;
const MAX_OPTIONS = 10;
let formSeq = 0;

export function pollsPanel(model, actions) {
  const status = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'poll-error' });
  const list = h('ul', { class: 'polls', 'aria-labelledby': 'polls-h', 'data-testid': 'polls' });
  const empty = h('p', { class: 'hint', 'data-testid': 'polls-empty' });
  const form = model.isTeacher() ? createForm() : null;
  const el = h('section', { class: 'card polls-card', 'aria-labelledby': 'polls-h', 'data-testid': 'polls-panel' },
    h('h2', { id: 'polls-h', text: t('polls.title') }), form, empty, list, status);
  const drafts = new Map(); // pollId -> Set of chosen indexes (students, not sent yet)
  const ballotsOpen = new Map(); // pollId -> whether the teacher has the ballots open

  const run = async (pollId, op) => {
    status.textContent = '';
    try {
      await actions.poll(pollId, op);
      return true;
    } catch (err) {
      status.textContent = actions.describe(err);
      return false;
    }
  };

  function createForm() {
    const id = `poll-form-${++formSeq}`;
    const question = h('textarea', { id: `${id}-q`, rows: 2, 'data-testid': 'poll-question', maxLength: 500 });
    const options = h('ol', { class: 'poll-option-inputs' });
    const multiple = h('input', { type: 'checkbox', id: `${id}-multi`, 'data-testid': 'poll-multiple' });
    const anonymous = h('input', { type: 'checkbox', id: `${id}-anon`, 'data-testid': 'poll-anonymous' });
    // A quiz marks its correct options; the marks stay with their option when options are removed.
    const quiz = h('input', {
      type: 'checkbox', id: `${id}-quiz`, 'data-testid': 'poll-quiz',
      onchange: () => renderOptions(rows()),
    });
    const formError = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'poll-form-error' });
    const addBtn = h('button', {
      type: 'button', class: 'secondary', 'data-testid': 'poll-add-option', text: t('polls.addOption'),
      onclick: () => { addOption(''); options.lastElementChild.querySelector('input').focus(); },
    });
    // [{ text, correct }] as the inputs hold them now.
    const rows = () => [...options.querySelectorAll('li')].map((li) => ({
      text: li.querySelector('[data-testid=poll-option-input]').value,
      correct: !!li.querySelector('[data-testid=poll-option-correct]')?.checked,
    }));
    const blank = () => ({ text: '', correct: false });
    function renderOptions(vals) {
      replaceChildren(options, vals.map((v, i) => {
        const input = h('input', {
          type: 'text', id: `${id}-o${i}`, value: v.text, maxLength: 200, 'data-testid': 'poll-option-input', 'data-focus': `opt:${i}`,
        });
        const correct = quiz.checked ? h('input', {
          type: 'checkbox', id: `${id}-c${i}`, checked: v.correct, 'data-testid': 'poll-option-correct',
        }) : null;
        return h('li', { class: 'row poll-option-input' },
          h('label', { for: `${id}-o${i}`, class: 'sr-only', text: t('polls.optionN', { n: i + 1 }) }),
          input,
          correct ? h('span', { class: 'field check poll-correct' }, correct,
            h('label', { for: `${id}-c${i}`, text: t('polls.correct'), title: t('polls.correctN', { n: i + 1 }) })) : null,
          vals.length > MIN_OPTIONS ? h('button', {
            type: 'button', class: 'secondary small', 'aria-label': t('polls.removeOptionN', { n: i + 1 }), text: '✕',
            onclick: () => { const next = rows(); next.splice(i, 1); renderOptions(next); addBtn.focus(); },
          }) : null);
      }));
      addBtn.disabled = vals.length >= MAX_OPTIONS;
    }
    function addOption(v) {
      const vals = rows();
      if (vals.length >= MAX_OPTIONS) return;
      renderOptions([...vals, { text: v, correct: false }]);
    }
    renderOptions([blank(), blank()]);
    const submit = async (e) => {
      e.preventDefault();
      formError.textContent = '';
      const q = question.value.trim();
      const kept = rows().map((r) => ({ ...r, text: r.text.trim() })).filter((r) => r.text);
      const opts = kept.map((r) => r.text);
      // Indexes among the options sent (blank inputs are dropped first).
      const correctOptions = quiz.checked ? kept.flatMap((r, i) => (r.correct ? [i] : [])) : [];
      if (!q) { formError.textContent = t('polls.needQuestion'); question.focus(); return; }
      if (opts.length < MIN_OPTIONS) { formError.textContent = t('polls.needOptions'); return; }
      if (new Set(opts).size !== opts.length) { formError.textContent = t('polls.duplicateOptions'); return; }
      const pollId = `poll-${crypto.randomUUID()}`;
      const ok = await run(pollId, {
        create: { question: q, options: opts, multipleChoice: multiple.checked, anonymous: anonymous.checked, correctOptions },
      });
      if (ok) {
        question.value = '';
        multiple.checked = false;
        anonymous.checked = false;
        quiz.checked = false;
        renderOptions([blank(), blank()]);
      }
    };
    return h('form', { class: 'poll-form', 'data-testid': 'poll-form', onsubmit: submit },
      h('h3', { text: t('polls.new') }),
      h('div', { class: 'field' }, h('label', { for: `${id}-q`, text: t('polls.question') }), question),
      h('fieldset', { class: 'poll-options-field' }, h('legend', { text: t('polls.options') }), options, addBtn),
      h('div', { class: 'field check' }, multiple, h('label', { for: `${id}-multi`, text: t('polls.multipleChoice') })),
      h('div', { class: 'field check' }, anonymous, h('label', { for: `${id}-anon`, text: t('polls.anonymous') })),
      h('div', { class: 'field check' }, quiz, h('label', { for: `${id}-quiz`, text: t('polls.quiz') })),
      h('button', { type: 'submit', class: 'primary', 'data-testid': 'poll-create', text: t('polls.create') }),
      formError);
  }

  const statusText = (p) => (p.status === 'POLL_STATUS_DRAFT' ? t('polls.status.draft')
    : p.status === 'POLL_STATUS_OPEN' ? t('polls.status.open')
      : p.resultsShared ? t('polls.status.shared') : t('polls.status.closed'));

  function results(p) {
    const per = p.counts?.perOption || [];
    const voters = p.counts?.voters || 0;
    const mine = model.myChoices.get(p.pollId) || [];
    return h('div', { class: 'poll-results' },
      h('ul', { class: 'poll-result-list', 'data-testid': 'poll-results' }, p.options.map((o, i) => {
        const n = per[i] || 0;
        const pct = voters ? Math.round((n / voters) * 100) : 0;
        const correct = p.correctOptions.includes(i);
        return h('li', { class: `poll-result${correct ? ' correct' : ''}`, 'data-testid': 'poll-result', 'data-option': String(i) },
          h('div', { class: 'poll-result-line' },
            h('span', { class: 'poll-option-text', text: o }),
            correct ? h('span', { class: 'tag correct', text: t('polls.correct') }) : null,
            mine.includes(i) ? h('span', { class: 'tag you', text: t('polls.yourChoice') }) : null,
            h('span', { class: 'poll-count', 'data-testid': 'poll-count', 'aria-label': t('polls.countOf', { n, pct }), text: `${n} · ${pct}%` })),
          h('div', { class: 'poll-bar', 'aria-hidden': 'true' }, h('span', { style: `width: ${pct}%` })));
      })),
      h('p', { class: 'hint', 'data-testid': 'poll-voters', text: t('polls.voters', { n: voters }) }));
  }

  // Teachers: who answered what on a named poll, latest answer last (the server's order).
  function ballots(p) {
    if (p.anonymous) return h('p', { class: 'hint', 'data-testid': 'poll-anonymous-note', text: t('polls.anonymousBallots') });
    if (p.status === 'POLL_STATUS_DRAFT') return null;
    const list = p.ballots || [];
    // Re-rendered on every count: keep the teacher's own open/closed choice.
    const open = ballotsOpen.has(p.pollId) ? ballotsOpen.get(p.pollId) : list.length > 0 && list.length <= 12;
    const el = h('details', {
      class: 'poll-ballots', 'data-testid': 'poll-ballots', open,
      ontoggle: () => ballotsOpen.set(p.pollId, el.open),
    },
      h('summary', { text: `${t('polls.ballots')} (${list.length})` }),
      list.length ? h('ul', {}, list.map((b) => h('li', { 'data-testid': 'poll-ballot', 'data-user': b.userId },
        h('span', { class: 'ballot-name', text: b.displayName || b.userId }), ': ',
        h('span', { class: 'ballot-choices', text: (b.choices || []).map((c) => p.options[c] ?? `#${c + 1}`).join(', ') }))))
        : h('p', { class: 'hint', text: t('polls.noBallots') }));
    return el;
  }

  function answerForm(p) {
    const mine = model.myChoices.get(p.pollId) || [];
    if (!drafts.has(p.pollId)) drafts.set(p.pollId, new Set(mine));
    const chosen = drafts.get(p.pollId);
    const name = `answer-${p.pollId}`;
    const legendId = `${name}-legend`;
    const send = async (e) => {
      e.preventDefault();
      const choices = [...chosen].sort((a, b) => a - b);
      if (!choices.length) { status.textContent = t('polls.chooseFirst'); return; }
      if (await run(p.pollId, { answer: { choices } })) {
        model.myChoices.set(p.pollId, choices);
        render();
      }
    };
    return h('form', { class: 'poll-answer', 'data-testid': 'poll-answer', onsubmit: send },
      h('fieldset', { 'aria-labelledby': legendId },
        h('legend', { id: legendId, class: 'sr-only', text: p.question }),
        p.options.map((o, i) => {
          const id = `${name}-${i}`;
          const input = h('input', {
            type: p.multipleChoice ? 'checkbox' : 'radio', name, id, value: String(i), checked: chosen.has(i),
            'data-testid': 'poll-choice', 'data-focus': id,
            onchange: () => {
              if (!p.multipleChoice) chosen.clear();
              if (input.checked) chosen.add(i); else chosen.delete(i);
            },
          });
          return h('div', { class: 'field check' }, input, h('label', { for: id, text: o }));
        })),
      h('button', {
        type: 'submit', class: 'primary', 'data-testid': 'poll-submit', 'data-focus': `${name}-submit`,
        text: mine.length ? t('polls.changeAnswer') : t('polls.sendAnswer'),
      }),
      mine.length ? h('p', { class: 'hint', 'data-testid': 'poll-answered', text: t('polls.answered') }) : null);
  }

  function teacherButtons(p) {
    const btn = (key, cls, label, op, testid) => h('button', {
      type: 'button', class: cls, 'data-focus': `${key}:${p.pollId}`, 'data-testid': testid, text: label,
      onclick: () => run(p.pollId, op),
    });
    return h('div', { class: 'row poll-actions' },
      p.status === 'POLL_STATUS_DRAFT' ? btn('open', 'primary', t('polls.open'), { open: {} }, 'poll-open') : null,
      p.status === 'POLL_STATUS_OPEN' ? btn('close', 'secondary', t('polls.close'), { close: {} }, 'poll-close') : null,
      p.status === 'POLL_STATUS_CLOSED' && !p.resultsShared
        ? btn('share', 'primary', t('polls.share'), { share: {} }, 'poll-share') : null,
      h('button', {
        type: 'button', class: 'danger', 'data-focus': `delete:${p.pollId}`, 'data-testid': 'poll-delete', text: t('polls.delete'),
        onclick: async () => {
          if (await confirmDialog(t('polls.deleteTitle'), t('polls.deleteBody'), t('polls.delete'))) run(p.pollId, { delete: {} });
        },
      }));
  }

  function item(p) {
    const teacher = model.isTeacher();
    const headId = `poll-h-${p.pollId}`;
    let body;
    if (teacher || p.resultsShared) body = results(p);
    else if (p.status === 'POLL_STATUS_OPEN' && model.role === 'STUDENT' && !model.ended && !model.closed) {
      body = model.can('CAPABILITY_POLL_ANSWER') ? answerForm(p)
        : h('p', { class: 'hint', 'data-testid': 'poll-blocked', text: t('polls.blocked') });
    }
    else if (p.status === 'POLL_STATUS_OPEN') body = h('p', { class: 'hint', text: t('polls.openNoAnswer') });
    else body = h('p', { class: 'hint', 'data-testid': 'poll-waiting', text: t('polls.waitingResults') });
    const kind = [p.multipleChoice ? t('polls.kind.multiple') : t('polls.kind.single'), p.anonymous ? t('polls.kind.anonymous') : null,
      p.quiz || p.correctOptions?.length ? t('polls.kind.quiz') : null]
      .filter(Boolean).join(' · ');
    return h('li', { class: 'poll', 'data-poll': p.pollId, 'data-status': p.status, 'data-testid': 'poll', 'aria-labelledby': headId },
      h('div', { class: 'poll-head' },
        h('h3', { id: headId, class: 'poll-question', text: p.question }),
        h('span', { class: 'tag poll-status', 'data-testid': 'poll-status', text: statusText(p) })),
      h('p', { class: 'hint', text: kind }),
      body,
      teacher ? ballots(p) : null,
      teacher ? teacherButtons(p) : null);
  }

  function render() {
    const polls = [...model.polls.values()];
    empty.textContent = model.isTeacher() ? t('polls.noneTeacher') : t('polls.none');
    empty.hidden = polls.length > 0;
    for (const id of drafts.keys()) if (!model.polls.has(id)) drafts.delete(id);
    for (const id of ballotsOpen.keys()) if (!model.polls.has(id)) ballotsOpen.delete(id);
    replaceChildren(list, polls.map(item));
  }

  render();
  return { el, render };
}
