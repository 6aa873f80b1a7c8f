// Participants panel: members with roles, presence (active/away), typing, muted; own entry
// marked. Teachers get mute/unmute and remove per student. Hand raising: the user's own
// Raise / Lower toggle, the queue of raised hands (numbered, in raise order) with a badge on each
// raised participant; teachers lower one hand or all of them.
import { h, replaceChildren } from '../dom.js';
import { t } from '../i18n.js';
import { confirmDialog } from './controls.js';

const ROLE_ORDER = { TEACHER: 0, STUDENT: 1, OBSERVER: 2 };
/** The capabilities teachers switch per participant and for the whole room (permissions.proto). */
export const SWITCHED_CAPABILITIES = ['CAPABILITY_CHAT', 'CAPABILITY_PRIVATE_TO_TEACHERS', 'CAPABILITY_REACTIONS',
  'CAPABILITY_WHITEBOARD', 'CAPABILITY_DOCUMENT_CREATE', 'CAPABILITY_DOCUMENT_EDIT', 'CAPABILITY_POLL_ANSWER',
  'CAPABILITY_HAND_RAISE'];

/**
 * A fieldset of switches, one per capability: `on(cap)` says whether it is allowed now,
 * `custom(cap)` marks a participant's own setting, `change(cap, allowed)` sends the change.
 */
function capabilitySwitches({ key, legend, on, custom, change }) {
  return h('fieldset', { class: 'perm-set', 'data-testid': `perms-${key}` },
    h('legend', { text: legend }),
    SWITCHED_CAPABILITIES.map((cap) => {
      const box = h('input', {
        type: 'checkbox', role: 'switch', checked: on(cap), 'data-focus': `perm:${key}:${cap}`, 'data-testid': `perm-${cap}`,
        onchange: () => change(cap, box.checked),
      });
      return h('label', { class: 'check' }, box, h('span', { text: t(`perm.cap.${cap}`) }),
        custom && custom(cap) ? h('span', { class: 'tag', 'data-testid': 'perm-custom', text: t('perm.custom') }) : null);
    }));
}

export function participantsPanel(model, actions, prefs) {
  const count = h('span', { class: 'count' });
  const list = h('ul', { class: 'people', 'aria-labelledby': 'people-h', 'data-testid': 'participants' });
  const handError = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'hand-error' });
  const openPerms = new Set(); // userIds whose permission switches are unfolded (kept across re-renders)
  const permError = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'perm-error' });
  const runPerms = async (userId, grants) => {
    permError.textContent = '';
    try {
      await actions.permissions(userId, grants);
    } catch (err) {
      permError.textContent = actions.describe(err);
      render();
    }
  };
  let busy = false;
  const runHand = async (op) => {
    if (busy) return;
    busy = true;
    handError.textContent = '';
    try {
      await actions.hand(op);
    } catch (err) {
      handError.textContent = actions.describe(err);
    } finally {
      busy = false;
    }
  };
  const handToggle = h('button', {
    type: 'button', class: 'toggle hand-toggle', 'data-testid': 'hand-toggle', 'aria-pressed': 'false',
    onclick: () => runHand(model.handOf(model.me.userId) ? { lower: {} } : { raise: {} }),
  });
  const queue = h('ol', { class: 'hand-queue', 'aria-labelledby': 'hands-h', 'data-testid': 'hand-queue' });
  const queueEmpty = h('p', { class: 'hint', 'data-testid': 'hand-queue-empty', text: t('hands.none') });
  const queueActions = h('div', { class: 'row' });
  const handBlocked = h('p', { class: 'hint', 'data-testid': 'hand-blocked', text: t('hands.blocked') });
  const handsBox = h('div', { class: 'hands' },
    h('h3', { id: 'hands-h', text: t('hands.title') }), queueEmpty, queue, queueActions, handError);
  const el = h('section', { class: 'card people-card', 'aria-labelledby': 'people-h' },
    h('h2', { id: 'people-h' }, t('people.title'), ' ', count), h('div', { class: 'row hand-row' }, handToggle), handBlocked,
    list, permError, handsBox);

  function row(p) {
    const me = p.userId === model.me.userId;
    const muted = model.muted.has(p.userId);
    const away = p.state === 'AWAY';
    const typing = !prefs.lowBandwidth && model.typing.has(p.userId);
    const name = p.displayName || p.userId;
    const bits = [
      h('span', { class: `presence ${away ? 'away' : 'active'}`, 'aria-hidden': 'true' }),
      h('span', { class: 'name', text: name }),
      me ? h('span', { class: 'tag you', text: t('people.you') }) : null,
      h('span', { class: `tag role role-${(p.role || '').toLowerCase()}`, text: t(`role.${p.role || 'STUDENT'}`) }),
      h('span', { class: `tag state ${away ? 'away' : ''}`, text: away ? t('people.away') : t('people.active') }),
      model.handOf(p.userId) ? h('span', { class: 'tag hand', 'data-testid': 'hand-badge' },
        h('span', { 'aria-hidden': 'true', text: t('hands.tag', { n: model.handOf(p.userId).position }) }),
        h('span', { class: 'sr-only', text: t('hands.badge', { n: model.handOf(p.userId).position }) })) : null,
      muted ? h('span', { class: 'tag muted', 'data-testid': 'muted-tag', text: t('people.muted') }) : null,
      typing ? h('span', { class: 'tag typing', text: t('people.typing') }) : null,
    ];
    // Teachers act on a participant directly (mute, remove); learners tell the teachers.
    const report = !me && model.role === 'STUDENT' && !model.closed ? h('button', {
      type: 'button', class: 'secondary small', 'data-focus': `report:${p.userId}`, 'data-testid': 'report-person',
      'aria-label': t('report.reportWho', { name }), text: t('report.action'),
      onclick: (e) => actions.reportPerson(p, e.currentTarget),
    }) : null;
    let controls = report ? h('div', { class: 'row person-actions' }, report) : null;
    if (model.isTeacher() && !me && p.role !== 'TEACHER') {
      controls = h('div', { class: 'row person-actions' },
        h('button', {
          type: 'button', class: 'secondary small', 'data-focus': `mute:${p.userId}`, 'data-testid': 'mute',
          'aria-label': muted ? t('teacher.unmuteWho', { name }) : t('teacher.muteWho', { name }),
          text: muted ? t('teacher.unmute') : t('teacher.mute'),
          onclick: () => actions.teacher({ mute: { userId: p.userId, muted: !muted } }),
        }),
        h('button', {
          type: 'button', class: 'danger small', 'data-focus': `remove:${p.userId}`, 'data-testid': 'remove',
          'aria-label': t('teacher.removeWho', { name }), text: t('teacher.remove'),
          onclick: async () => {
            if (await confirmDialog(t('teacher.removeTitle', { name }), t('teacher.removeBody'), t('teacher.remove'))) {
              actions.teacher({ remove: { userId: p.userId } });
            }
          },
        }));
    }
    let perms = null;
    if (model.isTeacher() && !me && p.role === 'STUDENT') {
      const custom = (cap) => !!model.overrideOf(p.userId, cap);
      perms = h('details', {
        class: 'perms', 'data-testid': 'perms', open: openPerms.has(p.userId),
        ontoggle: (e) => { if (e.currentTarget.open) openPerms.add(p.userId); else openPerms.delete(p.userId); },
      },
      h('summary', { 'data-focus': `perms:${p.userId}`, 'aria-label': t('perm.forWho', { name }), text: t('perm.title') }),
      capabilitySwitches({
        key: p.userId, legend: t('perm.forWho', { name }), on: (cap) => model.can(cap, p.userId), custom,
        change: (cap, allowed) => runPerms(p.userId, [{ capability: cap, grant: allowed ? 'GRANT_ALLOW' : 'GRANT_DENY' }]),
      }),
      SWITCHED_CAPABILITIES.some(custom) ? h('button', {
        type: 'button', class: 'secondary small', 'data-focus': `perm-reset:${p.userId}`, 'data-testid': 'perm-reset', text: t('perm.reset'),
        onclick: () => runPerms(p.userId, SWITCHED_CAPABILITIES.filter(custom).map((cap) => ({ capability: cap, grant: 'GRANT_INHERIT' }))),
      }) : null);
    }
    return h('li', { class: `person${me ? ' me' : ''}`, 'data-user': p.userId, 'data-testid': 'participant' },
      h('div', { class: 'person-line' }, bits), controls, perms);
  }

  function render() {
    const people = [...model.participants.values()].sort((a, b) =>
      (ROLE_ORDER[a.role] ?? 3) - (ROLE_ORDER[b.role] ?? 3)
      || (a.userId === model.me.userId ? -1 : b.userId === model.me.userId ? 1 : 0)
      || String(a.displayName).localeCompare(String(b.displayName)));
    count.textContent = `(${people.length})`;
    replaceChildren(list, people.map(row));
    renderHands();
  }

  function renderHands() {
    const mine = !!model.handOf(model.me.userId);
    const canRaise = model.role !== 'OBSERVER' && !model.ended && !model.closed;
    // Lowering stays possible without the capability; raising does not.
    const denied = canRaise && !mine && !model.can('CAPABILITY_HAND_RAISE');
    handToggle.hidden = !canRaise || denied;
    handBlocked.hidden = !denied;
    handToggle.setAttribute('aria-pressed', String(mine));
    handToggle.textContent = mine ? t('hands.lower') : t('hands.raise');
    const teacher = model.isTeacher();
    queueEmpty.hidden = model.hands.length > 0;
    replaceChildren(queue, model.hands.map((hand, i) => {
      const name = hand.displayName || model.participants.get(hand.userId)?.displayName || hand.userId;
      const me = hand.userId === model.me.userId;
      return h('li', { class: 'hand-item', 'data-user': hand.userId, 'data-testid': 'hand-item' },
        h('span', { class: 'tag hand', 'aria-hidden': 'true', text: String(i + 1) }),
        h('span', { class: 'name', text: name }),
        me ? h('span', { class: 'tag you', text: t('people.you') }) : null,
        teacher && !me ? h('button', {
          type: 'button', class: 'secondary small', 'data-focus': `lower:${hand.userId}`, 'data-testid': 'hand-lower',
          'aria-label': t('hands.lowerWho', { name }), text: t('hands.lowerOne'),
          onclick: () => runHand({ lower: { userId: hand.userId, raisedSeq: Number(hand.raisedSeq || 0) } }),
        }) : null);
    }));
    replaceChildren(queueActions, teacher && model.hands.length ? h('button', {
      type: 'button', class: 'secondary', 'data-focus': 'lower-all', 'data-testid': 'hand-lower-all',
      text: t('hands.lowerAll'), onclick: () => runHand({ lowerAll: {} }),
    }) : null);
  }

  render();
  return { el, render };
}

/** Room-wide teacher controls: lock, student chat, end session; failures shown in place. */
export function teacherPanel(model, actions) {
  const status = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'teacher-error' });
  const body = h('div', { class: 'teacher-controls' });
  const el = h('section', { class: 'card teacher-card', 'aria-labelledby': 'teacher-h', 'data-testid': 'teacher-controls' },
    h('h2', { id: 'teacher-h', text: t('teacher.title') }), body, status);

  const run = async (action) => {
    status.textContent = '';
    try {
      await actions.teacher(action);
    } catch (err) {
      status.textContent = actions.describe(err);
    }
  };

  const runDefaults = async (cap, allowed) => {
    status.textContent = '';
    try {
      await actions.permissions('', [{ capability: cap, grant: allowed ? 'GRANT_ALLOW' : 'GRANT_DENY' }]);
    } catch (err) {
      status.textContent = actions.describe(err);
      render();
    }
  };

  function render() {
    const toggle = (key, testid, label, on, hintOn, hintOff, action) => [
      h('button', {
        type: 'button', class: 'toggle', role: 'switch', 'aria-checked': String(on), 'data-focus': key, 'data-testid': testid,
        'aria-describedby': `${key}-hint`, onclick: () => run(action),
      }, h('span', { class: 'switch-track', 'aria-hidden': 'true' }), h('span', { text: label })),
      h('p', { class: 'hint', id: `${key}-hint`, text: on ? hintOn : hintOff }),
    ];
    replaceChildren(body,
      toggle('lock', 'lock-room', t('teacher.lockRoom'), model.locked, t('teacher.lockedHint'), t('teacher.unlockedHint'),
        { lock: { locked: !model.locked } }),
      toggle('chat', 'student-chat', t('teacher.studentChat'), model.studentChatEnabled, t('teacher.studentChatIsOn'),
        t('teacher.studentChatIsOff'), { studentChat: { enabled: !model.studentChatEnabled } }),
      h('button', {
        type: 'button', class: 'danger', 'data-focus': 'end', 'data-testid': 'end-session', disabled: model.ended,
        text: t('teacher.endSession'),
        onclick: async () => {
          if (await confirmDialog(t('teacher.endTitle'), t('teacher.endBody'), t('teacher.endSession'))) {
            run({ endSession: {} });
          }
        },
      }),
      capabilitySwitches({
        key: 'defaults', legend: t('perm.defaults'),
        on: (cap) => (model.studentDefaults.get(cap) || 'GRANT_ALLOW') === 'GRANT_ALLOW', change: runDefaults,
      }));
  }

  render();
  return { el, render };
}
