// dom: small helpers every view shares: building elements, formatting
// numbers, times and durations, and a redraw throttle. No server access
// and no state.
// SPDX-License-Identifier: MIT

// el('a', {href: '#/', class: 'x'}, 'text', child, ...): one element.
// Attributes starting with "on" become listeners; null/false are skipped.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export function clear(node) {
  node.replaceChildren();
  return node;
}

// A number for tables: short, but never hiding the digits that matter.
export function fmtNum(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  if (typeof v !== 'number') return String(v);
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(3).replace(/\.?0+e/, 'e');
  return v.toPrecision(4).replace(/\.?0+$/, '');
}

export function fmtParam(v) {
  return typeof v === 'number' ? fmtNum(v) : v === undefined ? '–' : String(v);
}

export function fmtDuration(s) {
  if (s === null || s === undefined) return '–';
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.floor(s % 60)} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

export function fmtTime(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  return d.toLocaleString(undefined, {
    year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit',
  });
}

// Show an API error as the server gave it: code, then message.
export function errorBox(err) {
  const code = err && err.code ? err.code : 'error';
  return el('p', { class: 'error', role: 'alert' }, el('code', {}, code), ' ',
    err && err.message ? err.message : String(err));
}

// Wrap fn so that calls within ms of the last run collapse into one run
// at the end of the window: live events arrive faster than charts redraw.
export function throttle(fn, ms) {
  let timer = null;
  let last = 0;
  return function schedule() {
    if (timer) return;
    const wait = Math.max(0, last + ms - performance.now());
    timer = setTimeout(() => {
      timer = null;
      last = performance.now();
      fn();
    }, wait);
  };
}

// Whether lower values of the objective are better.
export function isMinimize(study, k) {
  return study.definition.objectives[k].goal !== 'maximize';
}
