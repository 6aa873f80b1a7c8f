// The classroom app: the door (name screen), then the classroom (participants, chat, teacher
// controls, panel slots) over one SDK session. Re-renders whole screens on a language change;
// everything else updates in place from RoomModel notifications.
import { h, replaceChildren, announce } from './dom.js';
import { t, setLanguage, language, onLanguageChange } from './i18n.js';
import { RoomModel } from './room-model.js';
import { roleInRoom } from './invite.js';
import { errorText, closeText } from './errors.js';
import { createSession } from './session.js';
import { doorScreen } from './ui/door.js';
import { connectionBanner } from './ui/banner.js';
import { participantsPanel, teacherPanel } from './ui/participants.js';
import { chatPanel } from './ui/chat.js';
import { pollsPanel } from './ui/polls.js';
import { breakoutsPanel } from './ui/breakouts.js';
import { lobbyPanel, lobbyStatusText } from './ui/lobby.js';
import { openReportDialog, reportsPanel } from './ui/reports.js';
import { auditPanel } from './ui/audit.js';
import { languagePicker, lowBandwidthSwitch } from './ui/controls.js';
import { panelSlots } from './panels.js';

const LEFT_TEXT = { LEFT_REMOVED: 'close.REMOVED', LEFT_SESSION_ENDED: 'close.SESSION_ENDED', LEFT_ROOM_CLOSED: 'close.ROOM_CLOSED' };

export class App {
  constructor(root, invite, claims, prefs) {
    this.root = root;
    this.roomId = invite.room;
    this.token = invite.token;
    this.claims = claims;
    this.prefs = prefs;
    this.tokenRole = roleInRoom(claims, invite.room);
    this.model = new RoomModel(this.roomId, { userId: claims?.sub || '', displayName: claims?.name || '' });
    this.screen = 'door';
    this.doorError = null;
    this.state = { status: 'connecting', attempt: 0 };
    this.finalText = null;
    this.panelListeners = new Set();
    this.typingSent = 0;
    this.typingIdle = null;
    this.enteredKey = `ponte.entered.${this.roomId}`;
    this.lobbyStatus = null; // the last LobbyStatus while our Join waits in the waiting room
  }

  start() {
    const s = (this.session = createSession({ token: this.token, roomId: this.roomId }));
    s.on('state', (st) => this.onState(st));
    s.on('welcome', (user) => { this.model.me = { userId: user.userId, displayName: user.displayName }; });
    s.on('joined', (j) => {
      this.model.applyJoined(j);
      this.doorError = null;
      performance.mark('ponte:joined');
      // Admitted from the waiting room: the learner already waited, so they go straight in.
      const waited = !!this.lobbyStatus;
      this.lobbyStatus = null;
      if (this.screen === 'door') {
        if (waited) announce(t('lobby.admitted'));
        if (waited || sessionStorage.getItem(this.enteredKey)) this.enter();
        else this.render();
      }
    });
    s.on('event', (ev) => this.onEvent(ev));
    s.on('lobby', (st) => {
      this.lobbyStatus = st.state === 'DENIED' ? null : st;
      if (this.screen === 'door') this.render();
    });
    s.on('left', (left) => this.onFinal(t(LEFT_TEXT[left.reason] || 'close.other')));
    s.on('joinError', (err) => {
      this.lobbyStatus = null;
      // Retryable refusals (locked, full) are retried by the SDK with backoff.
      this.doorError = err.retryable ? `${errorText(err)} ${t('door.retrying')}` : errorText(err);
      if (this.screen === 'door') this.render();
      else this.onFinal(this.doorError);
    });
    onLanguageChange(() => this.render());
    document.addEventListener('visibilitychange', () => {
      if (this.screen === 'class') this.session.presence(document.hidden ? 'AWAY' : 'ACTIVE');
    });
    // Debug and test hook: the SDK client and the room model of this page (the user's own data).
    window.ponte = {
      session: s, model: this.model, get client() { return s.client; },
      /** Posts as the composer would, without its checks (tests: a send the server must refuse). */
      post: (text, language = '') => this.actions().post({ text, language, replyTo: '0', toTeachers: false }),
    };
    this.render();
    s.start();
    if (this.prefs.lowBandwidth) s.setLowBandwidth(true);
  }

  onState(st) {
    this.state = st;
    if (st.status === 'closed') {
      // A refused Hello (expired or bad token) says more than the close code that follows it.
      const text = st.error && st.error.codeName ? errorText(st.error) : closeText(st.closeCode, st.reason);
      if (this.screen === 'door') {
        this.doorError = this.doorError || text;
        this.render();
      } else this.onFinal(text);
      return;
    }
    this.banner?.update(st);
    this.chat?.renderPending();
  }

  onEvent(ev) {
    this.model.applyEvent(ev);
    if (ev.participantRemoved && ev.participantRemoved.userId === this.model.me.userId) this.onFinal(t('close.REMOVED'));
    if (ev.sessionEnded) this.onFinal(t('close.SESSION_ENDED'));
    if (ev.roomClosed) this.onFinal(t('close.ROOM_CLOSED'));
  }

  onFinal(text) {
    if (this.finalText) return;
    this.finalText = text;
    this.model.closed = true;
    this.model.emit('room');
    if (this.screen === 'class') this.banner?.finalMessage(text);
    else { this.doorError = text; this.render(); }
  }

  enter() {
    this.screen = 'class';
    sessionStorage.setItem(this.enteredKey, '1');
    this.session.presence(document.hidden ? 'AWAY' : 'ACTIVE');
    this.render();
    this.chat?.input.focus();
  }

  // --- actions the panels call -----------------------------------------------------------------

  actions() {
    const s = this.session;
    const model = this.model;
    return {
      post: ({ text, language: lang, replyTo, toTeachers }) => {
        const clientMsgId = crypto.randomUUID();
        model.addPending({ clientMsgId, text, language: lang, replyTo, toTeachers });
        this.sendPending(clientMsgId);
      },
      retry: (clientMsgId) => {
        const p = model.pending.get(clientMsgId);
        if (!p) return;
        p.state = 'sending';
        model.emit('pending');
        this.sendPending(clientMsgId);
      },
      discard: (clientMsgId) => model.dropPending(clientMsgId),
      edit: (seq, text) => s.edit(seq, text),
      remove: (seq) => s.remove(seq),
      react: (seq, reaction, add) => s.react(seq, reaction, add),
      teacher: (action) => s.teacher(action),
      hand: (op) => s.hand(op),
      poll: (pollId, op) => s.poll(pollId, op),
      breakout: (op) => s.breakout(op),
      lobby: (op) => s.lobby(op),
      reportMessage: (m, returnTo) => openReportDialog({
        subject: t('reports.message', { name: m.author?.displayName || m.author?.userId || '' }), quote: m.text, returnTo,
        send: (reason, text) => s.report({ messageSeq: m.seq }, reason, text), describe: this.actions().describe,
      }),
      reportPerson: (p, returnTo) => openReportDialog({
        subject: t('reports.participant', { name: p.displayName || p.userId }), returnTo,
        send: (reason, text) => s.report({ userId: p.userId }, reason, text), describe: this.actions().describe,
      }),
      resolveReport: (seq, status) => s.resolveReport(seq, status),
      permissions: (userId, grants) => s.permissions(userId, grants),
      audit: (beforeId) => s.audit(beforeId, 20),
      history: async () => {
        const page = await s.history(model.oldestSeq() || 0);
        model.addHistory(page);
      },
      typing: (on) => this.typing(on),
      describe: (err) => (err && err.closeCode ? closeText(err.closeCode, err.reason) : err && (err.codeName || err.code) ? errorText(err)
        : err && err.name === 'PonteTimeoutError' ? t('error.TIMEOUT') : t('error.generic')),
      online: () => this.state.status === 'online',
    };
  }

  sendPending(clientMsgId) {
    const p = this.model.pending.get(clientMsgId);
    this.session.post({ text: p.text, language: p.language, replyTo: p.replyTo, toTeachers: p.toTeachers, clientMsgId })
      .then((ack) => this.model.acked(clientMsgId, ack.seq))
      .catch((err) => {
        this.model.failed(clientMsgId, err);
        announce(t('chat.notSent', { reason: this.actions().describe(err) }), true);
      });
  }

  typing(on) {
    if (this.prefs.lowBandwidth || this.model.chatBlockedReason()) return;
    clearTimeout(this.typingIdle);
    const now = Date.now();
    if (on) {
      if (now - this.typingSent > 3000) {
        this.typingSent = now;
        this.session.typing(true);
      }
      this.typingIdle = setTimeout(() => this.typing(false), 4000);
    } else if (this.typingSent) {
      this.typingSent = 0;
      this.session.typing(false);
    }
  }

  async setUiLanguage(lang) {
    this.prefs.set('uiLanguage', lang);
    await setLanguage(lang);
  }

  setLowBandwidth(on) {
    this.prefs.set('lowBandwidth', on);
    this.session.setLowBandwidth?.(on);
    if (on) this.typing(false);
    this.chat?.renderTyping();
    this.people?.render();
    for (const fn of this.panelListeners) fn({ lowBandwidth: on, language: language() });
  }

  panelContext() {
    const app = this;
    return {
      get client() { return app.session.client; },
      roomId: this.roomId,
      get user() { return { ...app.model.me }; },
      get role() { return app.model.role; },
      t,
      get lowBandwidth() { return app.prefs.lowBandwidth; },
      onChange(fn) { app.panelListeners.add(fn); return () => app.panelListeners.delete(fn); },
      model: this.model,
    };
  }

  // --- rendering --------------------------------------------------------------------------------

  render() {
    if (this.screen === 'door') {
      replaceChildren(this.root, doorScreen({
        roomId: this.roomId, claims: this.claims, role: this.model.joined ? this.model.role : this.tokenRole,
        model: this.model, prefs: this.prefs, error: this.doorError,
        status: this.model.joined ? null : t('door.connecting'),
        waiting: this.model.joined ? null : lobbyStatusText(this.lobbyStatus),
        onJoin: () => this.enter(),
        onLanguage: (l) => this.setUiLanguage(l),
        onLowBandwidth: (on) => this.setLowBandwidth(on),
      }));
      document.title = `${this.model.settings.title || this.roomId} · Ponte`;
      return;
    }
    this.renderClass();
  }

  renderClass() {
    const draft = this.chat?.input.value || '';
    const hadFocus = this.chat?.input === document.activeElement;
    this.chat?.destroy();
    this.breakouts?.destroy();
    this.unsubRoom?.();
    this.panels?.close();

    const model = this.model;
    const actions = this.actions();
    this.banner = connectionBanner();
    this.people = participantsPanel(model, actions, this.prefs);
    this.teacher = model.isTeacher() ? teacherPanel(model, actions) : null;
    this.chat = chatPanel(model, actions, this.prefs);
    this.polls = pollsPanel(model, actions);
    this.breakouts = breakoutsPanel(model, actions, () => this.session.client);
    this.lobby = model.isTeacher() ? lobbyPanel(model, actions) : null;
    this.reports = model.isTeacher() ? reportsPanel(model, actions) : null;
    this.audit = model.isTeacher() ? auditPanel(model, actions) : null;
    this.panels = panelSlots(this.panelContext());
    this.chat.input.value = draft;

    const roleText = t(`role.${model.role}`);
    const header = h('header', { class: 'topbar' },
      // A button, not an in-page link: the fragment is the invite's, not a scroll target.
      h('button', { type: 'button', class: 'skip-link', text: t('a11y.skipToComposer'), onclick: () => this.chat.input.focus() }),
      h('div', { class: 'title' },
        h('h1', { 'data-testid': 'room-title', text: model.settings.title || this.roomId }),
        h('p', { class: 'whoami', 'data-testid': 'whoami', text: t('header.whoami', { name: model.me.displayName, role: roleText }) })),
      h('div', { class: 'topbar-controls' },
        languagePicker((l) => this.setUiLanguage(l)),
        lowBandwidthSwitch(this.prefs, (on) => this.setLowBandwidth(on))));

    // A learner's breakout banner comes first: it says where they are now.
    const side = h('div', { class: 'side' }, model.isTeacher() ? null : this.breakouts.el, this.people.el, this.lobby ? this.lobby.el : null,
      this.reports ? this.reports.el : null,
      this.teacher ? this.teacher.el : null, model.isTeacher() ? this.breakouts.el : null, this.polls.el, this.audit ? this.audit.el : null);
    const main = h('main', { class: `classroom role-${model.role.toLowerCase()}`, id: 'main' },
      side, this.chat.el, this.panels.el);
    replaceChildren(this.root, header, this.banner.el, main);
    document.title = `${model.settings.title || this.roomId} · Ponte`;

    this.unsubRoom = model.subscribe((topic) => {
      if (topic === 'participants' || topic === 'room' || topic === 'typing' || topic === 'hands') this.people.render();
      if (topic === 'room') this.teacher?.render();
      if (topic === 'polls' || topic === 'room') this.polls.render();
      if (topic === 'lobby') this.lobby?.render();
      if (topic === 'reports') this.reports?.render();
      if (topic === 'message' && !performance.getEntriesByName('ponte:first-message').length) performance.mark('ponte:first-message');
    });
    if (model.messages.size && !performance.getEntriesByName('ponte:first-message').length) performance.mark('ponte:first-message');
    this.banner.update(this.state);
    if (this.finalText) this.banner.finalMessage(this.finalText);
    if (hadFocus) this.chat.input.focus();
  }
}
