// Chat: history with scroll-back, send, edit/delete own messages, reactions, replies, a language
// tag per message, "ask the teacher" private messages, pending sends. Text from people is only
// ever set as textContent.
//
// Keyboard: the message list is one tab stop (roving tabindex; ArrowUp/ArrowDown/Home/End move
// between messages), Tab then reaches the current message's actions. In the composer Enter
// sends, Shift+Enter starts a new line, ArrowUp in an empty composer edits your last message,
// Escape cancels a reply; in an edit Enter saves and Escape cancels.
import { h, replaceChildren, announce } from '../dom.js';
import { t, language, languageName } from '../i18n.js';

export const REACTIONS = [
  ['👍', 'thumbsUp'], ['❤️', 'heart'], ['😂', 'laugh'], ['😮', 'surprised'], ['👏', 'clap'], ['❓', 'question'],
];

export function chatPanel(model, actions, prefs) {
  const items = new Map(); // seq -> li
  let current = null; // seq of the roving-focus message
  let editing = null; // seq being edited
  let replyTo = null; // seq being answered

  const list = h('ol', { class: 'messages', 'aria-label': t('chat.messages'), 'data-testid': 'messages' });
  const pendingList = h('ol', { class: 'messages pending-list', 'aria-label': t('chat.pendingList'), 'data-testid': 'pending-list' });
  const loadEarlier = h('button', {
    type: 'button', class: 'secondary load-earlier', 'data-testid': 'load-earlier', text: t('chat.loadEarlier'),
    onclick: () => loadOlder(),
  });
  const empty = h('p', { class: 'hint empty', text: t('chat.empty') });
  const scroller = h('div', { class: 'chat-scroll', 'data-testid': 'chat-scroll' }, loadEarlier, empty, list, pendingList);
  const typingLine = h('p', { class: 'typing-line', 'aria-hidden': 'true', 'data-testid': 'typing' });

  // Composer.
  const input = h('textarea', {
    id: 'composer-input', rows: 2, class: 'composer-input', 'data-testid': 'composer-input',
    'aria-describedby': 'composer-hint composer-blocked composer-error', placeholder: t('composer.placeholder'),
  });
  const blocked = h('p', { id: 'composer-blocked', class: 'blocked', role: 'status', 'data-testid': 'composer-blocked' });
  const sendError = h('p', { id: 'composer-error', class: 'form-error', role: 'alert', 'data-testid': 'composer-error' });
  const replyBox = h('div', { class: 'reply-preview', hidden: true, 'data-testid': 'reply-preview' });
  const langSelect = h('select', { id: 'composer-lang', 'data-testid': 'composer-language' });
  const privateBox = h('input', { type: 'checkbox', id: 'composer-private', 'data-testid': 'ask-teacher' });
  const sendBtn = h('button', { type: 'submit', class: 'primary', 'data-testid': 'send', text: t('composer.send') });
  const form = h('form', { class: 'composer', 'aria-label': t('composer.label'), onsubmit: (e) => { e.preventDefault(); send(); } },
    replyBox, blocked,
    h('label', { for: 'composer-input', class: 'sr-only', text: t('composer.label') }),
    input,
    h('p', { id: 'composer-hint', class: 'hint sr-only', text: t('composer.hint') }),
    h('div', { class: 'composer-row' },
      h('div', { class: 'field inline' }, h('label', { for: 'composer-lang', text: t('composer.language') }), langSelect),
      model.role === 'STUDENT'
        ? h('div', { class: 'field check' }, privateBox, h('label', { for: 'composer-private', text: t('composer.askTeacher') }))
        : null,
      sendBtn),
    sendError);

  const el = h('section', { class: 'card chat-card', 'aria-labelledby': 'chat-h' },
    h('h2', { id: 'chat-h', text: t('chat.title') }), scroller, typingLine, form);

  // --- rendering ------------------------------------------------------------------------------

  const nameOf = (userId, fallback) => model.participants.get(userId)?.displayName || fallback || userId;
  const timeFmt = new Intl.DateTimeFormat(language(), { hour: '2-digit', minute: '2-digit' });

  function excerpt(text) {
    const s = String(text || '').replace(/\s+/g, ' ');
    return s.length > 80 ? `${s.slice(0, 80)}…` : s;
  }

  function langTag(tag) {
    if (!tag) return null;
    return h('span', { class: 'tag lang', title: languageName(tag), 'aria-label': t('chat.inLanguage', { language: languageName(tag) }), text: tag.toUpperCase() });
  }

  function messageItem(m) {
    const own = m.author && m.author.userId === model.me.userId;
    const author = m.author ? m.author.displayName || m.author.userId : '';
    const head = h('div', { class: 'msg-head' },
      h('span', { class: 'author', text: author }),
      m.author && m.author.role === 'TEACHER' ? h('span', { class: 'tag role role-teacher', text: t('role.TEACHER') }) : null,
      langTag(m.language),
      m.toTeachers ? h('span', { class: 'tag private', text: t('chat.private') }) : null,
      h('time', { datetime: new Date(Number(m.postedMs || 0)).toISOString(), text: timeFmt.format(new Date(Number(m.postedMs || 0))) }),
      m.editedMs && !m.deleted ? h('span', { class: 'edited', text: t('chat.edited') }) : null);
    let quote = null;
    if (m.replyTo && m.replyTo !== '0') {
      const orig = model.messages.get(String(m.replyTo));
      quote = h('p', { class: 'reply-quote' },
        orig ? t('chat.replyTo', { name: orig.author?.displayName || '' }) + ' ' : t('chat.replyToEarlier'),
        orig && !orig.deleted ? h('q', { lang: orig.language || null, text: excerpt(orig.text) }) : null);
    }
    let body;
    if (m.deleted) body = h('p', { class: 'msg-text deleted', text: t('chat.deleted') });
    else if (editing === m.seq) body = editForm(m);
    else body = h('p', { class: 'msg-text', lang: m.language || null, dir: 'auto', 'data-testid': 'message-text', text: m.text });

    const reactions = (m.reactions || []).length
      ? h('div', { class: 'reactions', role: 'group', 'aria-label': t('chat.reactions') },
        m.reactions.map((r) => {
          const mine = r.userIds.includes(model.me.userId);
          return h('button', {
            type: 'button', class: 'reaction', 'aria-pressed': String(mine), tabindex: current === m.seq ? 0 : -1,
            'data-focus': `react:${m.seq}:${r.reaction}`,
            'aria-label': t('chat.reactionCount', { reaction: r.reaction, count: r.userIds.length }),
            onclick: () => act(actions.react(m.seq, r.reaction, !mine)),
          }, r.reaction, ' ', h('span', { text: String(r.userIds.length) }));
        }))
      : null;

    const canPost = !model.chatBlockedReason();
    const btn = (key, label, onclick, extra = {}) => h('button', {
      type: 'button', class: 'link', tabindex: current === m.seq ? 0 : -1, 'data-focus': `${key}:${m.seq}`,
      'data-testid': `msg-${key}`, text: label, onclick, ...extra,
    });
    const tools = m.deleted ? null : h('div', { class: 'msg-actions' },
      canPost ? btn('reply', t('chat.reply'), () => startReply(m.seq), { 'aria-label': t('chat.replyWho', { name: author }) }) : null,
      canPost && model.can('CAPABILITY_REACTIONS') ? btn('react', t('chat.react'), (e) => togglePicker(m.seq, e.currentTarget), { 'aria-expanded': 'false' }) : null,
      own && canPost ? btn('edit', t('chat.edit'), () => startEdit(m.seq)) : null,
      (own || model.isTeacher()) && canPost ? btn('delete', t('chat.delete'), () => act(actions.remove(m.seq))) : null,
      // Reporting stays possible when muted or when chat is off: that is when it may matter most.
      !own && model.role !== 'OBSERVER' && !model.closed ? btn('report', t('report.action'),
        (e) => actions.reportMessage(m, e.currentTarget), { 'aria-label': t('report.reportMessage', { name: author }) }) : null);

    const li = h('li', {
      class: `msg${own ? ' own' : ''}${m.toTeachers ? ' private' : ''}${m.deleted ? ' is-deleted' : ''}`,
      'data-seq': m.seq, 'data-testid': 'message', tabindex: current === m.seq ? 0 : -1, 'data-focus': `msg:${m.seq}`,
      'aria-label': m.deleted ? t('chat.deleted') : `${author}: ${excerpt(m.text)}`,
      onfocus: (e) => { if (e.target === li) setCurrent(m.seq); },
      onkeydown: (e) => onMessageKey(e, m.seq),
    }, head, quote, body, reactions, tools);
    return li;
  }

  function editForm(m) {
    const area = h('textarea', { class: 'edit-input', rows: 2, 'data-testid': 'edit-input', 'aria-label': t('chat.editLabel'), 'data-focus': `editing:${m.seq}` });
    area.value = m.text;
    const save = async () => {
      const text = area.value.trim();
      if (!text || text === m.text) { stopEdit(m.seq); return; }
      if (await act(actions.edit(m.seq, text))) stopEdit(m.seq);
    };
    area.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); save(); }
      if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); stopEdit(m.seq); }
    });
    return h('div', { class: 'edit-form' }, area,
      h('div', { class: 'row' },
        h('button', { type: 'button', class: 'primary small', text: t('common.save'), onclick: save }),
        h('button', { type: 'button', class: 'secondary small', text: t('common.cancel'), onclick: () => stopEdit(m.seq) })),
      h('p', { class: 'hint', text: t('chat.editHint') }));
  }

  function pendingItem(p) {
    const failed = p.state === 'failed';
    const status = failed
      ? h('p', { class: 'form-error', 'data-testid': 'pending-error', text: t('chat.notSent', { reason: actions.describe(p.error) }) })
      : h('p', { class: 'pending-status', text: actions.online() ? t('chat.sending') : t('chat.waiting') });
    return h('li', { class: `msg own pending${failed ? ' failed' : ''}`, 'data-testid': 'pending', 'data-client-id': p.clientMsgId },
      h('div', { class: 'msg-head' }, h('span', { class: 'author', text: model.me.displayName }), langTag(p.language),
        p.toTeachers ? h('span', { class: 'tag private', text: t('chat.private') }) : null),
      h('p', { class: 'msg-text', lang: p.language || null, dir: 'auto', 'data-testid': 'message-text', text: p.text }),
      status,
      failed ? h('div', { class: 'msg-actions' },
        // A refusal that is not retryable (muted, chat off, ...) would only be refused again.
        p.error && p.error.codeName && !p.error.retryable ? null
          : h('button', { type: 'button', class: 'link', text: t('chat.retry'), onclick: () => actions.retry(p.clientMsgId) }),
        h('button', { type: 'button', class: 'link', text: t('chat.discard'), onclick: () => actions.discard(p.clientMsgId) })) : null);
  }

  function renderAll() {
    const ordered = model.orderedMessages();
    if (current === null || !model.messages.has(current)) current = ordered.length ? ordered[ordered.length - 1].seq : null;
    items.clear();
    const lis = ordered.map((m) => { const li = messageItem(m); items.set(m.seq, li); return li; });
    replaceChildren(list, lis);
    loadEarlier.hidden = !model.moreHistory;
    empty.hidden = ordered.length > 0 || model.pending.size > 0;
  }

  function renderOne(seq, added) {
    const m = model.messages.get(seq);
    if (!m) return;
    const old = items.get(seq);
    const last = list.lastElementChild;
    if (!old && last && BigInt(last.dataset.seq) > BigInt(seq)) { renderAll(); return; }
    if (added && (current === null || current === lastSeq())) {
      // Keep the roving stop on the newest message unless the user is reading elsewhere.
      const prev = current;
      current = seq;
      if (prev && items.get(prev) && document.activeElement !== items.get(prev)
        && !items.get(prev).contains(document.activeElement)) {
        rerender(prev);
      }
    }
    const li = messageItem(m);
    items.set(seq, li);
    if (old) {
      const hadFocus = old.contains(document.activeElement);
      const key = hadFocus ? document.activeElement.getAttribute('data-focus') : null;
      old.replaceWith(li);
      if (key) li.querySelector(`[data-focus="${CSS.escape(key)}"]`)?.focus() || (li.getAttribute('data-focus') === key && li.focus());
    } else {
      list.append(li);
    }
    empty.hidden = true;
  }

  const rerender = (seq) => { if (items.has(seq)) renderOne(seq, false); };
  const lastSeq = () => list.lastElementChild?.dataset.seq ?? null;

  function renderPending() {
    replaceChildren(pendingList, [...model.pending.values()].map(pendingItem));
    empty.hidden = model.messages.size > 0 || model.pending.size > 0;
  }

  function renderComposer() {
    const reason = model.chatBlockedReason();
    input.disabled = !!reason;
    sendBtn.disabled = !!reason;
    langSelect.disabled = !!reason;
    // "Ask the teacher" is its own capability (CAPABILITY_PRIVATE_TO_TEACHERS).
    const mayAsk = model.can('CAPABILITY_PRIVATE_TO_TEACHERS');
    if (!mayAsk) privateBox.checked = false;
    privateBox.disabled = !!reason || !mayAsk;
    blocked.textContent = reason ? t(reason) : '';
    blocked.hidden = !reason;
    form.classList.toggle('is-blocked', !!reason);
    const langs = model.settings.languages || [];
    const chosen = prefs.postLanguage && (langs.includes(prefs.postLanguage) || !langs.length) ? prefs.postLanguage
      : langs.find((l) => l.split('-')[0] === language()) || langs[0] || language();
    const options = langs.length ? langs : [chosen];
    replaceChildren(langSelect, options.map((tag) => h('option', { value: tag, selected: tag === chosen, text: `${languageName(tag)} (${tag})` })));
  }

  function renderTyping() {
    const names = prefs.lowBandwidth ? [] : model.typingNames();
    typingLine.textContent = !names.length ? ''
      : names.length === 1 ? t('chat.typingOne', { name: names[0] })
        : t('chat.typingMany', { names: names.join(', ') });
  }

  // --- behaviour ------------------------------------------------------------------------------

  function nearBottom() {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
  }

  function scrollToBottom() {
    scroller.scrollTop = scroller.scrollHeight;
  }

  async function act(promise) {
    sendError.textContent = '';
    try {
      await promise;
      return true;
    } catch (err) {
      sendError.textContent = actions.describe(err);
      return false;
    }
  }

  function setCurrent(seq) {
    if (current === seq) return;
    const prev = current;
    current = seq;
    for (const s of [prev, seq]) {
      const li = items.get(s);
      if (!li) continue;
      li.tabIndex = s === current ? 0 : -1;
      for (const b of li.querySelectorAll('button')) b.tabIndex = s === current ? 0 : -1;
    }
  }

  function onMessageKey(e, seq) {
    if (e.target !== items.get(seq)) return;
    const ordered = [...items.keys()];
    const i = ordered.indexOf(seq);
    let next = null;
    if (e.key === 'ArrowUp') next = ordered[Math.max(0, i - 1)];
    else if (e.key === 'ArrowDown') next = ordered[Math.min(ordered.length - 1, i + 1)];
    else if (e.key === 'Home') next = ordered[0];
    else if (e.key === 'End') next = ordered[ordered.length - 1];
    else if (e.key === 'e' || e.key === 'E') {
      const m = model.messages.get(seq);
      if (m && m.author?.userId === model.me.userId && !m.deleted) { e.preventDefault(); startEdit(seq); }
      return;
    } else return;
    e.preventDefault();
    if (i === 0 && e.key === 'ArrowUp' && model.moreHistory) { loadOlder(); return; }
    setCurrent(next);
    items.get(next)?.focus();
  }

  function startEdit(seq) {
    const prev = editing;
    editing = seq;
    if (prev && prev !== seq) rerender(prev);
    setCurrent(seq);
    rerender(seq);
    items.get(seq)?.querySelector('.edit-input')?.focus();
  }

  function stopEdit(seq) {
    editing = null;
    rerender(seq);
    const li = items.get(seq);
    (li?.querySelector('[data-testid="msg-edit"]') || li)?.focus();
  }

  function startReply(seq) {
    const m = model.messages.get(seq);
    if (!m) return;
    replyTo = seq;
    replaceChildren(replyBox,
      h('span', {}, t('chat.replyingTo', { name: m.author?.displayName || '' }), ' ', h('q', { text: excerpt(m.text) })),
      h('button', { type: 'button', class: 'link', text: t('chat.cancelReply'), onclick: cancelReply }));
    replyBox.hidden = false;
    input.focus();
  }

  function cancelReply() {
    replyTo = null;
    replyBox.hidden = true;
    replyBox.replaceChildren();
    input.focus();
  }

  let picker = null;
  function togglePicker(seq, anchor) {
    if (picker) {
      const same = picker.dataset.seq === seq;
      closePicker(!same);
      if (same) return;
    }
    anchor.setAttribute('aria-expanded', 'true');
    const m = model.messages.get(seq);
    picker = h('div', { class: 'reaction-picker', role: 'group', 'aria-label': t('chat.react'), 'data-seq': seq,
      onkeydown: (e) => { if (e.key === 'Escape') { e.preventDefault(); closePicker(true); anchor.focus(); } } },
    REACTIONS.map(([emoji, key]) => {
      const mine = m?.reactions.find((r) => r.reaction === emoji)?.userIds.includes(model.me.userId);
      return h('button', {
        type: 'button', class: 'reaction', 'aria-pressed': String(!!mine), 'aria-label': t(`reaction.${key}`), text: emoji,
        onclick: () => { closePicker(true); act(actions.react(seq, emoji, !mine)); anchor.focus(); },
      });
    }));
    anchor.closest('.msg-actions').after(picker);
    picker.querySelector('button').focus();
  }

  function closePicker() {
    if (!picker) return;
    picker.closest('li')?.querySelector('[data-testid="msg-react"]')?.setAttribute('aria-expanded', 'false');
    picker.remove();
    picker = null;
  }

  async function send() {
    if (model.chatBlockedReason()) return;
    const text = input.value.trim();
    if (!text) return;
    sendError.textContent = '';
    prefs.set('postLanguage', langSelect.value);
    actions.post({ text, language: langSelect.value, replyTo: replyTo || '0', toTeachers: privateBox.checked });
    input.value = '';
    privateBox.checked = false;
    if (replyTo) { replyTo = null; replyBox.hidden = true; replyBox.replaceChildren(); }
    actions.typing(false);
    scrollToBottom();
  }

  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(); }
    else if (e.key === 'Escape' && replyTo) { e.preventDefault(); cancelReply(); }
    else if (e.key === 'ArrowUp' && !input.value) {
      const mine = model.orderedMessages().reverse().find((m) => m.author?.userId === model.me.userId && !m.deleted);
      if (mine) { e.preventDefault(); startEdit(mine.seq); }
    }
  });
  input.addEventListener('input', () => { if (input.value.trim()) actions.typing(true); });

  async function loadOlder() {
    const before = scroller.scrollHeight - scroller.scrollTop;
    loadEarlier.disabled = true;
    const ok = await act(actions.history());
    loadEarlier.disabled = false;
    if (ok) scroller.scrollTop = scroller.scrollHeight - before;
  }
  scroller.addEventListener('scroll', () => {
    if (scroller.scrollTop < 40 && model.moreHistory && !loadEarlier.disabled) loadOlder();
  });

  // --- wiring ---------------------------------------------------------------------------------

  const unsubscribe = model.subscribe((topic, detail) => {
    const stick = nearBottom();
    if (topic === 'messages') { renderAll(); if (!detail?.prepended && stick) scrollToBottom(); }
    else if (topic === 'message') {
      renderOne(detail.seq, detail.added);
      if (detail.added) {
        const m = model.messages.get(detail.seq);
        if (m && m.author?.userId !== model.me.userId && !m.deleted) {
          announce(t('chat.announce', { name: m.author?.displayName || '', text: excerpt(m.text) }));
        }
        if (stick || m?.author?.userId === model.me.userId) scrollToBottom();
      }
    } else if (topic === 'pending') { renderPending(); if (stick) scrollToBottom(); }
    else if (topic === 'room') { renderComposer(); renderAll(); }
    else if (topic === 'typing' || topic === 'participants') renderTyping();
  });
  const typingTimer = setInterval(renderTyping, 2000);

  renderAll();
  renderPending();
  renderComposer();
  requestAnimationFrame(scrollToBottom);

  return {
    el,
    input,
    renderPending,
    renderTyping,
    destroy() { unsubscribe(); clearInterval(typingTimer); },
  };
}
