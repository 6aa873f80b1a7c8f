// Breakout rooms: teachers open a round (2-20 rooms, random placement, optional timer), see who is
// in which room, broadcast a message to every room and close the round; a placed learner gets a
// banner with their room's name, its broadcasts and a small chat of the breakout room (a second
// SDK room on the same connection), while the main room's chat stays where it was.
import { h, replaceChildren, announce } from '../dom.js';
import { t, language } from '../i18n.js';

const MIN_ROOMS = 2;
const MAX_ROOMS = 20;

export function breakoutsPanel(model, actions, getClient) {
  const teacher = model.isTeacher();
  const status = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'breakout-error' });
  const notice = h('p', { class: 'notice', role: 'status', 'data-testid': 'breakout-notice' });
  const body = h('div', { class: 'breakout-body' });
  const el = h('section', { class: 'card breakouts-card', 'aria-labelledby': 'breakouts-h', 'data-testid': 'breakouts-panel' },
    h('h2', { id: 'breakouts-h', text: t('breakouts.title') }), notice, body, status);
  let chat = null; // the learner's breakout chat view, while placed
  let wasPlaced = !!model.breakoutOf();

  const run = async (op) => {
    status.textContent = '';
    try {
      await actions.breakout(op);
      return true;
    } catch (err) {
      status.textContent = actions.describe(err);
      return false;
    }
  };

  const timeText = (ms) => new Intl.DateTimeFormat(language(), { hour: '2-digit', minute: '2-digit' }).format(new Date(ms));

  function teacherView() {
    const round = model.breakoutRound;
    if (!round) {
      const count = h('input', { type: 'number', id: 'breakout-count', min: MIN_ROOMS, max: MAX_ROOMS, value: 2, 'data-testid': 'breakout-count' });
      const minutes = h('input', { type: 'number', id: 'breakout-minutes', min: 1, max: 1440, placeholder: '', 'data-testid': 'breakout-minutes' });
      const form = h('form', {
        class: 'breakout-form', 'data-testid': 'breakout-form', noValidate: true,
        onsubmit: async (e) => {
          e.preventDefault();
          const n = Number(count.value);
          const mins = minutes.value.trim() === '' ? 0 : Number(minutes.value);
          if (!Number.isInteger(n) || n < MIN_ROOMS || n > MAX_ROOMS) {
            status.textContent = t('breakouts.countInvalid', { min: MIN_ROOMS, max: MAX_ROOMS });
            count.focus();
            return;
          }
          if (!Number.isFinite(mins) || mins < 0 || mins > 1440) {
            status.textContent = t('breakouts.minutesInvalid');
            minutes.focus();
            return;
          }
          const names = Array.from({ length: n }, (_, i) => t('breakouts.roomName', { n: i + 1 }));
          await run({ create: { names, assignment: 'RANDOM', durationMs: Math.round(mins * 60_000) } });
        },
      },
      h('div', { class: 'field' }, h('label', { for: 'breakout-count', text: t('breakouts.count') }), count),
      h('div', { class: 'field' }, h('label', { for: 'breakout-minutes', text: t('breakouts.minutes') }), minutes),
      h('p', { class: 'hint', text: t('breakouts.randomHint') }),
      h('button', { type: 'submit', 'data-testid': 'breakout-create', text: t('breakouts.create') }));
      return [form];
    }
    const rooms = h('ul', { class: 'breakout-rooms', 'data-testid': 'breakout-rooms' }, round.breakouts.map((b) => {
      const members = round.places.filter((p) => p.roomId === b.roomId);
      return h('li', { 'data-testid': 'breakout-room', 'data-room-id': b.roomId },
        h('strong', { text: b.name }),
        h('span', { class: 'hint', text: ` (${members.length})` }),
        members.length
          ? h('ul', { class: 'breakout-members' }, members.map((p) => h('li', { 'data-testid': 'breakout-member', text: p.displayName || p.userId })))
          : h('p', { class: 'hint', text: t('breakouts.emptyRoom') }));
    }));
    const ends = Number(round.endsAtMs) > 0
      ? h('p', { 'data-testid': 'breakout-ends', text: t('breakouts.endsAt', { time: timeText(Number(round.endsAtMs)) }) }) : null;
    const text = h('textarea', { id: 'breakout-broadcast', rows: 2, maxLength: 2000, 'data-testid': 'breakout-broadcast-text' });
    const broadcast = h('form', {
      class: 'breakout-broadcast',
      onsubmit: async (e) => {
        e.preventDefault();
        const v = text.value.trim();
        if (!v) { text.focus(); return; }
        if (await run({ broadcast: { text: v } })) {
          text.value = '';
          announce(t('breakouts.broadcastSent'));
        }
      },
    },
    h('label', { for: 'breakout-broadcast', text: t('breakouts.broadcast') }), text,
    h('button', { type: 'submit', class: 'secondary', 'data-testid': 'breakout-broadcast-send', text: t('breakouts.broadcastSend') }));
    const close = h('button', {
      type: 'button', class: 'danger', 'data-testid': 'breakout-close', text: t('breakouts.close'),
      onclick: () => run({ close: { roundSeq: round.roundSeq } }),
    });
    return [h('p', { text: t('breakouts.open', { count: round.breakouts.length }) }), ends, rooms, broadcast, close];
  }

  function learnerView() {
    const mine = model.breakoutOf();
    if (chat && (!mine || chat.roomId !== mine.roomId)) { chat.leave(); chat = null; }
    if (!mine) {
      el.hidden = !wasPlaced && !notice.textContent;
      return [];
    }
    el.hidden = false;
    if (!chat) chat = breakoutChat(getClient(), mine.roomId, actions);
    const round = model.breakoutRound;
    const ends = Number(round.endsAtMs) > 0
      ? h('p', { 'data-testid': 'breakout-ends', text: t('breakouts.endsAt', { time: timeText(Number(round.endsAtMs)) }) }) : null;
    return [h('p', { class: 'breakout-banner', 'data-testid': 'breakout-banner', text: t('breakouts.youAreIn', { name: mine.name }) }), ends, chat.el];
  }

  function render() {
    replaceChildren(body, teacher ? teacherView() : learnerView());
  }

  const unsub = model.subscribe((topic, detail) => {
    if (topic !== 'breakouts' && topic !== 'room') return;
    if (!teacher && detail && detail.broadcast !== undefined) {
      notice.textContent = t('breakouts.broadcastNotice', { text: detail.broadcast });
      announce(notice.textContent);
    }
    if (!teacher) {
      const placed = !!model.breakoutOf();
      if (placed && !wasPlaced) {
        notice.textContent = '';
        announce(t('breakouts.youAreIn', { name: model.breakoutOf().name }));
      }
      if (!placed && wasPlaced) {
        notice.textContent = t('breakouts.backInMain');
        announce(notice.textContent);
      }
      wasPlaced = placed;
    }
    render();
  });
  render();
  return {
    el, render,
    // A re-render (language change) keeps the SDK room: only the view goes.
    destroy() { unsub(); chat?.detach(); },
  };
}

/** The chat of one breakout room: its messages and a box to post, over the app's SDK client. */
function breakoutChat(client, roomId, actions) {
  const list = h('ol', { class: 'breakout-messages', 'aria-live': 'polite', 'aria-label': t('breakouts.chat'), 'data-testid': 'breakout-messages' });
  const input = h('input', { type: 'text', id: 'breakout-input', maxLength: 2000, 'data-testid': 'breakout-input', autocomplete: 'off' });
  const error = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'breakout-chat-error' });
  const room = client.room(roomId);
  const joining = room ? Promise.resolve(room) : client.join(roomId);
  const offs = [];
  let detached = false;
  const line = (m) => h('li', { 'data-testid': 'breakout-message' },
    h('strong', { text: `${m.author?.displayName || m.author?.userId || ''}: ` }), m.text || '');
  joining.then((r) => {
    if (detached) return;
    const all = () => replaceChildren(list, (r.snapshot?.recentMessages || []).map(line).concat(posted.map(line)));
    const posted = [];
    all();
    offs.push(r.on('reset', () => { posted.length = 0; all(); }));
    offs.push(r.on('chatPosted', (m) => { posted.push(m); list.append(line(m)); }));
  }).catch((err) => { if (!detached) error.textContent = actions.describe(err); });
  const form = h('form', {
    class: 'breakout-composer',
    onsubmit: async (e) => {
      e.preventDefault();
      const text = input.value.trim();
      if (!text) return;
      error.textContent = '';
      try {
        const r = await joining;
        await r.post(text);
        input.value = '';
      } catch (err) {
        error.textContent = actions.describe(err);
      }
    },
  },
  h('label', { for: 'breakout-input', text: t('breakouts.chatLabel') }), input,
  h('button', { type: 'submit', 'data-testid': 'breakout-send', text: t('composer.send') }));
  const el = h('div', { class: 'breakout-chat', 'data-testid': 'breakout-chat' },
    h('h3', { text: t('breakouts.chat') }), list, form, error);
  const detach = () => { detached = true; for (const off of offs.splice(0)) off(); };
  return {
    roomId, el, detach,
    // The server ends the breakout when the round closes; leaving first is harmless and quick.
    leave() { detach(); client.room(roomId)?.leave().catch(() => {}); },
  };
}
