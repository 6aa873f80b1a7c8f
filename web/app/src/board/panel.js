// The whiteboard panel: boards and pages, the drawing tools with live ink, undo/redo, follow
// the teacher, the laser pointer, SVG download and the teacher's controls, over the SDK room.
// State that outlives the panel (the boards, the undo history) is in room-boards.js; drawing is
// canvas-view.js; the pure rules (points, path rule, SVG, inverse operations) have their own files.
import { h, replaceChildren, announce } from '../dom.js';
import { readInvite } from '../invite.js';
import { PonteClient } from '../../../sdk/src/index.js';
import { roomBoards } from './room-boards.js';
import { CanvasView, drawElement } from './canvas-view.js';
import { drawPath } from './path-rule.js';
import { InkChunker, LiveInk, runs } from './live-ink.js';
import { toPressure } from './points.js';
import { topKey } from './zorder.js';
import { addAction, deleteAction, updateAction, clearAction } from './undo.js';
import { renderPageSvg } from './page-svg.js';
import { touches, topmostAt, elementBox } from './hit.js';
import { toolbar, TOOLS } from './toolbar.js';
import { boardErrorText } from './board-errors.js';
import { isColour, opacity, stroke as strokeOf, width as widthOf } from './style.js';

/** Live ink: a chunk this often while the pen moves (WHITEBOARD.md: 30-50 ms). */
const INK_INTERVAL_MS = 40;
/** Laser positions at most this often (the server relays up to board-ink-per-second). */
const LASER_INTERVAL_MS = 60;
/** Follow-me: the teacher's viewport at most this often, and again this often while leading. */
const FOLLOW_THROTTLE_MS = 150;
const FOLLOW_HEARTBEAT_MS = 2000;
/** A stroke is committed and a new one started past this many points (the server's limit: 10,000). */
const MAX_STROKE_POINTS = 5000;
/** The eraser's reach around the pointer, in CSS px. */
const ERASER_RADIUS_PX = 8;
const MIN_SCALE = 0.25;
const MAX_SCALE = 4;
const TEACHER = 1;

const uuid = () => crypto.randomUUID();
const selection = new Map(); // roomId -> {boardId, pageId}: where the panel was when closed

export class BoardPanel {
  constructor(container, ctx) {
    this.ctx = ctx;
    this.t = ctx.t;
    this.room = ctx.client.room(ctx.roomId);
    this.shared = roomBoards(this.room);
    this.store = this.shared.store;
    this.undo = this.shared.undo;
    this.live = new LiveInk();
    this.tool = 'pen';
    this.colour = '#1b1f24';
    this.width = 2;
    this.textSize = 24;
    this.following = true;
    this.leader = null; // the teacher being followed: {userId, name}
    this.leading = false;
    this.lowBandwidth = !!ctx.lowBandwidth;
    this.pending = new Map(); // own elements sent, not yet back: elementId -> element
    this.erasing = new Map(); // elementId -> element, hidden while the eraser is down
    this.gesture = null;
    this.timers = [];
    this.offs = [];
    this.creating = false;
    this.message = null; // {text, error}
    const saved = selection.get(ctx.roomId) || {};
    this.boardId = saved.boardId || null;
    this.pageId = saved.pageId || null;

    this.root = h('div', { class: 'pb-board', 'data-testid': 'board-panel', onkeydown: (e) => this.onKey(e) });
    this.header = h('div', { class: 'pb-row pb-boards' });
    this.pagesBar = h('div', { class: 'pb-row pb-pages', role: 'group' });
    this.toolbarSlot = h('div');
    this.why = h('p', { class: 'pb-why', id: 'pb-why', 'data-testid': 'board-why', hidden: true });
    this.status = h('p', { class: 'hint', role: 'status', 'data-testid': 'board-status' });
    this.errorLine = h('p', { class: 'pb-error', role: 'alert', 'data-testid': 'board-error', hidden: true });
    this.stage = h('div', { class: 'pb-stage', 'data-testid': 'board-stage' });
    this.badge = h('div', { class: 'pb-follow-badge', 'data-testid': 'board-following', hidden: true });
    this.teacherSlot = h('div');
    this.empty = h('div', { class: 'pb-empty', 'data-testid': 'board-empty', hidden: true });
    this.root.append(this.header, this.pagesBar, this.toolbarSlot, this.why, this.errorLine, this.status,
      this.empty, this.stage, this.teacherSlot);
    container.append(this.root);

    this.view = new CanvasView(this.stage, {
      elements: () => this.visibleElements(),
      drawLive: (c) => this.drawLive(c),
    });
    this.stage.append(this.badge);
    const surface = this.view.live;
    surface.tabIndex = 0;
    surface.dataset.testid = 'board-canvas';
    surface.setAttribute('role', 'img');
    for (const [name, fn] of [['pointerdown', this.onDown], ['pointermove', this.onMove], ['pointerup', this.onUp],
      ['pointercancel', this.onCancel], ['pointerleave', this.onLeave]]) {
      surface.addEventListener(name, fn.bind(this));
    }
    surface.addEventListener('wheel', (e) => this.onWheel(e), { passive: false });
    surface.addEventListener('dblclick', (e) => this.onDoubleClick(e));

    this.offs.push(this.store.subscribe((change) => this.onStoreChange(change)));
    this.offs.push(this.shared.onInk((ink, event) => this.onInk(ink, event)));
    this.offs.push(ctx.onChange(() => this.onSettings()));
    this.offs.push(this.room.on('participants', () => this.renderTeacher()));
    // A teacher changing this student's whiteboard permission: the tools follow.
    if (ctx.model && typeof ctx.model.subscribe === 'function') {
      this.offs.push(ctx.model.subscribe((topic) => { if (topic === 'room') this.render(); }));
    }
    this.timers.push(setInterval(() => {
      if (this.live.expire(Date.now())) this.view.touchLive();
    }, 250));
    if (this.lowBandwidth) this.room.setLiveInk(false).catch(() => {});
    // The test and debugging hook: this panel's view (frames drawn) and its live ink.
    window.ponteBoard = this;
    this.pickDefaults();
    this.render();
    if (this.shared.stale) this.refreshBoards();
  }

  /**
   * The SDK keeps no board events from before this panel first opened: a short second connection
   * fetches the room's current snapshot (see room-boards.js; not needed when the shell attaches
   * the boards at join).
   */
  async refreshBoards() {
    const token = await this.token().catch(() => '');
    if (!token) return;
    await this.shared.refresh(async () => {
      const client = new PonteClient({ url: this.ctx.client.url, token, clientName: 'ponte-web-board/0.1.0' });
      let timer;
      try {
        const room = await Promise.race([client.join(this.ctx.roomId), new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('board snapshot: no answer in 15 s')), 15_000);
        })]);
        return { boards: room.snapshot?.boards || [], seq: room.seq };
      } finally {
        clearTimeout(timer);
        client.close();
      }
    }).catch((err) => console.warn('board: could not fetch a fresh snapshot', err));
  }

  // ---------------------------------------------------------------------------------------------
  // What is shown
  // ---------------------------------------------------------------------------------------------

  get role() {
    return this.ctx.role || this.room.role || 'STUDENT';
  }

  get teacher() {
    return this.role === 'TEACHER';
  }

  get board() {
    return this.boardId ? this.store.board(this.boardId) : null;
  }

  get page() {
    return this.boardId && this.pageId ? this.store.page(this.boardId, this.pageId) : null;
  }

  /** Why this user may not change the board now (an i18n key), or null. */
  blockedReason() {
    const model = this.ctx.model || {};
    if (model.closed) return 'board.blocked.closed';
    if (model.ended || this.room.ended) return 'board.blocked.ended';
    if (this.role === 'OBSERVER') return 'board.blocked.observer';
    if (this.teacher) return null;
    // Permissions per capability (the student's override, else the room's default) when the
    // server sends them; else the room's student permissions.
    if (typeof model.can === 'function' && model.studentDefaults && model.studentDefaults.size) {
      if (!model.can('CAPABILITY_WHITEBOARD')) return 'board.blocked.permission';
    } else {
      const perms = this.room.settings?.studentPermissions || model.settings?.studentPermissions;
      if (!perms || !perms.whiteboard) return 'board.blocked.permission';
    }
    if (this.board && this.board.locked) return 'board.blocked.locked';
    return null;
  }

  /** Keeps the selection on an existing board and page; a teacher gets a board when there is none. */
  pickDefaults() {
    if (!this.board) this.boardId = this.store.boards.keys().next().value || null;
    const board = this.board;
    if (board && !board.pages.some((p) => p.pageId === this.pageId)) this.pageId = board.pages[0]?.pageId || null;
    if (!board && this.teacher && !this.creating && !this.shared.stale && this.room.state === 'joined') this.createBoard();
    selection.set(this.ctx.roomId, { boardId: this.boardId, pageId: this.pageId });
  }

  visibleElements() {
    const page = this.page;
    if (!page) return [];
    const all = this.store.ordered(page);
    return this.erasing.size ? all.filter((e) => !this.erasing.has(e.elementId)) : all;
  }

  render() {
    const t = this.t;
    const board = this.board;
    const blocked = this.blockedReason();
    this.stage.dataset.tool = this.tool;
    this.stage.dataset.blocked = String(!!blocked && this.toolDraws(this.tool));

    // Boards
    const boards = [...this.store.boards.values()];
    replaceChildren(this.header,
      boards.length > 1
        ? h('label', {}, t('board.board'), h('select', {
          'data-testid': 'board-select', 'data-focus': 'board-select',
          onchange: (e) => this.selectBoard(e.target.value),
        }, boards.map((b) => h('option', { value: b.boardId, selected: b.boardId === this.boardId, text: b.title || t('board.untitled') }))))
        : h('strong', { 'data-testid': 'board-title', text: board ? board.title || t('board.untitled') : t('panel.board') }),
      board && board.locked ? h('span', { class: 'hint', 'data-testid': 'board-locked', text: t('board.lockedBadge') }) : null,
      this.teacher ? h('button', {
        type: 'button', class: 'small', 'data-testid': 'board-new', 'data-focus': 'board-new',
        onclick: () => this.createBoard(), text: t('board.newBoard'),
      }) : null);

    // Pages
    const pages = board ? board.pages : [];
    const mayEdit = !blocked;
    replaceChildren(this.pagesBar,
      h('span', { class: 'hint', text: t('board.pages') }),
      pages.map((p, i) => h('button', {
        type: 'button', class: 'small', 'data-testid': `board-page-${i + 1}`, 'data-focus': `board-page:${p.pageId}`,
        'aria-current': String(p.pageId === this.pageId), onclick: () => this.selectPage(p.pageId, true),
        text: p.title || t('board.pageN', { n: i + 1 }),
      })),
      board ? h('button', {
        type: 'button', class: 'small', 'data-testid': 'board-add-page', 'data-focus': 'board-add-page',
        disabled: !mayEdit, 'aria-describedby': blocked ? 'pb-why' : undefined,
        onclick: () => this.addPage(), text: t('board.addPage'),
      }) : null,
      board && this.page && this.teacher ? [
        h('button', { type: 'button', class: 'small', 'data-testid': 'board-rename-page', 'data-focus': 'board-rename-page', onclick: () => this.renamePage(), text: t('board.renamePage') }),
        this.confirmButton('board-delete-page', t('board.deletePage'), t('board.deletePageConfirm'), () => this.deletePage()),
      ] : null);

    // Tools
    const keepFocus = this.toolbarSlot.contains(document.activeElement) ? document.activeElement.getAttribute('data-focus') : null;
    replaceChildren(this.toolbarSlot, toolbar({
      tool: this.tool, colour: this.colour, width: this.width, textSize: this.textSize, teacher: this.teacher,
      blocked, canUndo: !!(board && this.page && this.undo.canUndo(this.boardId, this.pageId)),
      canRedo: !!(board && this.page && this.undo.canRedo(this.boardId, this.pageId)),
      following: this.following, leading: this.leading, scale: this.view.view.scale,
    }, {
      tool: (name) => this.setTool(name),
      colour: (c) => { this.colour = c; this.render(); },
      width: (w) => { this.width = w; this.render(); },
      textSize: (s) => { this.textSize = s; this.render(); },
      undo: () => this.undoRedo('undo'),
      redo: () => this.undoRedo('redo'),
      zoom: (f) => this.zoom(f),
      lead: () => this.setLeading(!this.leading),
      follow: () => this.setFollowing(!this.following),
      download: () => this.download(),
    }, t));
    if (keepFocus) this.toolbarSlot.querySelector(`[data-focus="${CSS.escape(keepFocus)}"]`)?.focus();

    this.why.hidden = !blocked;
    this.why.textContent = blocked ? t(blocked) : '';
    this.errorLine.hidden = !(this.message && this.message.error);
    this.errorLine.textContent = this.message && this.message.error ? this.message.text : '';
    this.status.textContent = this.message && !this.message.error ? this.message.text : '';

    this.empty.hidden = !!board;
    this.empty.textContent = board ? '' : t(this.teacher ? 'board.creating' : 'board.none');
    this.stage.hidden = !board || !this.page;
    const page = this.page;
    this.view.live.setAttribute('aria-label', page
      ? t('board.canvasLabel', { page: page.title || t('board.pageN', { n: board.pages.indexOf(page) + 1 }), count: page.elements.size })
      : t('panel.board'));
    this.badge.hidden = !(this.leader && this.following);
    this.badge.textContent = this.leader ? t('board.followingName', { name: this.leader.name }) : '';
    this.renderTeacher();
  }

  /** A button that asks once more before it acts. */
  confirmButton(testid, label, confirmLabel, action) {
    const button = h('button', {
      type: 'button', class: 'small danger', 'data-testid': testid, 'data-focus': testid, text: label,
      onclick: () => {
        if (button.dataset.armed === 'true') {
          button.dataset.armed = 'false';
          button.textContent = label;
          action();
          return;
        }
        button.dataset.armed = 'true';
        button.textContent = confirmLabel;
        setTimeout(() => {
          if (button.dataset.armed === 'true') {
            button.dataset.armed = 'false';
            button.textContent = label;
          }
        }, 4000);
      },
    });
    return button;
  }

  renderTeacher() {
    const t = this.t;
    const board = this.board;
    if (!this.teacher || !board) {
      replaceChildren(this.teacherSlot);
      return;
    }
    const wasOpen = this.teacherSlot.querySelector('details')?.open ?? false;
    const page = this.page;
    const people = new Map();
    for (const p of this.room.participants.values()) people.set(p.userId, p.displayName || p.userId);
    if (page) {
      for (const e of page.elements.values()) {
        for (const id of [e.authorId, e.changedBy]) if (id && !people.has(id)) people.set(id, id);
      }
    }
    const who = h('select', { 'data-testid': 'board-revert-who', 'data-focus': 'board-revert-who' },
      [...people].map(([id, name]) => h('option', { value: id, text: name })));
    const since = h('select', { 'data-testid': 'board-revert-since', 'data-focus': 'board-revert-since' },
      [2, 5, 15, 60, 0].map((m) => h('option', { value: String(m), text: m ? t('board.revert.minutes', { n: m }) : t('board.revert.all') })));
    const seq = h('input', { type: 'number', min: '1', inputMode: 'numeric', class: 'pb-seq', 'data-testid': 'board-revert-seq', 'aria-label': t('board.revert.seq'), placeholder: t('board.revert.seq'), style: 'width:9rem;min-height:44px' });
    const locked = page ? [...page.elements.values()].filter((e) => e.locked).length : 0;
    const details = h('details', { class: 'pb-teacher', open: wasOpen, 'data-testid': 'board-teacher' },
      h('summary', { text: t('board.teacher.title') }),
      h('div', { class: 'pb-row' },
        h('button', {
          type: 'button', class: 'toggle small', 'data-testid': 'board-lock', 'data-focus': 'board-lock',
          'aria-pressed': String(board.locked), onclick: () => this.send({ lockBoard: { locked: !board.locked } }),
          text: board.locked ? t('board.unlockBoard') : t('board.lockBoard'),
        }),
        h('span', { class: 'hint', text: t(board.locked ? 'board.lockedHint' : 'board.unlockedHint') })),
      page ? h('div', { class: 'pb-row' },
        this.confirmButton('board-clear', t('board.clearPage'), t('board.clearPageConfirm'), () => this.clearPage()),
        h('button', { type: 'button', class: 'small', 'data-testid': 'board-lock-all', 'data-focus': 'board-lock-all', onclick: () => this.lockAll(true), text: t('board.lockAll') }),
        h('button', { type: 'button', class: 'small', 'data-testid': 'board-unlock-all', 'data-focus': 'board-unlock-all', onclick: () => this.lockAll(false), text: t('board.unlockAll') }),
        h('span', { class: 'hint', text: t('board.lockedCount', { n: locked }) })) : null,
      h('div', { class: 'pb-row' },
        h('label', {}, t('board.revert.who'), who),
        h('label', {}, t('board.revert.since'), since),
        seq,
        h('button', {
          type: 'button', class: 'small danger', 'data-testid': 'board-revert', 'data-focus': 'board-revert',
          disabled: people.size === 0, onclick: () => this.revert(who.value, since.value, seq.value), text: t('board.revert.button'),
        })),
      h('p', { class: 'hint', text: t('board.revert.hint') }));
    replaceChildren(this.teacherSlot, details);
  }

  say(text, error = false) {
    this.message = { text, error };
    this.errorLine.hidden = !error;
    this.errorLine.textContent = error ? text : '';
    this.status.textContent = error ? '' : text;
    if (!error) announce(text);
  }

  /** The reason is on screen already (above the board): say it again to screen readers. */
  remindBlocked() {
    const why = this.blockedReason();
    if (why) announce(this.t(why), true);
  }

  fail(err) {
    this.say(boardErrorText(err, this.t), true);
  }

  // ---------------------------------------------------------------------------------------------
  // Boards and pages
  // ---------------------------------------------------------------------------------------------

  /** Sends a board operation; resolves with the ack or null (the error is shown). */
  send(op, boardId = this.boardId) {
    return this.room.board(boardId, op).catch((err) => {
      this.fail(err);
      return null;
    });
  }

  createBoard() {
    this.creating = true;
    const boardId = uuid();
    const firstPageId = uuid();
    const n = this.store.boards.size + 1;
    this.boardId = boardId;
    this.pageId = firstPageId;
    this.send({ createBoard: { title: this.t('board.defaultTitle', { n }), firstPageId } }, boardId)
      .finally(() => { this.creating = false; });
  }

  selectBoard(boardId) {
    this.boardId = boardId;
    this.pageId = null;
    this.userNavigated();
    this.pickDefaults();
    this.afterNavigate();
  }

  selectPage(pageId, byUser) {
    if (pageId === this.pageId) return;
    this.pageId = pageId;
    if (byUser) this.userNavigated();
    selection.set(this.ctx.roomId, { boardId: this.boardId, pageId });
    this.afterNavigate();
  }

  /** The highest z on the shown page: elements above it can be drawn on top of the cached layer. */
  recomputeTopZ() {
    this.topZ = undefined;
    for (const e of this.page?.elements.values() || []) if (this.topZ === undefined || e.z > this.topZ) this.topZ = e.z;
  }

  afterNavigate() {
    this.recomputeTopZ();
    this.cancelGesture();
    this.view.invalidate();
    this.render();
    if (this.leading) this.sendFollow(true);
  }

  addPage() {
    const pageId = uuid();
    const n = (this.board?.pages.length || 0) + 1;
    this.send({ addPage: { pageId, title: this.t('board.pageN', { n }) } }).then((ack) => {
      if (ack && this.page?.pageId !== pageId && this.store.page(this.boardId, pageId)) this.selectPage(pageId, true);
    });
  }

  renamePage() {
    const page = this.page;
    if (!page) return;
    const input = h('input', { type: 'text', value: page.title, maxLength: 200, 'aria-label': this.t('board.pageTitle'), 'data-testid': 'board-page-title', style: 'min-height:44px' });
    const save = () => {
      const title = input.value.trim();
      if (title && title !== page.title) this.send({ renamePage: { pageId: page.pageId, title } });
      this.render();
    };
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') save();
      if (e.key === 'Escape') this.render();
      e.stopPropagation();
    });
    replaceChildren(this.pagesBar, h('label', {}, this.t('board.pageTitle'), input),
      h('button', { type: 'button', class: 'small primary', onclick: save, text: this.t('common.save') }),
      h('button', { type: 'button', class: 'small', onclick: () => this.render(), text: this.t('common.cancel') }));
    input.focus();
    input.select();
  }

  deletePage() {
    if (this.page) this.send({ deletePage: { pageId: this.pageId } });
  }

  clearPage() {
    const page = this.page;
    if (!page) return;
    const before = [...page.elements.values()];
    const [boardId, pageId] = [this.boardId, this.pageId];
    this.send({ clearPage: { pageId } }).then((ack) => {
      if (ack && before.length) this.undo.record(boardId, clearAction(pageId, before));
      this.render();
    });
  }

  lockAll(locked) {
    const page = this.page;
    if (!page) return;
    const ids = [...page.elements.values()].filter((e) => !!e.locked !== locked).map((e) => e.elementId);
    if (ids.length) this.send({ lockElements: { pageId: page.pageId, elementIds: ids, locked } });
  }

  revert(userId, minutes, seqText) {
    if (!userId) return;
    const m = Number(minutes);
    const sinceSeq = Number(seqText) > 0 ? Number(seqText) : m ? this.shared.seqSince(Date.now() - m * 60_000) : 1;
    const name = this.room.participants.get(userId)?.displayName || userId;
    this.send({ revert: { userId, sinceSeq } }).then((ack) => {
      if (ack) this.say(this.t('board.revert.done', { name, seq: sinceSeq }));
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Changes from the room
  // ---------------------------------------------------------------------------------------------

  onStoreChange(change) {
    if (change.type === 'elements') {
      for (const pe of change.pages) {
        for (const e of pe.upserted) {
          this.pending.delete(e.elementId);
          this.live.committed(e.elementId);
        }
        if (change.boardId !== this.boardId || pe.pageId !== this.pageId) continue;
        for (const id of pe.removed) this.erasing.delete(id);
        const onTop = change.cause === 'ADDED' && !pe.cleared && pe.removed.length === 0
          && pe.upserted.every((e) => this.topZ === undefined || e.z > this.topZ);
        if (onTop) {
          this.view.drawOnTop([...pe.upserted].sort((a, b) => (a.z < b.z ? -1 : a.z > b.z ? 1 : 0)));
          for (const e of pe.upserted) if (this.topZ === undefined || e.z > this.topZ) this.topZ = e.z;
        } else {
          this.recomputeTopZ();
          this.view.invalidate();
        }
        this.view.touchLive();
      }
      if (change.cause === 'CLEARED' || change.cause === 'REVERTED' || change.cause === 'LOCKED' || change.cause === 'UNLOCKED') this.render();
      else this.updateCanvasLabel();
      return;
    }
    const before = `${this.boardId}/${this.pageId}`;
    this.pickDefaults();
    if (`${this.boardId}/${this.pageId}` !== before || change.type === 'reset') this.afterNavigate();
    else this.render();
    if (change.type === 'lock' && change.boardId === this.boardId && !this.teacher) {
      this.say(this.t(change.locked ? 'board.lockedNow' : 'board.unlockedNow'));
      if (change.locked) this.cancelGesture();
    }
  }

  updateCanvasLabel() {
    const page = this.page;
    const board = this.board;
    if (page && board) {
      this.view.live.setAttribute('aria-label', this.t('board.canvasLabel', {
        page: page.title || this.t('board.pageN', { n: board.pages.indexOf(page) + 1 }), count: page.elements.size,
      }));
    }
  }

  onInk(ink, event) {
    const now = Date.now();
    const where = { boardId: ink.boardId, pageId: ink.pageId, userId: ink.userId };
    const here = ink.boardId === this.boardId && ink.pageId === this.pageId;
    if (ink.stroke) {
      this.inkChunks = (this.inkChunks || 0) + 1;
      if (this.lowBandwidth) return;
      if (this.live.stroke(where, ink.stroke, now) && here) this.view.touchLive();
    } else if (ink.laser) {
      if (this.live.laser(where, ink.laser, now)) this.view.touchLive();
    } else if (ink.follow) {
      const actor = event && event.actor;
      if (!actor || (actor.role !== TEACHER && actor.role !== 'TEACHER') || this.teacher) return;
      if (ink.follow.stop) {
        if (this.leader) this.say(this.t('board.leaderStopped', { name: this.leader.name }));
        this.leader = null;
        this.render();
        return;
      }
      const first = !this.leader;
      this.leader = { userId: ink.userId, name: actor.displayName || ink.userId };
      if (first) this.render();
      if (this.following) this.followTo(ink.boardId, ink.pageId, ink.follow);
    }
  }

  followTo(boardId, pageId, f) {
    if (!this.store.page(boardId, pageId)) return;
    if (boardId !== this.boardId || pageId !== this.pageId) {
      this.boardId = boardId;
      this.pageId = pageId;
      selection.set(this.ctx.roomId, { boardId, pageId });
      this.recomputeTopZ();
      this.cancelGesture();
      this.view.invalidate();
      this.render();
    }
    const width = Math.max(1, f.width || 0);
    const height = Math.max(1, f.height || 0);
    const vw = this.view.cssWidth * 10;
    const vh = this.view.cssHeight * 10;
    const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, Math.min(vw / width, vh / height)));
    const x = (f.x || 0) + width / 2 - vw / scale / 2;
    const y = (f.y || 0) + height / 2 - vh / scale / 2;
    const v = this.view.view;
    if (Math.abs(v.x - x) > 0.5 || Math.abs(v.y - y) > 0.5 || Math.abs(v.scale - scale) > 1e-3) {
      this.view.setView({ x, y, scale });
    }
    this.badge.hidden = false;
  }

  onSettings() {
    const lb = !!this.ctx.lowBandwidth;
    if (lb !== this.lowBandwidth) {
      this.lowBandwidth = lb;
      this.room.setLiveInk(!lb).catch(() => {});
      if (lb && this.live.clear()) this.view.touchLive();
    }
    this.render();
  }

  // ---------------------------------------------------------------------------------------------
  // Follow-me and the view
  // ---------------------------------------------------------------------------------------------

  setLeading(on) {
    this.leading = on;
    clearInterval(this.followTimer);
    if (on) {
      this.sendFollow(true);
      this.followTimer = setInterval(() => this.sendFollow(true), FOLLOW_HEARTBEAT_MS);
      this.say(this.t('board.leadOn'));
    } else {
      if (this.boardId && this.pageId) this.room.ink(this.boardId, this.pageId, { follow: { stop: true } });
      this.say(this.t('board.leadOff'));
    }
    this.render();
  }

  sendFollow(now = false) {
    if (!this.leading || !this.boardId || !this.pageId) return;
    const since = Date.now() - (this.lastFollow || 0);
    if (!now && since < FOLLOW_THROTTLE_MS) {
      clearTimeout(this.followSoon);
      this.followSoon = setTimeout(() => this.sendFollow(true), FOLLOW_THROTTLE_MS - since);
      return;
    }
    this.lastFollow = Date.now();
    const v = this.view.visible();
    this.room.ink(this.boardId, this.pageId, {
      follow: { x: Math.round(v.x), y: Math.round(v.y), width: Math.round(v.width), height: Math.round(v.height) },
    });
  }

  setFollowing(on) {
    this.following = on;
    this.say(this.t(on ? 'board.followOn' : 'board.followOff'));
    this.render();
  }

  /** The user moved on their own: a learner stops following the teacher. */
  userNavigated() {
    if (!this.teacher && this.following && this.leader) {
      this.following = false;
      this.say(this.t('board.followOff'));
    }
  }

  setView(view, byUser = true) {
    this.view.setView(view);
    if (byUser) this.userNavigated();
    if (this.leading) this.sendFollow();
  }

  zoom(factor, cx = this.view.cssWidth / 2, cy = this.view.cssHeight / 2) {
    const v = this.view.view;
    const scale = factor === 0 ? 1 : Math.min(MAX_SCALE, Math.max(MIN_SCALE, v.scale * factor));
    const at = { x: v.x + (cx * 10) / v.scale, y: v.y + (cy * 10) / v.scale };
    this.setView({ x: at.x - (cx * 10) / scale, y: at.y - (cy * 10) / scale, scale });
    this.render();
  }

  onWheel(e) {
    e.preventDefault();
    const r = this.view.live.getBoundingClientRect();
    if (e.ctrlKey || e.metaKey) {
      this.zoom(e.deltaY < 0 ? 1.1 : 1 / 1.1, e.clientX - r.left, e.clientY - r.top);
      return;
    }
    const v = this.view.view;
    this.setView({ x: v.x + (e.deltaX * 10) / v.scale, y: v.y + (e.deltaY * 10) / v.scale, scale: v.scale });
  }

  // ---------------------------------------------------------------------------------------------
  // Tools
  // ---------------------------------------------------------------------------------------------

  toolDraws(name) {
    return TOOLS.find((tool) => tool.name === name)?.draws ?? false;
  }

  setTool(name) {
    if (!TOOLS.some((tool) => tool.name === name) || (name === 'lock' && !this.teacher)) return;
    if (this.toolDraws(name) && this.blockedReason()) {
      this.remindBlocked();
      return;
    }
    if (this.tool === 'laser' && name !== 'laser') this.hideLaser();
    this.closeEditor(true);
    this.tool = name;
    this.render();
  }

  style() {
    return { stroke: this.colour, width: this.width };
  }

  point(e) {
    const r = this.view.live.getBoundingClientRect();
    return this.view.toBoard(e.clientX - r.left, e.clientY - r.top);
  }

  onKey(e) {
    const target = e.target;
    if (target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT')) return;
    const key = e.key.toLowerCase();
    if ((e.ctrlKey || e.metaKey) && key === 'z') {
      e.preventDefault();
      this.undoRedo(e.shiftKey ? 'redo' : 'undo');
      return;
    }
    if ((e.ctrlKey || e.metaKey) && key === 'y') {
      e.preventDefault();
      this.undoRedo('redo');
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const tool = TOOLS.find((x) => x.key === key && (!x.teacher || this.teacher));
    if (tool) {
      e.preventDefault();
      this.setTool(tool.name);
    } else if (key === '+' || key === '=') this.zoom(1.25);
    else if (key === '-') this.zoom(1 / 1.25);
    else if (key === '0') this.zoom(0);
    else if (key === 'enter' && target === this.view.live && (this.tool === 'text' || this.tool === 'sticky')) {
      e.preventDefault();
      const v = this.view.visible();
      this.openEditor({ x: Math.round(v.x + v.width / 4), y: Math.round(v.y + v.height / 4) }, null);
    }
  }

  onDown(e) {
    if (this.gesture) return;
    const surface = this.view.live;
    surface.focus({ preventScroll: true });
    const p = this.point(e);
    const pan = this.tool === 'hand' || e.button === 1;
    if (!pan && e.button !== 0) return;
    if (pan) {
      this.gesture = { kind: 'pan', id: e.pointerId, sx: e.clientX, sy: e.clientY, view: { ...this.view.view } };
    } else if (this.tool === 'laser' || !this.board || !this.page) {
      return;
    } else if (this.blockedReason()) {
      this.remindBlocked();
      return;
    } else if (this.tool === 'pen') {
      this.startStroke(p, e);
    } else if (['line', 'arrow', 'rectangle', 'ellipse'].includes(this.tool)) {
      this.gesture = { kind: 'shape', id: e.pointerId, shape: this.tool, x0: p.x, y0: p.y, x1: p.x, y1: p.y };
    } else if (this.tool === 'eraser') {
      this.gesture = { kind: 'erase', id: e.pointerId, lockedSeen: false };
      this.eraseAt(p);
    } else if (this.tool === 'text' || this.tool === 'sticky' || this.tool === 'lock') {
      this.gesture = { kind: 'click', id: e.pointerId, x: p.x, y: p.y };
    }
    if (this.gesture) {
      surface.setPointerCapture(e.pointerId);
      e.preventDefault();
    }
  }

  onMove(e) {
    const g = this.gesture;
    if (this.tool === 'laser' && !this.blockedReason()) this.sendLaser(this.point(e));
    if (!g || g.id !== e.pointerId) return;
    if (g.kind === 'pan') {
      const v = g.view;
      this.setView({ x: v.x - ((e.clientX - g.sx) * 10) / v.scale, y: v.y - ((e.clientY - g.sy) * 10) / v.scale, scale: v.scale });
      return;
    }
    const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [];
    const samples = events.length ? events : [e];
    if (g.kind === 'stroke') {
      for (const s of samples) this.addStrokePoint(s);
      this.view.touchLive();
    } else if (g.kind === 'shape') {
      const p = this.point(e);
      g.x1 = p.x;
      g.y1 = p.y;
      this.view.touchLive();
    } else if (g.kind === 'erase') {
      for (const s of samples) this.eraseAt(this.point(s));
    }
  }

  onUp(e) {
    const g = this.gesture;
    if (!g || g.id !== e.pointerId) return;
    this.gesture = null;
    if (g.kind === 'stroke') this.endStroke(g);
    else if (g.kind === 'shape') this.commitShape(g);
    else if (g.kind === 'erase') this.commitErase();
    else if (g.kind === 'click') this.click(g);
    this.view.touchLive();
  }

  onCancel(e) {
    if (this.gesture && this.gesture.id === e.pointerId) this.cancelGesture();
  }

  onLeave() {
    if (this.tool === 'laser') this.hideLaser();
  }

  cancelGesture() {
    const g = this.gesture;
    this.gesture = null;
    if (g && g.kind === 'stroke') {
      clearInterval(g.timer);
      if (!this.lowBandwidth && this.board) this.room.ink(g.boardId, g.pageId, { stroke: g.ink.doneChunk() });
    }
    if (g && g.kind === 'erase') {
      this.erasing.clear();
      this.view.invalidate();
    }
    this.closeEditor(true);
    this.view.touchLive();
  }

  // Pen with live ink ------------------------------------------------------------------------------

  startStroke(p, e) {
    const ink = new InkChunker(uuid(), this.style());
    const g = { kind: 'stroke', id: e.pointerId, ink, boardId: this.boardId, pageId: this.pageId, pen: e.pointerType === 'pen' };
    this.gesture = g;
    ink.add(p.x, p.y, g.pen ? toPressure(e.pressure) : undefined);
    g.timer = setInterval(() => this.flushInk(g), INK_INTERVAL_MS);
  }

  addStrokePoint(s) {
    const g = this.gesture;
    const p = this.point(s);
    g.ink.add(p.x, p.y, g.pen ? toPressure(s.pressure) : undefined);
    if (g.ink.count >= MAX_STROKE_POINTS) {
      // Commit what there is and go on with a new stroke from the same point.
      this.endStroke(g);
      this.startStroke(p, { pointerId: g.id, pointerType: g.pen ? 'pen' : 'mouse', pressure: s.pressure });
    }
  }

  flushInk(g) {
    if (this.lowBandwidth) return;
    const chunk = g.ink.takeChunk();
    if (chunk) this.room.ink(g.boardId, g.pageId, { stroke: chunk });
  }

  endStroke(g) {
    clearInterval(g.timer);
    this.flushInk(g);
    if (!this.lowBandwidth) this.room.ink(g.boardId, g.pageId, { stroke: g.ink.doneChunk() });
    const page = this.store.page(g.boardId, g.pageId);
    if (!page) return;
    const element = { elementId: g.ink.strokeId, z: topKey(this.allZ(page)), style: g.ink.style, path: g.ink.path() };
    this.commitAdd(g.boardId, g.pageId, [element]);
  }

  /** Elements plus own pending ones: a new element goes above both. */
  allZ(page) {
    return [...page.elements.values(), ...this.pending.values()];
  }

  commitAdd(boardId, pageId, elements) {
    for (const e of elements) this.pending.set(e.elementId, e);
    this.view.touchLive();
    this.room.board(boardId, { addElements: { pageId, elements } }).then(() => {
      this.undo.record(boardId, addAction(pageId, elements));
      this.render();
    }, (err) => {
      for (const e of elements) this.pending.delete(e.elementId);
      this.view.touchLive();
      this.fail(err);
    });
  }

  // Shapes ------------------------------------------------------------------------------------------

  commitShape(g) {
    const page = this.page;
    if (!page || (g.x0 === g.x1 && g.y0 === g.y1)) return;
    this.commitAdd(this.boardId, this.pageId, [this.shapeElement(g, uuid(), topKey(this.allZ(page)))]);
  }

  shapeElement(g, elementId, z) {
    const e = { elementId, z, style: this.style() };
    if (g.shape === 'line' || g.shape === 'arrow') e[g.shape] = { x1: g.x0, y1: g.y0, x2: g.x1, y2: g.y1 };
    else {
      e[g.shape] = { x: Math.min(g.x0, g.x1), y: Math.min(g.y0, g.y1), width: Math.abs(g.x1 - g.x0), height: Math.abs(g.y1 - g.y0) };
    }
    return e;
  }

  // Eraser ------------------------------------------------------------------------------------------

  eraseAt(p) {
    const page = this.page;
    if (!page) return;
    const radius = (ERASER_RADIUS_PX * 10) / this.view.view.scale;
    let changed = false;
    for (const e of page.elements.values()) {
      if (this.erasing.has(e.elementId) || !touches(e, p.x, p.y, radius)) continue;
      if (e.locked && !this.teacher) {
        if (!this.gesture.lockedSeen) this.say(this.t('board.elementLocked'), true);
        this.gesture.lockedSeen = true;
        continue;
      }
      this.erasing.set(e.elementId, e);
      changed = true;
    }
    if (changed) this.view.invalidate();
  }

  commitErase() {
    const before = [...this.erasing.values()];
    if (!before.length) return;
    const [boardId, pageId] = [this.boardId, this.pageId];
    this.room.board(boardId, { deleteElements: { pageId, elementIds: before.map((e) => e.elementId) } }).then(() => {
      this.undo.record(boardId, deleteAction(pageId, before));
      this.render();
    }, (err) => {
      for (const e of before) this.erasing.delete(e.elementId);
      this.view.invalidate();
      this.fail(err);
    });
  }

  // Text, sticky notes and element locks ----------------------------------------------------------

  click(g) {
    const page = this.page;
    if (!page) return;
    const radius = 40 / this.view.view.scale;
    if (this.tool === 'lock') {
      const e = topmostAt(this.store.ordered(page), g.x, g.y, radius);
      if (e) {
        this.send({ lockElements: { pageId: page.pageId, elementIds: [e.elementId], locked: !e.locked } }).then((ack) => {
          if (ack) this.say(this.t(e.locked ? 'board.elementUnlockedNow' : 'board.elementLockedNow'));
        });
      }
      return;
    }
    const existing = topmostAt(this.store.ordered(page), g.x, g.y, radius, (e) => !!(e.text || e.sticky));
    this.openEditor({ x: g.x, y: g.y }, existing);
  }

  onDoubleClick(e) {
    const page = this.page;
    if (!page || this.blockedReason()) return;
    const p = this.point(e);
    const existing = topmostAt(this.store.ordered(page), p.x, p.y, 40 / this.view.view.scale, (x) => !!(x.text || x.sticky));
    if (existing) this.openEditor(p, existing);
  }

  /** A text box over the board to type into: Enter saves (Shift+Enter: new line), Escape cancels. */
  openEditor(at, existing) {
    this.closeEditor(true);
    if (existing && existing.locked && !this.teacher) {
      this.say(this.t('board.elementLocked'), true);
      return;
    }
    const sticky = existing ? !!existing.sticky : this.tool === 'sticky';
    const shape = existing && (existing.sticky || existing.text);
    const origin = shape ? { x: shape.x || 0, y: shape.y || 0 } : at;
    const screen = this.view.toScreen(origin.x, origin.y);
    const size = existing ? (existing.style?.fontSize ?? 16) : this.textSize;
    const editor = h('textarea', {
      class: `pb-editor${sticky ? ' pb-sticky-editor' : ''}`, 'data-testid': 'board-editor',
      'aria-label': this.t(sticky ? 'board.stickyLabel' : 'board.textLabel'), maxLength: 2000,
      style: `left:${Math.max(0, screen.x)}px;top:${Math.max(0, screen.y)}px;font-size:${size * this.view.view.scale}px;color:${this.colour}`,
    });
    editor.value = shape ? shape.text || '' : '';
    editor.addEventListener('keydown', (e) => {
      e.stopPropagation();
      if (e.key === 'Escape') {
        e.preventDefault();
        this.closeEditor(true);
        this.view.live.focus();
      } else if (e.key === 'Enter' && !e.shiftKey) {
        e.preventDefault();
        this.closeEditor(false);
        this.view.live.focus();
      }
    });
    editor.addEventListener('blur', () => this.closeEditor(false));
    this.editor = { el: editor, at: origin, existing, sticky, boardId: this.boardId, pageId: this.pageId };
    this.stage.append(editor);
    editor.focus();
  }

  closeEditor(cancel) {
    const ed = this.editor;
    if (!ed) return;
    this.editor = null;
    ed.el.remove();
    const text = ed.el.value.replace(/\r/g, '');
    if (cancel || !text.trim()) return;
    const page = this.store.page(ed.boardId, ed.pageId);
    if (!page) return;
    if (ed.existing) {
      const before = page.elements.get(ed.existing.elementId) || ed.existing;
      const kind = before.sticky ? 'sticky' : 'text';
      const shape = { ...before[kind], text };
      for (const k of ['x', 'y', 'width', 'height']) shape[k] = before[kind][k] || 0;
      if (kind === 'text') delete shape.height;
      const after = { ...before, [kind]: shape };
      this.room.board(ed.boardId, { updateElements: { pageId: ed.pageId, patches: [{ elementId: before.elementId, [kind]: shape }] } })
        .then(() => {
          this.undo.record(ed.boardId, updateAction(ed.pageId, [before], [after]));
          this.render();
        }, (err) => this.fail(err));
      return;
    }
    const style = { stroke: this.colour, fontSize: this.textSize };
    const e = { elementId: uuid(), z: topKey(this.allZ(page)), style };
    if (ed.sticky) e.sticky = { x: ed.at.x, y: ed.at.y, width: 2200, height: 1600, text };
    else e.text = { x: ed.at.x, y: ed.at.y, width: 0, text };
    this.commitAdd(ed.boardId, ed.pageId, [e]);
  }

  // Laser -------------------------------------------------------------------------------------------

  sendLaser(p) {
    if (!this.boardId || !this.pageId) return;
    const now = Date.now();
    if (now - (this.lastLaser || 0) < LASER_INTERVAL_MS) return;
    this.lastLaser = now;
    this.laserShown = true;
    this.room.ink(this.boardId, this.pageId, { laser: { x: p.x, y: p.y } });
  }

  hideLaser() {
    if (!this.laserShown || !this.boardId || !this.pageId) return;
    this.laserShown = false;
    this.room.ink(this.boardId, this.pageId, { laser: { hidden: true } });
  }

  // Undo and redo -----------------------------------------------------------------------------------

  undoRedo(which) {
    if (!this.boardId || !this.pageId || this.blockedReason()) return;
    const [boardId, pageId] = [this.boardId, this.pageId];
    const entry = which === 'undo' ? this.undo.takeUndo(boardId, pageId) : this.undo.takeRedo(boardId, pageId);
    if (!entry) return;
    this.render();
    this.room.board(boardId, entry.op).then(() => {
      entry.done();
      this.say(this.t(which === 'undo' ? 'board.undone' : 'board.redone'));
      this.render();
    }, (err) => {
      entry.failed();
      this.fail(err);
      this.render();
    });
  }

  // SVG download ------------------------------------------------------------------------------------

  /** The teacher's token for the export endpoint: from the shell when it offers one, else the invite. */
  async token() {
    const given = this.ctx.token;
    if (typeof given === 'function') return given();
    if (typeof given === 'string') return given;
    return readInvite()?.token || '';
  }

  httpBase() {
    try {
      const u = new URL(this.ctx.client.url, location.href);
      u.protocol = u.protocol === 'wss:' ? 'https:' : u.protocol === 'ws:' ? 'http:' : u.protocol;
      return u.origin;
    } catch {
      return location.origin;
    }
  }

  async download() {
    const board = this.board;
    const page = this.page;
    if (!board || !page) return;
    let svg = null;
    if (this.teacher) {
      try {
        const path = ['api', 'rooms', this.ctx.roomId, 'boards', board.boardId, 'pages', page.pageId, 'svg'].map(encodeURIComponent).join('/');
        const res = await fetch(`${this.httpBase()}/${path}`, { headers: { Authorization: `Bearer ${await this.token()}` } });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        svg = await res.text();
      } catch (err) {
        console.warn('board: export failed, drawing the SVG here', err);
      }
    }
    if (!svg) svg = renderPageSvg({ title: page.title, elements: this.store.ordered(page) });
    const name = `${board.title || 'board'} - ${page.title || 'page'}`.replace(/[\\/:*?"<>|]+/g, '_');
    const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
    const a = h('a', { href: url, download: `${name}.svg`, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    this.say(this.t('board.downloaded'));
  }

  // Drawing what moves ------------------------------------------------------------------------------

  drawLive(c) {
    const page = this.page;
    if (!page) return;
    for (const e of this.pending.values()) if (!page.elements.has(e.elementId)) drawElement(c, e);
    for (const s of this.live.onPage(this.boardId, this.pageId)) {
      c.globalAlpha = opacity(s.style);
      const colour = isColour(strokeOf(s.style)) ? strokeOf(s.style) : '#000000';
      c.strokeStyle = colour;
      c.fillStyle = colour;
      const w = widthOf(s.style);
      for (const [from, to] of runs(s)) drawPath(c, s.xy, s.pressure[from] !== undefined ? s.pressure : [], w, from, to);
      c.globalAlpha = 1;
    }
    const g = this.gesture;
    if (g && g.kind === 'stroke' && g.pageId === this.pageId) {
      c.strokeStyle = g.ink.style.stroke;
      c.fillStyle = g.ink.style.stroke;
      drawPath(c, g.ink.xy, g.ink.withPressure ? g.ink.pressure : [], g.ink.style.width);
    } else if (g && g.kind === 'shape') {
      drawElement(c, this.shapeElement(g, 'preview', 'a0'));
    }
    if (this.teacher) {
      // Locked elements: a dashed frame, so the teacher sees what students cannot change.
      c.strokeStyle = '#6b7280';
      c.lineWidth = 10 / this.view.view.scale;
      c.setLineDash([40 / this.view.view.scale, 30 / this.view.view.scale]);
      for (const e of page.elements.values()) {
        if (!e.locked) continue;
        const b = elementBox(e);
        if (b) c.strokeRect(b.x - 60, b.y - 60, b.width + 120, b.height + 120);
      }
      c.setLineDash([]);
    }
    for (const [userId, l] of this.live.lasers) {
      if (l.boardId !== this.boardId || l.pageId !== this.pageId) continue;
      const r = 70 / this.view.view.scale;
      c.fillStyle = 'rgba(229, 57, 53, 0.85)';
      c.beginPath();
      c.arc(l.x, l.y, r, 0, Math.PI * 2);
      c.fill();
      c.font = `${120 / this.view.view.scale}px sans-serif`;
      c.fillStyle = '#b71c1c';
      c.fillText(this.room.participants.get(userId)?.displayName || '', l.x + r * 1.5, l.y - r);
    }
  }

  destroy() {
    this.cancelGesture();
    if (this.leading) this.setLeading(false);
    this.hideLaser();
    clearInterval(this.followTimer);
    clearTimeout(this.followSoon);
    for (const timer of this.timers) clearInterval(timer);
    for (const off of this.offs) off?.();
    this.view.destroy();
    this.root.remove();
    if (window.ponteBoard === this) window.ponteBoard = null;
  }
}
