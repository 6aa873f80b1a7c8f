// Reports: the dialog anyone but an observer uses to report a chat message or a participant to
// the teachers (a reason from the fixed list, optional text), and the teachers' Reports panel
// (reason, who reported, the content as the server kept it, when) with Handled / Dismiss.
import { h, replaceChildren, announce } from '../dom.js';
import { t } from '../i18n.js';

export const REPORT_REASONS = ['HARASSMENT', 'INAPPROPRIATE_CONTENT', 'SPAM', 'PERSONAL_INFORMATION', 'SELF_HARM_CONCERN', 'OTHER_REASON'];
const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
let dialogs = 0;

/**
 * A modal report form about `subject` (a short description shown at the top). `send(reason,
 * text)` files it and throws on a refusal (shown in the dialog); `describe` words the error.
 * Focus returns to `returnTo` when the dialog closes.
 */
export function openReportDialog({ subject, quote, send, describe, returnTo }) {
  const id = `report-${++dialogs}`;
  const error = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'report-error' });
  const text = h('textarea', { id: `${id}-text`, rows: 3, maxLength: 1000, 'data-testid': 'report-text' });
  const sendBtn = h('button', { type: 'submit', class: 'primary', disabled: true, 'data-testid': 'report-send', text: t('report.send') });
  const reasons = h('fieldset', { 'data-testid': 'report-reasons' },
    h('legend', { text: t('report.reason') }),
    REPORT_REASONS.map((r) => h('label', { class: 'radio' },
      h('input', { type: 'radio', name: `${id}-reason`, value: r, required: true, 'data-testid': `report-reason-${r}`, onchange: () => { sendBtn.disabled = false; } }),
      h('span', { text: t(`report.reason.${r}`) }))));
  const done = () => { dialog.close(); dialog.remove(); returnTo?.focus?.(); };
  const form = h('form', {
    onsubmit: async (e) => {
      e.preventDefault();
      const reason = form.querySelector('input[type=radio]:checked')?.value;
      if (!reason) return;
      error.textContent = '';
      sendBtn.disabled = true;
      try {
        await send(reason, text.value.trim());
        done();
        announce(t('report.sent'));
      } catch (err) {
        error.textContent = describe(err);
        sendBtn.disabled = false;
      }
    },
  },
  h('h2', { id: `${id}-title`, text: t('report.title') }),
  h('p', { class: 'report-subject', text: subject }),
  quote ? h('blockquote', { class: 'content', dir: 'auto', text: quote }) : null,
  h('p', { class: 'hint', text: t('report.hint') }),
  reasons,
  h('label', { for: `${id}-text`, text: t('report.text') }), text,
  error,
  h('div', { class: 'row' },
    h('button', { type: 'button', class: 'secondary', text: t('common.cancel'), onclick: done }),
    sendBtn));
  const dialog = h('dialog', { class: 'dialog report-dialog', 'aria-labelledby': `${id}-title`, 'data-testid': 'report-dialog' }, form);
  dialog.addEventListener('cancel', (e) => { e.preventDefault(); done(); });
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

/** The teachers' Reports panel: open reports first, then resolved ones. */
export function reportsPanel(model, actions) {
  const count = h('span', { class: 'count' });
  const list = h('ol', { class: 'report-list', 'aria-labelledby': 'reports-h', 'data-testid': 'reports-list' });
  const empty = h('p', { class: 'hint', 'data-testid': 'reports-empty', text: t('reports.empty') });
  const error = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'reports-error' });
  const heading = h('h2', { id: 'reports-h', tabindex: -1 }, t('reports.title'), ' ', count);
  const el = h('section', { class: 'card reports-card', 'aria-labelledby': 'reports-h', 'data-testid': 'reports-panel' },
    heading, empty, list, error);

  async function resolve(r, status) {
    error.textContent = '';
    try {
      await actions.resolveReport(r.reportSeq, status);
    } catch (err) {
      error.textContent = actions.describe(err);
    }
  }

  function what(r) {
    const c = r.content || {};
    if (c.message) return { line: t('reports.message', { name: c.message.authorName || c.message.authorUserId }), quote: c.message.text };
    if (c.participant) return { line: t('reports.participant', { name: c.participant.displayName || c.participant.userId }) };
    if (c.document) return { line: t('reports.document', { title: c.document.title || c.document.docId }) };
    if (c.element) return { line: t('reports.element') };
    return { line: '' };
  }

  function item(r) {
    const open = r.status === 'REPORT_OPEN';
    const who = r.reporterName || r.reporterUserId;
    const when = new Date(Number(r.filedMs || 0));
    const { line, quote } = what(r);
    return h('li', { class: `report${open ? '' : ' resolved'}`, 'data-seq': r.reportSeq, 'data-status': r.status, 'data-testid': 'report' },
      h('div', { class: 'person-line' },
        h('strong', { 'data-testid': 'report-reason', text: t(`report.reason.${r.reason}`) }),
        h('span', { class: `tag ${open ? 'open' : 'resolved'}`, 'data-testid': 'report-status', text: t(`reports.status.${r.status}`) }),
        h('time', { class: 'hint', datetime: when.toISOString(), text: timeFmt.format(when) })),
      h('p', { class: 'hint', 'data-testid': 'report-reporter', text: t('reports.reporter', { name: who }) }),
      line ? h('p', { 'data-testid': 'report-target', text: line }) : null,
      quote !== undefined ? h('blockquote', { class: 'content', dir: 'auto', 'data-testid': 'report-content', text: quote }) : null,
      r.text ? h('p', { class: 'report-text', dir: 'auto', 'data-testid': 'report-text', text: `“${r.text}”` }) : null,
      open ? h('div', { class: 'row person-actions' },
        h('button', {
          type: 'button', class: 'primary small', 'data-testid': 'report-handled', 'data-focus': `handled:${r.reportSeq}`,
          'aria-label': t('reports.handledWho', { name: who }), text: t('reports.handled'), onclick: () => resolve(r, 'REPORT_HANDLED'),
        }),
        h('button', {
          type: 'button', class: 'secondary small', 'data-testid': 'report-dismiss', 'data-focus': `dismiss:${r.reportSeq}`,
          'aria-label': t('reports.dismissWho', { name: who }), text: t('reports.dismiss'), onclick: () => resolve(r, 'REPORT_DISMISSED'),
        }))
        : h('p', { class: 'hint', 'data-testid': 'report-resolved-by', text: t('reports.resolvedBy', { name: r.resolvedByName || r.resolvedByUserId || '' }) }));
  }

  function render() {
    const reports = model.orderedReports();
    const open = reports.filter((r) => r.status === 'REPORT_OPEN').length;
    count.textContent = `(${open})`;
    empty.hidden = reports.length > 0;
    const hadFocus = list.contains(document.activeElement);
    replaceChildren(list, reports.map(item));
    // A resolved report loses its buttons: keyboard focus moves to the next open one, else the heading.
    if (hadFocus && !list.contains(document.activeElement)) {
      (list.querySelector('[data-testid=report-handled]') || heading).focus();
    }
  }

  render();
  return { el, render };
}
