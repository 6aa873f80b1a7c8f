// The drawing tools, colours and widths: real buttons with labels, aria-pressed and a keyboard
// shortcut each (aria-keyshortcuts), disabled with the reason when the user may not draw.
import { h } from '../dom.js';

/** Tools in toolbar order: name, shortcut key, icon path (24 × 24), whether it changes the board. */
export const TOOLS = [
  { name: 'pen', key: 'p', draws: true, icon: 'M3 21l3.5-1 11-11-2.5-2.5-11 11L3 21zM15 4.5l2.5 2.5 2-2-2.5-2.5z' },
  { name: 'line', key: 'l', draws: true, icon: 'M4 20L20 4' },
  { name: 'arrow', key: 'a', draws: true, icon: 'M4 20L20 4M11 4h9v9' },
  { name: 'rectangle', key: 'r', draws: true, icon: 'M4 6h16v12H4z' },
  { name: 'ellipse', key: 'o', draws: true, icon: 'M12 5c4.4 0 8 3.1 8 7s-3.6 7-8 7-8-3.1-8-7 3.6-7 8-7z' },
  { name: 'text', key: 't', draws: true, icon: 'M5 5h14M12 5v15M9 20h6' },
  { name: 'sticky', key: 'n', draws: true, icon: 'M4 4h16v11l-5 5H4zM15 20v-5h5' },
  { name: 'eraser', key: 'e', draws: true, icon: 'M8 20h12M4 15l9-9 6 6-8 8H8z' },
  { name: 'laser', key: 'k', draws: true, icon: 'M12 9a3 3 0 100 6 3 3 0 000-6zM12 2v4M12 18v4M2 12h4M18 12h4' },
  { name: 'hand', key: 'h', draws: false, icon: 'M8 13V5.5a1.5 1.5 0 013 0V12m0-7.5v-1a1.5 1.5 0 013 0V12m0-6.5a1.5 1.5 0 013 0V14c0 4-2.5 7-6.5 7S6 19 4.5 16L3 13.5a1.5 1.5 0 012.6-1.5L8 15' },
  { name: 'lock', key: 'x', draws: true, teacher: true, icon: 'M6 11h12v10H6zM8.5 11V7.5a3.5 3.5 0 017 0V11' },
];

export const COLOURS = [
  ['black', '#1b1f24'], ['red', '#c62828'], ['blue', '#1565c0'], ['green', '#2e7d32'],
  ['orange', '#ef6c00'], ['purple', '#6a1b9a'],
];
export const WIDTHS = [1, 2, 4, 8, 16];
export const TEXT_SIZES = [12, 16, 24, 36, 48];

const SVG = 'http://www.w3.org/2000/svg';

export function icon(d) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', d);
  path.setAttribute('fill', 'none');
  path.setAttribute('stroke', 'currentColor');
  path.setAttribute('stroke-width', '2');
  path.setAttribute('stroke-linecap', 'round');
  path.setAttribute('stroke-linejoin', 'round');
  svg.append(path);
  return svg;
}

/**
 * The toolbar. `state` is {tool, colour, width, textSize, teacher, blocked (an i18n key or null),
 * canUndo, canRedo, following, leading, role}; `on` has the handlers. Returns the element; the
 * panel builds it again when the state changes (it is small).
 */
export function toolbar(state, on, t) {
  const why = state.blocked ? 'pb-why' : undefined;
  const tools = TOOLS.filter((tool) => !tool.teacher || state.teacher).map((tool) => h('button', {
    type: 'button', class: 'pb-tool', 'data-tool': tool.name, 'data-testid': `board-tool-${tool.name}`,
    'data-focus': `board-tool:${tool.name}`,
    'aria-label': t(`board.tool.${tool.name}`), title: `${t(`board.tool.${tool.name}`)} (${tool.key.toUpperCase()})`,
    'aria-keyshortcuts': tool.key.toUpperCase(), 'aria-pressed': String(state.tool === tool.name),
    disabled: tool.draws && !!state.blocked, 'aria-describedby': tool.draws ? why : undefined,
    onclick: () => on.tool(tool.name),
  }, icon(tool.icon)));

  const swatches = COLOURS.map(([name, value]) => h('button', {
    type: 'button', class: 'pb-swatch', 'data-testid': `board-colour-${name}`, 'data-focus': `board-colour:${name}`,
    'aria-label': t(`board.colour.${name}`), title: t(`board.colour.${name}`),
    'aria-pressed': String(state.colour.toLowerCase() === value), onclick: () => on.colour(value),
  }, h('span', { style: `background:${value}` })));
  const custom = h('input', {
    type: 'color', class: 'pb-colour-input', 'aria-label': t('board.colour.custom'), title: t('board.colour.custom'),
    value: state.colour, 'data-focus': 'board-colour:custom', onchange: (e) => on.colour(e.target.value),
  });
  const widthSelect = h('select', {
    'aria-label': t('board.width'), title: t('board.width'), 'data-testid': 'board-width', 'data-focus': 'board-width',
    onchange: (e) => on.width(Number(e.target.value)),
  }, WIDTHS.map((w) => h('option', { value: String(w), selected: w === state.width, text: t('board.widthPx', { px: w }) })));
  const sizeSelect = h('select', {
    'aria-label': t('board.textSize'), title: t('board.textSize'), 'data-testid': 'board-text-size', 'data-focus': 'board-text-size',
    onchange: (e) => on.textSize(Number(e.target.value)),
  }, TEXT_SIZES.map((s) => h('option', { value: String(s), selected: s === state.textSize, text: t('board.textSizePx', { px: s }) })));

  const undo = h('button', {
    type: 'button', class: 'pb-tool', 'data-testid': 'board-undo', 'data-focus': 'board-undo', 'aria-keyshortcuts': 'Control+Z',
    'aria-label': t('board.undo'), title: `${t('board.undo')} (Ctrl+Z)`, disabled: !state.canUndo || !!state.blocked,
    onclick: on.undo,
  }, icon('M9 14L4 9l5-5M4 9h10a6 6 0 010 12h-3'));
  const redo = h('button', {
    type: 'button', class: 'pb-tool', 'data-testid': 'board-redo', 'data-focus': 'board-redo', 'aria-keyshortcuts': 'Control+Shift+Z',
    'aria-label': t('board.redo'), title: `${t('board.redo')} (Ctrl+Shift+Z)`, disabled: !state.canRedo || !!state.blocked,
    onclick: on.redo,
  }, icon('M15 14l5-5-5-5M20 9H10a6 6 0 000 12h3'));

  const zoom = [
    h('button', { type: 'button', class: 'pb-tool', 'aria-label': t('board.zoomOut'), title: `${t('board.zoomOut')} (-)`, 'data-focus': 'board-zoom-out', onclick: () => on.zoom(1 / 1.25) }, icon('M5 12h14')),
    h('button', { type: 'button', class: 'pb-tool', 'aria-label': t('board.zoomReset'), title: `${t('board.zoomReset')} (0)`, 'data-focus': 'board-zoom-reset', onclick: () => on.zoom(0), text: `${Math.round(state.scale * 100)}%` }),
    h('button', { type: 'button', class: 'pb-tool', 'aria-label': t('board.zoomIn'), title: `${t('board.zoomIn')} (+)`, 'data-focus': 'board-zoom-in', onclick: () => on.zoom(1.25) }, icon('M5 12h14M12 5v14')),
  ];

  const follow = state.teacher
    ? h('button', {
      type: 'button', class: 'toggle small', 'data-testid': 'board-lead', 'data-focus': 'board-lead',
      'aria-pressed': String(state.leading), onclick: on.lead, text: t('board.lead'),
    })
    : h('button', {
      type: 'button', class: 'toggle small', 'data-testid': 'board-follow', 'data-focus': 'board-follow',
      'aria-pressed': String(state.following), onclick: on.follow, text: t('board.follow'),
    });
  const download = h('button', {
    type: 'button', class: 'small', 'data-testid': 'board-download', 'data-focus': 'board-download',
    onclick: on.download, text: t('board.download'),
  });

  return h('div', { class: 'pb-toolbar', role: 'toolbar', 'aria-label': t('board.tools'), 'data-testid': 'board-toolbar' },
    h('div', { class: 'pb-group' }, tools),
    h('div', { class: 'pb-group', role: 'group', 'aria-label': t('board.colour') }, swatches, custom),
    h('div', { class: 'pb-group' }, widthSelect, sizeSelect),
    h('div', { class: 'pb-group' }, undo, redo),
    h('div', { class: 'pb-group' }, zoom),
    h('div', { class: 'pb-group' }, follow, download));
}
