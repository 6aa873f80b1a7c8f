// Shared header controls: interface language picker and the low-bandwidth switch.
import { h } from '../dom.js';
import { t, UI_LANGUAGES, language } from '../i18n.js';

let seq = 0;

export function languagePicker(onPick) {
  const id = `ui-lang-${++seq}`;
  const select = h('select', { id, 'data-testid': 'ui-language', onchange: () => onPick(select.value) },
    Object.entries(UI_LANGUAGES).map(([code, name]) =>
      h('option', { value: code, lang: code, selected: code === language(), text: name })));
  return h('div', { class: 'field inline' }, h('label', { for: id, text: t('ui.language') }), select);
}

export function lowBandwidthSwitch(prefs, onChange) {
  const id = `low-bw-${++seq}`;
  const hintId = `${id}-hint`;
  const box = h('input', {
    type: 'checkbox', id, role: 'switch', checked: prefs.lowBandwidth, 'aria-describedby': hintId,
    'data-testid': 'low-bandwidth', onchange: () => onChange(box.checked),
  });
  return h('div', { class: 'field switch' },
    box, h('label', { for: id, text: t('lowBandwidth.label') }),
    h('span', { id: hintId, class: 'hint', text: t('lowBandwidth.hint') }));
}

/** A modal confirmation (<dialog>: focus stays inside, Escape cancels). Resolves true on confirm. */
export function confirmDialog(title, body, confirmLabel) {
  return new Promise((resolve) => {
    const done = (ok) => { dialog.close(); dialog.remove(); resolve(ok); };
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': 'dlg-title', 'data-testid': 'confirm-dialog' },
      h('h2', { id: 'dlg-title', text: title }),
      h('p', { text: body }),
      h('div', { class: 'row' },
        h('button', { type: 'button', class: 'secondary', text: t('common.cancel'), onclick: () => done(false) }),
        h('button', { type: 'button', class: 'danger', text: confirmLabel, onclick: () => done(true) })));
    dialog.addEventListener('cancel', (e) => { e.preventDefault(); done(false); });
    document.body.append(dialog);
    dialog.showModal();
  });
}
