// A tiny DOM builder. Text always goes in through textContent, never innerHTML: chat text,
// names and room titles come from other people.

/**
 * h('button', {class: 'x', onclick: fn, 'aria-label': '…', text: '…'}, child, …)
 * Props: `text` sets textContent; `on*` functions become listeners; `class`, `for`, aria-* and
 * data-* become attributes; booleans add or omit the attribute; anything else is a property.
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'text') el.textContent = v;
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'class' || k === 'for' || k === 'role' || k === 'id' || k === 'lang' || k === 'title'
        || k === 'type' || k === 'name' || k === 'placeholder' || k === 'tabindex' || k === 'hidden'
        || k === 'dir' || k.startsWith('aria-') || k.startsWith('data-')) {
        el.setAttribute(k, v === true ? '' : String(v));
      } else el[k] = v;
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces an element's children, keeping focus on the element with the same data-focus key. */
export function replaceChildren(parent, ...children) {
  const active = document.activeElement;
  const key = active && parent.contains(active) ? active.getAttribute('data-focus') : null;
  parent.replaceChildren();
  append(parent, children);
  if (key) {
    const again = parent.querySelector(`[data-focus="${CSS.escape(key)}"]`);
    if (again) again.focus();
  }
}

let announcer;
/** Says something to screen readers (politely, or assertively for final errors). */
export function announce(text, assertive = false) {
  if (!announcer) {
    announcer = {
      polite: h('div', { class: 'sr-only', 'aria-live': 'polite', 'data-testid': 'announcer' }),
      assertive: h('div', { class: 'sr-only', 'aria-live': 'assertive', role: 'alert' }),
    };
    document.body.append(announcer.polite, announcer.assertive);
  }
  const region = assertive ? announcer.assertive : announcer.polite;
  // A fresh text node each time: screen readers announce additions.
  const line = h('div', { text });
  region.append(line);
  while (region.childNodes.length > 5) region.firstChild.remove();
}
