// One open document: a Y.Doc kept in step with Ponte's /hocuspocus endpoint by the stock
// HocuspocusProvider, edited in Tiptap through the Collaboration extension, with the others'
// carets (CollaborationCaret on the provider's awareness). Loaded on demand by ./index.js when a
// document is opened, so neither the list nor the app's first load carries the editor.
//
// Pitfalls: a refused update (read-only, too large) stays in the local Y.Doc, and Yjs would send
// it again on every reconnect; so after a refusal the document is opened again from a fresh
// Y.Doc (the server's copy). Extensions that write on their own (TrailingNode) stay off: every
// client would add its own trailing paragraph, and a read-only one would be refused.
import * as Y from 'yjs';
import { Editor } from '@tiptap/core';
import StarterKit from '@tiptap/starter-kit';
import Collaboration from '@tiptap/extension-collaboration';
import CollaborationCaret from '@tiptap/extension-collaboration-caret';
import { HocuspocusProvider } from '@hocuspocus/provider';

/** Y.XmlFragment the editor binds to (Tiptap's default field). */
export const FIELD = 'default';
/** Refusals closer together than this are shown, not answered with another fresh copy. */
const RELOAD_GAP_MS = 5000;

/**
 * Opens a document.
 * @param {{url: string, name: string, token: () => string, user: {name: string, color: string},
 *   element: HTMLElement, editable: boolean, lowBandwidth: boolean, label: string,
 *   onState: (state: DocState) => void, onRefused: (code: string) => void}} options
 * @typedef {{status: 'connecting'|'connected'|'disconnected', synced: boolean, unsynced: number,
 *   denied: string|null, scope: string|null}} DocState
 */
export function openDocument(options) {
  let ydoc = new Y.Doc();
  let provider = null;
  let editor = null;
  let editable = options.editable;
  let lowBandwidth = options.lowBandwidth;
  let lastReload = 0;
  let destroyed = false;
  const state = { status: 'connecting', synced: false, unsynced: 0, denied: null, scope: null };
  const report = () => { if (!destroyed) options.onState({ ...state }); };

  function connect() {
    state.status = 'connecting';
    state.synced = false;
    state.unsynced = 0;
    state.denied = null;
    const p = new HocuspocusProvider({
      url: options.url,
      name: options.name,
      document: ydoc,
      token: () => options.token(),
    });
    provider = p;
    if (lowBandwidth) quiet();
    p.on('status', ({ status }) => { state.status = status; report(); });
    p.on('authenticated', ({ scope }) => { state.scope = scope; report(); });
    p.on('authenticationFailed', ({ reason }) => {
      state.denied = reason || 'PERMISSION_DENIED';
      report();
      // The server will not change its mind for this token: stop reconnecting.
      p.disconnect();
    });
    p.on('synced', () => {
      state.synced = true;
      if (!editor && provider === p) mountEditor();
      report();
    });
    p.on('unsyncedChanges', ({ number }) => { state.unsynced = number; report(); });
    p.on('stateless', ({ payload }) => {
      let m = null;
      try { m = JSON.parse(payload); } catch { return; }
      if (m && m.event === 'ponte.error') refused(String(m.code || ''));
    });
  }

  function mountEditor() {
    const extensions = [
      // Collaboration brings its own undo (per user, Yjs-aware); TrailingNode writes by itself.
      StarterKit.configure({ undoRedo: false, trailingNode: false, link: false }),
      Collaboration.configure({ document: ydoc, field: FIELD }),
    ];
    if (lowBandwidth) quiet();
    else {
      // setLocalStateField (what the caret extension calls) does nothing on a null state.
      if (provider.awareness.getLocalState() === null) provider.awareness.setLocalState({ user: options.user });
      extensions.push(CollaborationCaret.configure({ provider, user: options.user }));
    }
    editor = new Editor({
      element: options.element,
      extensions,
      editable,
      editorProps: {
        attributes: {
          role: 'textbox', 'aria-multiline': 'true', 'aria-label': options.label,
          'aria-readonly': String(!editable), 'data-testid': 'doc-text', spellcheck: 'true',
        },
      },
    });
    editor.on('transaction', () => options.onTransaction?.());
    options.onEditor?.(editor);
  }

  /** No awareness state of ours (the others drop our caret; nothing more is sent). */
  function quiet() {
    if (provider.awareness.getLocalState() !== null) provider.awareness.setLocalState(null);
  }

  function unmountEditor() {
    if (editor) { editor.destroy(); editor = null; }
    options.element.replaceChildren();
  }

  function teardown() {
    unmountEditor();
    if (provider) { provider.destroy(); provider = null; }
  }

  function refused(code) {
    const now = Date.now();
    options.onRefused(code);
    if (code === 'RATE_LIMITED' || now - lastReload < RELOAD_GAP_MS) return;
    // What the server refused is only in this Y.Doc: start over from the server's copy.
    lastReload = now;
    teardown();
    ydoc.destroy();
    ydoc = new Y.Doc();
    connect();
  }

  connect();

  return {
    get editor() { return editor; },
    get provider() { return provider; },
    get ydoc() { return ydoc; },
    text: () => (editor ? editor.getText() : ''),
    setEditable(on) {
      editable = on;
      if (editor) {
        editor.setEditable(on);
        editor.view.dom.setAttribute('aria-readonly', String(!on));
      }
    },
    /**
     * Low-bandwidth on: the editor again without carets, and this user's awareness state null
     * (nothing more sent). The provider and its Awareness stay: a new Awareness for the same
     * Y.Doc client id would start its clock at 0, and the others would ignore it after the null.
     */
    setLowBandwidth(on) {
      if (on === lowBandwidth) return;
      lowBandwidth = on;
      if (!editor) return;
      const focused = editor.isFocused;
      unmountEditor();
      mountEditor();
      if (focused) editor.commands.focus();
    },
    destroy() {
      destroyed = true;
      teardown();
      ydoc.destroy();
    },
  };
}
