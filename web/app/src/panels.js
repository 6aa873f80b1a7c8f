// Panel slots for the whiteboard (src/board/) and the documents (src/docs/). Each is loaded on
// demand with import(), so neither is in the initial bundle. A panel module exports
//
//   mount(container, ctx)   draw into container; ctx as below
//   unmount()               stop, release listeners and timers
//
// ctx = {
//   client,        the SDK client (connected, joined to the room)
//   roomId,        the room's id
//   user,          {userId, displayName} of this user
//   role,          'TEACHER' | 'STUDENT' | 'OBSERVER'
//   t,             the i18n function: t(key, params)
//   lowBandwidth,  boolean (a getter: always the current value): board: no live ink; docs: no cursors
//   onChange(fn),  fn({lowBandwidth, language}) after either changes; returns an unsubscribe function
//   model,         the app's RoomModel (settings, participants, ...), read-only for panels
// }
import { h, replaceChildren } from './dom.js';
import { t } from './i18n.js';

const PANELS = {
  board: { label: 'panel.board', load: () => import('./board/index.js') },
  docs: { label: 'panel.docs', load: () => import('./docs/index.js') },
};

export function panelSlots(ctx) {
  let open = null; // {name, module}
  let token = 0;
  const body = h('div', { class: 'panel-body', id: 'panel-body', 'data-testid': 'panel-body' },
    h('p', { class: 'hint', text: t('panel.pick') }));
  const status = h('p', { class: 'hint', role: 'status' });
  const buttons = Object.entries(PANELS).map(([name, p]) => h('button', {
    type: 'button', class: 'secondary', 'aria-controls': 'panel-body', 'aria-expanded': 'false',
    'data-testid': `panel-${name}`, 'data-focus': `panel:${name}`, text: t(p.label),
    onclick: (e) => toggle(name, e.currentTarget),
  }));
  const el = h('section', { class: 'card panels-card', 'aria-labelledby': 'panels-h' },
    h('h2', { id: 'panels-h', text: t('panel.title') }), h('div', { class: 'row' }, buttons), status, body);

  function close() {
    if (open) {
      try { open.module.unmount(); } catch (err) { console.error(err); }
      open = null;
    }
    for (const b of buttons) b.setAttribute('aria-expanded', 'false');
    replaceChildren(body, h('p', { class: 'hint', text: t('panel.pick') }));
  }

  async function toggle(name, button) {
    const wasOpen = open && open.name === name;
    close();
    if (wasOpen) return;
    const mine = ++token;
    status.textContent = t('panel.loading');
    try {
      const module = await PANELS[name].load();
      if (mine !== token) return;
      body.replaceChildren();
      module.mount(body, ctx);
      open = { name, module };
      button.setAttribute('aria-expanded', 'true');
      status.textContent = '';
    } catch (err) {
      status.textContent = t('panel.failed');
      console.error(err);
    }
  }

  return { el, close };
}
