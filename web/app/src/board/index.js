// The whiteboard panel (loaded on demand by ../panels.js): mount(container, ctx) / unmount().
// See panel.js for what it does and WHITEBOARD.md for the protocol it speaks.
import { BoardPanel } from './panel.js';
import { addStyles } from './styles.js';

let panel = null;

export function mount(container, ctx) {
  addStyles();
  panel = new BoardPanel(container, ctx);
}

export function unmount() {
  panel?.destroy();
  panel = null;
}
