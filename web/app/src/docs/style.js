// The documents panel's styles, added to the page when the panel mounts (the app's app.css is
// the shell's; this chunk brings its own). Colours are the app's variables (AA-checked there).
const CSS = `
.docs-panel { display: flex; flex-direction: column; gap: .75rem; border-top: 1px solid var(--line); padding-top: .75rem; }
.docs-list { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: .35rem; }
.docs-list button { width: 100%; display: flex; flex-wrap: wrap; align-items: center; gap: .25rem .5rem; text-align: left; }
.docs-list button .doc-title { font-weight: 600; overflow-wrap: anywhere; }
.docs-create { display: flex; flex-direction: column; gap: .4rem; border-top: 1px solid var(--line); padding-top: .75rem; }
.docs-create h3 { font-size: 1rem; margin: 0; }
.docs-create input[type="text"] { padding: .55rem .75rem; border: 1px solid var(--border); border-radius: 8px; background: var(--card); min-height: 44px; }
.docs-note { margin: 0; padding: .5rem .75rem; border-radius: 8px; background: var(--warn-bg); color: var(--warn-text); font-weight: 600; }
.docs-note.info { background: var(--tag-bg); color: var(--tag-text); font-weight: 400; }
.docs-note.error { background: var(--error-bg); color: var(--error-text); font-weight: 400; }
.docs-notes { display: flex; flex-direction: column; gap: .5rem; }
.docs-notes:empty, .docs-teacher:empty { display: none; }
.docs-teacher .hint { margin: .15rem 0 0; }
.docs-head { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: .5rem; }
.docs-head h3 { margin: 0; font-size: 1.05rem; overflow-wrap: anywhere; }
.docs-status { display: inline-flex; align-items: center; gap: .4rem; margin: 0; font-size: .9rem; color: var(--muted); }
.docs-status::before { content: ""; width: 10px; height: 10px; border-radius: 50%; background: var(--away); flex: none; }
.docs-status[data-state="saved"]::before, .docs-status[data-state="connected"]::before { background: var(--active); }
.docs-status[data-state="saving"]::before, .docs-status[data-state="loading"]::before,
.docs-status[data-state="connecting"]::before { background: #b7791f; }
.docs-status[data-state="offline"]::before, .docs-status[data-state="denied"]::before { background: var(--danger); }
.docs-toolbar { display: flex; flex-wrap: wrap; gap: .25rem; }
.docs-toolbar button { padding: .25rem .6rem; min-width: 44px; }
.docs-toolbar button[aria-pressed="true"] { background: var(--tag-bg); border-color: var(--primary); }
.docs-toolbar .tool-bold, .docs-toolbar .tool-heading { font-weight: 700; }
.docs-toolbar .tool-italic { font-style: italic; font-family: Georgia, serif; }
.docs-editor .ProseMirror { min-height: 16rem; max-height: 60vh; overflow-y: auto; padding: 1.1rem 1rem .75rem; border: 1px solid var(--border); border-radius: 8px; background: var(--card); line-height: 1.75; }
.docs-editor .ProseMirror[contenteditable="false"] { background: #f7f8fa; }
.docs-editor .ProseMirror:focus-visible { outline: 3px solid var(--focus); outline-offset: 0; }
.docs-editor .ProseMirror p { margin: 0 0 .6rem; }
.docs-editor .ProseMirror h2 { font-size: 1.2rem; margin: .6rem 0 .4rem; }
.docs-editor .ProseMirror ul, .docs-editor .ProseMirror ol { padding-left: 1.5rem; margin: 0 0 .6rem; }
.collaboration-carets__caret { position: relative; margin-left: -1px; margin-right: -1px; border-left: 1px solid; border-right: 1px solid; word-break: normal; pointer-events: none; }
.collaboration-carets__label { position: absolute; top: -1.4em; left: -1px; padding: 0 .3rem; border-radius: 4px 4px 4px 0; color: #fff; font-size: .7rem; font-weight: 600; line-height: 1.3; white-space: nowrap; user-select: none; }
`;

export function addStyle() {
  if (document.getElementById('ponte-docs-style')) return;
  const el = document.createElement('style');
  el.id = 'ponte-docs-style';
  el.textContent = CSS;
  document.head.append(el);
}
