// The name screen ("door"): who the invitation says you are, the room's working languages, the
// interface language, low-bandwidth mode, and Join. Join errors (expired token, room ended,
// banned, locked, ...) are shown here, translated, with their code.
import { h } from '../dom.js';
import { t, languageName } from '../i18n.js';
import { languagePicker, lowBandwidthSwitch } from './controls.js';

export function doorScreen({ roomId, claims, role, model, prefs, status, waiting, error, onJoin, onLanguage, onLowBandwidth }) {
  const langs = model.joined ? model.settings.languages || [] : null;
  const title = model.joined && model.settings.title ? model.settings.title : roomId;
  const ready = model.joined && !error;
  return h('main', { class: 'door', id: 'main' },
    h('div', { class: 'door-card card' },
      h('p', { class: 'brand', text: 'Ponte' }),
      h('h1', { 'data-testid': 'room-title', text: title }),
      title !== roomId ? h('p', { class: 'hint', text: t('door.roomId', { room: roomId }) }) : null,
      h('dl', { class: 'facts' },
        h('dt', { text: t('door.name') }), h('dd', { 'data-testid': 'door-name', text: claims?.name || '—' }),
        h('dt', { text: t('door.role') }), h('dd', { 'data-testid': 'door-role', text: role ? t(`role.${role}`) : '—' }),
        h('dt', { text: t('door.languages') }),
        h('dd', { 'data-testid': 'door-languages' },
          langs === null ? (error || waiting ? '—' : t('door.connecting'))
            : langs.length ? langs.map((l) => `${languageName(l)} (${l})`).join(', ') : t('door.noLanguages'))),
      h('p', { class: 'hint', text: t('door.nameHint') }),
      languagePicker(onLanguage),
      lowBandwidthSwitch(prefs, onLowBandwidth),
      error ? h('p', { class: 'form-error door-error', role: 'alert', 'data-testid': 'door-error', text: error }) : null,
      !error && waiting ? h('div', { class: 'lobby-waiting', role: 'status', 'data-testid': 'lobby-waiting' },
        h('h2', { text: t('lobby.waitingTitle') }), h('p', { text: waiting })) : null,
      !error && !waiting && status ? h('p', { class: 'hint', role: 'status', text: status }) : null,
      h('div', { class: 'row' },
        h('button', {
          type: 'button', class: 'primary big', 'data-testid': 'join', disabled: !ready, 'aria-disabled': String(!ready),
          text: t('door.join'), onclick: onJoin,
        }))));
}

/** No invitation in the address and none kept for this tab. */
export function noInviteScreen() {
  return h('main', { class: 'door', id: 'main' },
    h('div', { class: 'door-card card' },
      h('p', { class: 'brand', text: 'Ponte' }),
      h('h1', { text: t('noInvite.title') }),
      h('p', { text: t('noInvite.body') })));
}
