// The waiting room, for teachers: the lobby mode (off / guests / everyone), who waits (name,
// guest tag, since when), Admit or Deny per person, Admit all and Deny all. The learner's side
// (their place in the queue) is on the door screen.
import { h, replaceChildren } from '../dom.js';
import { t } from '../i18n.js';

const MODES = ['LOBBY_OFF', 'LOBBY_GUESTS', 'LOBBY_EVERYONE'];
const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

export function lobbyPanel(model, actions) {
  const count = h('span', { class: 'count' });
  const error = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'lobby-error' });
  const list = h('ul', { class: 'people lobby-list', 'aria-labelledby': 'lobby-h', 'data-testid': 'lobby-list' });
  const empty = h('p', { class: 'hint', 'data-testid': 'lobby-empty', text: t('lobby.empty') });
  const bulk = h('div', { class: 'row' });
  const modes = h('fieldset', { class: 'lobby-modes', 'data-testid': 'lobby-mode' },
    h('legend', { text: t('lobby.mode') }),
    MODES.map((mode) => h('label', { class: 'radio' },
      h('input', {
        type: 'radio', name: 'lobby-mode', value: mode, 'data-testid': `lobby-mode-${mode}`,
        onchange: (e) => { if (e.target.checked) run({ setMode: { mode } }); },
      }),
      h('span', { text: t(`lobby.mode.${mode}`) }))));
  const heading = h('h2', { id: 'lobby-h', tabindex: -1 }, t('lobby.title'), ' ', count);
  const el = h('section', { class: 'card lobby-card', 'aria-labelledby': 'lobby-h', 'data-testid': 'lobby-panel' },
    heading, modes, empty, list, bulk, error);
  // Where keyboard focus goes when the person it was on leaves the queue: the next person's
  // Admit (same place in the list), else the heading.
  let focusAt = -1;
  list.addEventListener('focusin', (e) => {
    const li = e.target.closest('li');
    focusAt = li ? [...list.children].indexOf(li) : -1;
  });

  async function run(op) {
    error.textContent = '';
    try {
      await actions.lobby(op);
    } catch (err) {
      error.textContent = actions.describe(err);
      render();
    }
  }

  function row(e) {
    const name = e.displayName || e.userId;
    const since = Number(e.sinceMs || 0);
    return h('li', { class: 'person', 'data-user': e.userId, 'data-testid': 'lobby-entry' },
      h('div', { class: 'person-line' },
        h('span', { class: 'name', text: name }),
        e.guest ? h('span', { class: 'tag guest', 'data-testid': 'guest-tag', text: t('lobby.guest') }) : null,
        since ? h('time', { class: 'hint', datetime: new Date(since).toISOString(), text: t('lobby.since', { time: timeFmt.format(new Date(since)) }) }) : null),
      h('div', { class: 'row person-actions' },
        h('button', {
          type: 'button', class: 'primary small', 'data-testid': 'lobby-admit', 'data-focus': `admit:${e.userId}`,
          'aria-label': t('lobby.admitWho', { name }), text: t('lobby.admit'), onclick: () => run({ admit: { userId: e.userId } }),
        }),
        h('button', {
          type: 'button', class: 'danger small', 'data-testid': 'lobby-deny', 'data-focus': `deny:${e.userId}`,
          'aria-label': t('lobby.denyWho', { name }), text: t('lobby.deny'), onclick: () => run({ deny: { userId: e.userId } }),
        })));
  }

  function render() {
    for (const input of modes.querySelectorAll('input')) input.checked = input.value === model.lobbyMode;
    count.textContent = `(${model.lobbyWaiting.length})`;
    empty.hidden = model.lobbyWaiting.length > 0;
    const hadFocus = list.contains(document.activeElement);
    replaceChildren(list, model.lobbyWaiting.map(row));
    if (hadFocus && !list.contains(document.activeElement) && focusAt >= 0) {
      const next = list.children[Math.min(focusAt, list.children.length - 1)];
      (next ? next.querySelector('[data-testid=lobby-admit]') : heading).focus();
    }
    replaceChildren(bulk, model.lobbyWaiting.length > 1 ? [
      h('button', { type: 'button', class: 'secondary', 'data-testid': 'lobby-admit-all', text: t('lobby.admitAll'), onclick: () => run({ admitAll: {} }) }),
      h('button', { type: 'button', class: 'secondary', 'data-testid': 'lobby-deny-all', text: t('lobby.denyAll'), onclick: () => run({ denyAll: {} }) }),
    ] : null);
  }

  render();
  return { el, render };
}

/** The learner's waiting screen text for a LobbyStatus, or null when not waiting. */
export function lobbyStatusText(status) {
  if (!status) return null;
  if (status.state === 'WAITING') return t('lobby.waiting', { n: status.position || 1 });
  if (status.state === 'ADMITTED') return t('lobby.admitted');
  return null;
}
