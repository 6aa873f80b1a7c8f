// The documents panel: the room's documents (the SDK's Room keeps them from the join snapshot
// and doc_created / doc_read_only_changed events), creating one, and one open document in a
// rich-text editor (./editor.js, loaded when a document is opened) connected to the server's
// /hocuspocus endpoint with the user's token. Teachers switch a document read-only for students.
// Panel interface: mount(container, ctx) / unmount() (see ../panels.js).
import { h, replaceChildren, announce } from '../dom.js';
import { errorText } from '../errors.js';
import { readInvite } from '../invite.js';
import { addStyle } from './style.js';
import { confirmDialog } from '../ui/controls.js';
import {
  DOC_ERRORS, caretColour, docIdFromTitle, hocuspocusUrl, mayCreate, mayEdit, reasonCode,
} from './names.js';

let panel = null;

export function mount(container, ctx) {
  unmount();
  panel = new DocsPanel(container, ctx);
}

export function unmount() {
  if (panel) panel.destroy();
  panel = null;
}

class DocsPanel {
  constructor(container, ctx) {
    this.ctx = ctx;
    this.t = ctx.t;
    this.room = ctx.client && ctx.client.room(ctx.roomId);
    this.openKey = `ponte.docs.open.${ctx.roomId}`;
    this.session = null; // the open document (editor.js), when loaded
    this.openId = null;
    this.loadToken = 0;
    this.offs = [];
    addStyle();
    this.root = h('div', { class: 'docs-panel', 'data-testid': 'docs-panel' });
    container.append(this.root);
    if (this.room) {
      const changed = () => this.roomChanged();
      for (const name of ['docCreated', 'docReadOnlyChanged', 'joined']) this.offs.push(this.room.on(name, changed));
    }
    // A teacher changing this student's document-edit permission: the editor follows.
    if (ctx.model && typeof ctx.model.subscribe === 'function') {
      this.offs.push(ctx.model.subscribe((topic) => { if (topic === 'room' && this.openId) this.drawDocNotes(); }));
    }
    this.offs.push(ctx.onChange(({ lowBandwidth }) => {
      if (this.session) this.session.setLowBandwidth(lowBandwidth);
      this.drawDocNotes();
    }));
    const remembered = sessionStorage.getItem(this.openKey);
    if (remembered && this.documents().some((d) => d.docId === remembered)) this.open(remembered);
    else this.showList();
  }

  destroy() {
    for (const off of this.offs) off();
    this.offs = [];
    this.closeDocument();
    this.root.remove();
  }

  documents() {
    return this.room ? this.room.listDocuments() : [];
  }

  docInfo(docId) {
    return this.documents().find((d) => d.docId === docId) || null;
  }

  roomChanged() {
    if (this.openId) this.drawDocNotes();
    else this.drawList();
  }

  // --- the list and the create form -----------------------------------------------------------

  showList() {
    this.closeDocument();
    sessionStorage.removeItem(this.openKey);
    const { t } = this;
    this.list = h('ul', { class: 'docs-list', 'aria-label': t('docs.listLabel'), 'data-testid': 'docs-list' });
    this.empty = h('p', { class: 'hint', text: t('docs.empty') });
    replaceChildren(this.root, h('h3', { text: t('panel.docs') }), this.empty, this.list, this.createForm());
    this.drawList();
  }

  drawList() {
    if (!this.list) return;
    const { t } = this;
    const docs = this.documents();
    this.empty.hidden = docs.length > 0;
    replaceChildren(this.list, docs.map((d) => h('li', null,
      h('button', {
        type: 'button', class: 'secondary', 'data-testid': 'doc-item', 'data-doc': d.docId, 'data-focus': `doc:${d.docId}`,
        onclick: () => this.open(d.docId),
      },
      h('span', { class: 'doc-title', text: d.title || d.docId }),
      d.studentsReadOnly ? h('span', { class: 'tag', 'data-testid': 'doc-read-only-tag', text: t('docs.readOnlyTag') }) : null))));
  }

  createForm() {
    const { t, ctx } = this;
    const role = ctx.role;
    const settings = (this.room && this.room.settings) || ctx.model.settings;
    if (!mayCreate(role, settings)) {
      const why = role === 'OBSERVER' ? t('docs.create.observer') : t('docs.create.teachersOnly');
      return h('p', { class: 'docs-note info', 'data-testid': 'doc-create-refused', text: why });
    }
    const title = h('input', {
      type: 'text', id: 'doc-new-title', maxLength: 200, required: true, autocomplete: 'off', 'data-testid': 'doc-new-title',
    });
    const readOnly = role === 'TEACHER'
      ? h('input', { type: 'checkbox', id: 'doc-new-ro', 'data-testid': 'doc-new-read-only' }) : null;
    const error = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'doc-create-error' });
    const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'doc-create', text: t('docs.create.submit') });
    const form = h('form', {
      class: 'docs-create', 'aria-labelledby': 'doc-new-h', noValidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        const text = title.value.trim();
        error.textContent = '';
        if (!text) {
          error.textContent = t('docs.create.titleMissing');
          title.focus();
          return;
        }
        const docId = docIdFromTitle(text);
        submit.disabled = true;
        submit.textContent = t('docs.create.creating');
        try {
          await this.room.createDocument(docId, { title: text, studentsReadOnly: Boolean(readOnly && readOnly.checked) });
          title.value = '';
          if (readOnly) readOnly.checked = false;
          announce(t('docs.created', { title: text }));
          this.open(docId);
        } catch (err) {
          error.textContent = t('docs.create.failed', { reason: this.describe(err) });
        } finally {
          submit.disabled = false;
          submit.textContent = t('docs.create.submit');
        }
      },
    },
    h('h3', { id: 'doc-new-h', text: t('docs.create.heading') }),
    h('label', { for: 'doc-new-title', text: t('docs.create.titleLabel') }), title,
    readOnly ? h('div', { class: 'field check' }, readOnly, h('label', { for: 'doc-new-ro', text: t('docs.create.studentsReadOnly') })) : null,
    h('div', { class: 'row' }, submit), error);
    return form;
  }

  // --- one open document ----------------------------------------------------------------------

  async open(docId) {
    const { t, ctx } = this;
    this.closeDocument();
    this.list = null;
    this.openId = docId;
    sessionStorage.setItem(this.openKey, docId);
    const info = this.docInfo(docId);
    const title = (info && info.title) || docId;
    // Not a live region: it flips between saving and saved at every keystroke. Losing and
    // regaining the connection is announced (setStatus).
    this.status = h('p', { class: 'docs-status', 'data-testid': 'doc-status', 'data-state': 'loading', text: t('docs.loadingEditor') });
    this.notes = h('div', { class: 'docs-notes' });
    this.refusal = h('p', { class: 'docs-note error', role: 'alert', 'data-testid': 'doc-refused', hidden: true });
    this.teacherBox = h('div', { class: 'docs-teacher' });
    this.toolbar = h('div', { class: 'docs-toolbar', role: 'toolbar', 'aria-label': t('docs.toolbar'), 'data-testid': 'doc-toolbar' });
    this.editorEl = h('div', { class: 'docs-editor', 'data-testid': 'doc-editor', 'data-doc': docId });
    replaceChildren(this.root,
      h('div', { class: 'docs-head' },
        h('button', { type: 'button', class: 'secondary small', 'data-testid': 'doc-back', text: t('docs.back'), onclick: () => this.showList() }),
        this.status),
      h('h3', { 'data-testid': 'doc-title', text: title }),
      this.notes, this.teacherBox, ctx.role === 'TEACHER' ? this.revertControl(docId) : null, this.refusal, this.toolbar, this.editorEl);
    this.drawDocNotes();

    const mine = ++this.loadToken;
    let editorModule;
    try {
      editorModule = await import('./editor.js');
    } catch (err) {
      console.error(err);
      if (mine === this.loadToken) this.setStatus('denied', t('docs.editorFailed'));
      return;
    }
    if (mine !== this.loadToken) return;
    const user = ctx.user;
    this.session = editorModule.openDocument({
      url: hocuspocusUrl(),
      name: `${ctx.roomId}/${docId}`,
      token: () => this.token(),
      user: { name: user.displayName || user.userId, color: caretColour(user.userId) },
      element: this.editorEl,
      editable: this.editable(),
      lowBandwidth: ctx.lowBandwidth,
      label: t('docs.editorLabel', { title }),
      onState: (state) => this.drawState(state),
      onRefused: (code) => this.showRefusal(code),
      onEditor: (editor) => this.drawToolbar(editor),
      onTransaction: () => this.updateToolbar(),
    });
    window.ponteDocs = this.session; // debug and test hook, like window.ponte
  }

  /**
   * Teachers: undo one learner's edits in this document since a few minutes ago (DocRevertUser,
   * the server computes the undo). Built once per open document, so a room change that redraws
   * the notes keeps what the teacher chose; the learner list follows the participants.
   */
  revertControl(docId) {
    const { t, ctx } = this;
    const who = h('select', { id: 'doc-revert-who', 'data-testid': 'doc-revert-who' });
    const since = h('select', { id: 'doc-revert-since', 'data-testid': 'doc-revert-since' },
      [5, 15, 60, 180].map((n) => h('option', { value: String(n), text: t('docs.revert.minutes', { n }) })));
    const status = h('p', { class: 'hint', role: 'status', 'data-testid': 'doc-revert-status' });
    const error = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'doc-revert-error' });
    const submit = h('button', {
      type: 'button', class: 'danger small', 'data-testid': 'doc-revert', text: t('docs.revert.submit'),
      onclick: async () => {
        const userId = who.value;
        if (!userId) return;
        const name = who.selectedOptions[0]?.textContent || userId;
        const n = Number(since.value);
        status.textContent = '';
        error.textContent = '';
        if (!await confirmDialog(t('docs.revert.confirmTitle', { name }), t('docs.revert.confirmBody', { name, n }), t('docs.revert.submit'))) return;
        submit.disabled = true;
        try {
          await this.room.send('docRevertUser', { docId, userId, sinceMs: Date.now() - n * 60_000 });
          status.textContent = t('docs.revert.done', { name, n });
        } catch (err) {
          error.textContent = this.describe(err);
        } finally {
          submit.disabled = false;
        }
      },
    });
    const learners = () => {
      const chosen = who.value;
      const people = ctx.model ? [...ctx.model.participants.values()].filter((p) => p.role === 'STUDENT') : [];
      people.sort((a, b) => String(a.displayName).localeCompare(String(b.displayName)));
      replaceChildren(who, people.length ? people.map((p) => h('option', { value: p.userId, selected: p.userId === chosen, text: p.displayName || p.userId }))
        : h('option', { value: '', text: t('docs.revert.noLearners') }));
      submit.disabled = !people.length;
    };
    learners();
    this.revertOff?.();
    this.revertOff = ctx.model ? ctx.model.subscribe((topic) => { if (topic === 'participants') learners(); }) : null;
    return h('details', { class: 'docs-revert', 'data-testid': 'doc-revert-box' },
      h('summary', { text: t('docs.revert.title') }),
      h('div', { class: 'field inline' }, h('label', { for: 'doc-revert-who', text: t('docs.revert.who') }), who),
      h('div', { class: 'field inline' }, h('label', { for: 'doc-revert-since', text: t('docs.revert.since') }), since),
      h('p', { class: 'hint', text: t('docs.revert.hint') }),
      h('div', { class: 'row' }, submit), status, error);
  }

  closeDocument() {
    this.loadToken++;
    this.revertOff?.();
    this.revertOff = null;
    if (this.session) this.session.destroy();
    if (window.ponteDocs === this.session) delete window.ponteDocs;
    this.session = null;
    this.openId = null;
    this.tools = null;
  }

  /** The token the app joined with (ctx carries none: the shell keeps it in sessionStorage). */
  token() {
    if (this.ctx.token) return typeof this.ctx.token === 'function' ? this.ctx.token() : this.ctx.token;
    const invite = readInvite();
    return invite && invite.room === this.ctx.roomId ? invite.token : '';
  }

  editable() {
    return mayEdit(this.ctx.role, this.docInfo(this.openId)) && this.mayEditByPermission();
  }

  /** The student's CAPABILITY_DOCUMENT_EDIT (permissions per capability); teachers always. */
  mayEditByPermission() {
    const model = this.ctx.model;
    return !model || typeof model.can !== 'function' || model.can('CAPABILITY_DOCUMENT_EDIT');
  }

  /** Read-only notes, the teacher's switch and the editor's editability, from the current state. */
  drawDocNotes() {
    if (!this.openId || !this.notes) return;
    const { t, ctx } = this;
    const info = this.docInfo(this.openId);
    const readOnlyForStudents = Boolean(info && info.studentsReadOnly);
    const notes = [];
    if (ctx.role === 'OBSERVER') notes.push(h('p', { class: 'docs-note', 'data-testid': 'doc-read-only', text: t('docs.readOnly.observer') }));
    else if (ctx.role === 'STUDENT' && readOnlyForStudents) notes.push(h('p', { class: 'docs-note', 'data-testid': 'doc-read-only', text: t('docs.readOnly.student') }));
    else if (ctx.role === 'STUDENT' && !this.mayEditByPermission()) notes.push(h('p', { class: 'docs-note', 'data-testid': 'doc-read-only', text: t('docs.readOnly.capability') }));
    if (ctx.lowBandwidth) notes.push(h('p', { class: 'docs-note info', 'data-testid': 'doc-low-bandwidth', text: t('docs.lowBandwidth') }));
    replaceChildren(this.notes, notes);

    if (ctx.role === 'TEACHER' && info) {
      const on = !readOnlyForStudents;
      const error = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'doc-read-only-error' });
      const button = h('button', {
        type: 'button', class: 'toggle', role: 'switch', 'aria-checked': String(on), 'data-focus': 'doc-ro',
        'data-testid': 'doc-students-can-edit', 'aria-describedby': 'doc-ro-hint',
        onclick: async () => {
          button.disabled = true;
          try {
            await this.room.setDocumentReadOnly(this.openId, on);
          } catch (err) {
            button.disabled = false;
            error.textContent = this.describe(err);
          }
        },
      }, h('span', { class: 'switch-track', 'aria-hidden': 'true' }), h('span', { text: t('docs.teacher.studentsCanEdit') }));
      replaceChildren(this.teacherBox, button,
        h('p', { class: 'hint', id: 'doc-ro-hint', text: on ? t('docs.teacher.studentsCanEditOn') : t('docs.teacher.studentsCanEditOff') }), error);
    } else replaceChildren(this.teacherBox);

    const editable = this.editable();
    if (this.session) this.session.setEditable(editable);
    // A refusal is old news once the teacher changed the document's state.
    if (this.editorEl.dataset.editable !== undefined && this.editorEl.dataset.editable !== String(editable)) this.refusal.hidden = true;
    this.editorEl.dataset.editable = String(editable);
    this.toolbar.hidden = !editable;
    this.updateToolbar();
  }

  drawState(state) {
    const { t } = this;
    const editable = this.editable();
    if (state.denied) this.setStatus('denied', t('docs.status.denied', { reason: this.describeReason(state.denied) }));
    else if (state.status === 'disconnected') this.setStatus('offline', editable ? t('docs.status.offline') : t('docs.status.offlineReadOnly'));
    else if (state.status === 'connecting') this.setStatus('connecting', t('docs.status.connecting'));
    else if (!state.synced) this.setStatus('loading', t('docs.status.loading'));
    else if (!editable) this.setStatus('connected', t('docs.status.connected'));
    else if (state.unsynced > 0) this.setStatus('saving', t('docs.status.saving'));
    else this.setStatus('saved', t('docs.status.saved'));
  }

  setStatus(state, text) {
    if (!this.status) return;
    const was = this.status.dataset.state;
    this.status.dataset.state = state;
    this.status.textContent = text;
    const bad = (s) => s === 'offline' || s === 'denied';
    if (was !== state && (bad(state) || (bad(was) && (state === 'saved' || state === 'connected')))) announce(text, state === 'denied');
  }

  showRefusal(code) {
    const { t } = this;
    this.refusal.hidden = false;
    this.refusal.textContent = code === 'RATE_LIMITED' ? errorText('RATE_LIMITED')
      : t('docs.refused', { reason: this.describeReason(code) });
  }

  // --- formatting toolbar ---------------------------------------------------------------------

  drawToolbar(editor) {
    const { t } = this;
    const run = (fn) => () => { fn(editor.chain().focus()).run(); };
    const tools = [
      ['bold', t('docs.tool.bold'), 'B', run((c) => c.toggleBold()), () => editor.isActive('bold')],
      ['italic', t('docs.tool.italic'), 'I', run((c) => c.toggleItalic()), () => editor.isActive('italic')],
      ['heading', t('docs.tool.heading'), 'H', run((c) => c.toggleHeading({ level: 2 })), () => editor.isActive('heading', { level: 2 })],
      ['bulletList', t('docs.tool.bulletList'), '•', run((c) => c.toggleBulletList()), () => editor.isActive('bulletList')],
      ['orderedList', t('docs.tool.orderedList'), '1.', run((c) => c.toggleOrderedList()), () => editor.isActive('orderedList')],
      ['undo', t('docs.tool.undo'), '↶', run((c) => c.undo()), null],
      ['redo', t('docs.tool.redo'), '↷', run((c) => c.redo()), null],
    ];
    this.tools = tools.map(([name, label, glyph, onclick, active]) => ({
      active,
      button: h('button', {
        type: 'button', class: `secondary tool-${name}`, 'aria-label': label, title: label, 'data-testid': `doc-tool-${name}`,
        'aria-pressed': active ? 'false' : undefined, text: glyph, onclick,
      }),
    }));
    replaceChildren(this.toolbar, this.tools.map((x) => x.button));
    this.updateToolbar();
  }

  updateToolbar() {
    if (!this.tools) return;
    const editable = this.editable();
    for (const { button, active } of this.tools) {
      button.disabled = !editable;
      if (active) button.setAttribute('aria-pressed', String(Boolean(active())));
    }
  }

  // --- error texts ----------------------------------------------------------------------------

  /** A refusal (PonteError, timeout, close) as a sentence with its documented code. */
  describe(err) {
    const code = err && err.codeName;
    if (code && DOC_ERRORS[code]) return `${this.t(`docs.error.${code}`)} (${code} ${DOC_ERRORS[code]})`;
    if (err && err.name === 'PonteTimeoutError') return this.t('error.TIMEOUT');
    return errorText(err);
  }

  /** A Hocuspocus refusal reason ("DOC_READ_ONLY: ...") or a bare code, in words. */
  describeReason(reason) {
    const code = reasonCode(reason);
    if (code && DOC_ERRORS[code]) return `${this.t(`docs.error.${code}`)} (${code} ${DOC_ERRORS[code]})`;
    return code ? errorText(code) : String(reason);
  }
}
