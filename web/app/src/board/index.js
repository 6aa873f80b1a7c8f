// PLACEHOLDER panel ("coming soon"): the board panel is built separately and replaces this module.
// It keeps the panel interface: mount(container, ctx) / unmount() (see ../panels.js for ctx).
let root = null;
let off = null;

export function mount(container, ctx) {
  root = document.createElement('div');
  root.className = 'placeholder-panel';
  root.dataset.testid = 'placeholder-board';
  const title = document.createElement('h3');
  const text = document.createElement('p');
  const draw = () => {
    title.textContent = ctx.t('panel.board');
    text.textContent = ctx.t('panel.comingSoon');
  };
  draw();
  off = ctx.onChange(draw);
  root.append(title, text);
  container.append(root);
}

export function unmount() {
  if (off) off();
  if (root) root.remove();
  root = null;
  off = null;
}
