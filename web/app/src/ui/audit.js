// The teachers' audit log: who did what in this room, newest first, read page by page with
// AuditRead when the teacher unfolds it (nothing is fetched before). Action names are the
// protocol's (PROTOCOL.md "Audit log"), shown as recorded; people are shown by name.
import { h, replaceChildren } from '../dom.js';
import { t } from '../i18n.js';

const timeFmt = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit' });

export function auditPanel(model, actions) {
  const list = h('ol', { class: 'audit-list', 'aria-labelledby': 'audit-h', 'data-testid': 'audit-list' });
  const status = h('p', { class: 'hint', role: 'status', 'data-testid': 'audit-status' });
  const error = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'audit-error' });
  const more = h('button', { type: 'button', class: 'secondary small', hidden: true, 'data-testid': 'audit-more', text: t('audit.more'), onclick: () => load(false) });
  const refresh = h('button', { type: 'button', class: 'secondary small', 'data-testid': 'audit-refresh', text: t('audit.refresh'), onclick: () => load(true) });
  let entries = [];
  let cursor = 0;
  let loading = false;
  const details = h('details', {
    class: 'audit', 'data-testid': 'audit',
    ontoggle: () => { if (details.open && !entries.length) load(true); },
  },
  h('summary', { id: 'audit-h', text: t('audit.title') }),
  h('p', { class: 'hint', text: t('audit.hint') }),
  h('div', { class: 'row' }, refresh), status, list, more, error);
  const el = h('section', { class: 'card audit-card', 'data-testid': 'audit-panel' }, details);

  const nameOf = (userId, fallback) => model.participants.get(userId)?.displayName || fallback || userId;

  function item(e) {
    const when = new Date(Number(e.timeMs || 0));
    const about = [e.targetUserId ? nameOf(e.targetUserId) : '', e.target || '', e.detail || ''].filter(Boolean).join(' · ');
    return h('li', { class: 'audit-entry', 'data-id': String(e.id), 'data-action': e.action, 'data-testid': 'audit-entry' },
      h('time', { class: 'hint', datetime: when.toISOString(), text: timeFmt.format(when) }), ' ',
      h('strong', { 'data-testid': 'audit-actor', text: nameOf(e.actorUserId, e.actorName) }), ' ',
      h('code', { 'data-testid': 'audit-action', text: e.action }),
      about ? h('span', { class: 'audit-about', 'data-testid': 'audit-about', text: ` ${about}` }) : null);
  }

  async function load(fromNewest) {
    if (loading) return;
    loading = true;
    error.textContent = '';
    status.textContent = t('audit.loading');
    try {
      const page = await actions.audit(fromNewest ? 0 : cursor);
      const got = page.entries || [];
      entries = fromNewest ? got : [...entries, ...got];
      cursor = Number(page.nextCursor || 0);
      replaceChildren(list, entries.map(item));
      status.textContent = entries.length ? '' : t('audit.empty');
      more.hidden = !cursor;
      // Keyboard users who asked for more land on the first new entry's neighbourhood.
      if (!fromNewest && got.length) (more.hidden ? refresh : more).focus();
    } catch (err) {
      status.textContent = '';
      error.textContent = actions.describe(err);
    } finally {
      loading = false;
    }
  }

  return { el, render() {}, reload: () => details.open && load(true) };
}
