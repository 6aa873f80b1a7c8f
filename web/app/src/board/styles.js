// The panel's styles, added to the document once when the panel is first opened (they come with
// the panel's code, not in the initial CSS). Colours from the app's palette (app.css).
const CSS = `
/* While the whiteboard is open, its card takes the classroom's full width (the shell's grid
   otherwise gives it one column). */
.classroom .panels-card:has([data-testid="board-panel"]) { grid-column: 1 / -1; }
.pb-board { display: flex; flex-direction: column; gap: .5rem; }
.pb-row { display: flex; flex-wrap: wrap; align-items: center; gap: .4rem; }
.pb-row label { display: inline-flex; align-items: center; gap: .3rem; }
.pb-pages button[aria-current="true"] { background: var(--tag-bg); border-color: var(--primary); font-weight: 600; }
.pb-toolbar { display: flex; flex-wrap: wrap; gap: .3rem; align-items: center; padding: .3rem; border: 1px solid var(--line); border-radius: 8px; background: #f8f9fb; }
.pb-toolbar .pb-group { display: flex; flex-wrap: wrap; gap: .25rem; align-items: center; padding-right: .35rem; margin-right: .1rem; border-right: 1px solid var(--line); }
.pb-toolbar .pb-group:last-child { border-right: 0; }
.pb-tool { padding: .35rem .55rem; min-width: 44px; }
.pb-tool[aria-pressed="true"] { background: var(--tag-bg); border-color: var(--primary); box-shadow: inset 0 0 0 1px var(--primary); }
.pb-tool svg { width: 22px; height: 22px; vertical-align: middle; pointer-events: none; }
.pb-swatch { width: 44px; padding: 0; }
.pb-swatch span { display: inline-block; width: 22px; height: 22px; border-radius: 50%; border: 1px solid #5f6b7a; vertical-align: middle; }
.pb-swatch[aria-pressed="true"] { border-color: var(--primary); box-shadow: inset 0 0 0 2px var(--primary); }
.pb-colour-input { width: 44px; height: 44px; padding: 2px; border: 1px solid var(--border); border-radius: 8px; background: var(--card); }
.pb-why { margin: 0; padding: .4rem .6rem; border-radius: 8px; background: var(--warn-bg); color: var(--warn-text); }
.pb-error { margin: 0; padding: .4rem .6rem; border-radius: 8px; background: var(--error-bg); color: var(--error-text); }
.pb-stage { position: relative; height: min(70vh, 640px); min-height: 320px; border: 1px solid var(--border); border-radius: 8px; overflow: hidden; background: #fff; touch-action: none; }
.pb-canvas { position: absolute; inset: 0; width: 100%; height: 100%; display: block; }
.pb-live { touch-action: none; cursor: crosshair; }
.pb-live:focus-visible { outline: 3px solid var(--focus); outline-offset: -3px; }
.pb-stage[data-tool="hand"] .pb-live { cursor: grab; }
.pb-stage[data-tool="eraser"] .pb-live { cursor: cell; }
.pb-stage[data-tool="text"] .pb-live, .pb-stage[data-tool="sticky"] .pb-live { cursor: text; }
.pb-stage[data-blocked="true"] .pb-live { cursor: not-allowed; }
.pb-editor { position: absolute; z-index: 2; min-width: 12rem; min-height: 3rem; width: auto; resize: both; background: rgba(255,255,255,.95); border: 2px solid var(--primary); border-radius: 4px; padding: .25rem .4rem; font-family: sans-serif; line-height: 1.25; }
.pb-editor.pb-sticky-editor { background: #fff59d; }
.pb-follow-badge { position: absolute; z-index: 1; top: .4rem; left: .4rem; padding: .15rem .5rem; border-radius: 999px; background: var(--tag-bg); color: var(--tag-text); font-size: .85rem; pointer-events: none; }
.pb-teacher { border: 1px solid var(--line); border-radius: 8px; padding: .4rem .6rem; }
.pb-teacher summary { cursor: pointer; font-weight: 600; min-height: 44px; display: flex; align-items: center; }
.pb-teacher .pb-row { margin: .35rem 0; }
.pb-empty { padding: 1rem; border: 2px dashed var(--line); border-radius: 8px; }
`;

export function addStyles() {
  if (document.getElementById('ponte-board-styles')) return;
  const style = document.createElement('style');
  style.id = 'ponte-board-styles';
  style.textContent = CSS;
  document.head.append(style);
}
