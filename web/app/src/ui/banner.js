// The connection banner: offline, reconnecting (attempt n), resumed, or a final close.
import { h, announce } from '../dom.js';
import { t } from '../i18n.js';
import { closeText } from '../errors.js';

export function connectionBanner() {
  const el = h('div', { class: 'banner', role: 'status', 'aria-live': 'polite', 'data-testid': 'banner', hidden: true });
  let hideTimer = null;
  let final = false;
  const show = (kind, text) => {
    clearTimeout(hideTimer);
    el.hidden = false;
    el.className = `banner ${kind}`;
    el.dataset.state = kind;
    el.textContent = text;
  };
  return {
    el,
    /** state: {status, attempt, closeCode, reason, resumed} from the session. */
    update(state) {
      if (final) return;
      switch (state.status) {
        case 'online':
          if (state.resumed) {
            show('resumed', t('banner.resumed'));
            announce(t('banner.resumed'));
            hideTimer = setTimeout(() => { el.hidden = true; el.dataset.state = 'online'; }, 5000);
          } else {
            el.hidden = true;
            el.dataset.state = 'online';
          }
          break;
        case 'offline':
          show('offline', t('banner.offline'));
          break;
        case 'reconnecting':
          show('reconnecting', state.attempt > 0 ? t('banner.reconnecting', { attempt: state.attempt }) : t('banner.offline'));
          break;
        case 'connecting':
          show('connecting', t('banner.connecting'));
          break;
        case 'closed':
          final = true;
          show('final', state.text || closeText(state.closeCode, state.reason));
          el.setAttribute('role', 'alert');
          announce(el.textContent, true);
          break;
        default:
      }
    },
    /** A final message not tied to a close code (removed, session ended while connected, ...). */
    finalMessage(text) {
      final = true;
      show('final', text);
      el.setAttribute('role', 'alert');
      announce(text, true);
    },
  };
}
