/**
 * Small DOM helpers. Text always goes in as text (textContent / attributes), never as markup,
 * so a guest named "<img onerror=…>" is just a name.
 */

type Attrs = Record<string, string | number | boolean | undefined | null | ((ev: Event) => void)>;
type Child = Node | string | number | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

export function setAttrs(el: Element, attrs: Attrs): void {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) {
      if (!k.startsWith('on')) el.removeAttribute(k === 'className' ? 'class' : k);
      continue;
    }
    if (typeof v === 'function') {
      el.addEventListener(k.slice(2).toLowerCase(), v);
    } else if (k === 'className') {
      el.setAttribute('class', String(v));
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
}

export function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

const SVG = 'http://www.w3.org/2000/svg';

/** Icon paths on a 24×24 grid, drawn as strokes. */
const ICONS: Record<string, string> = {
  start: 'M8 5v14l11-7z',
  resume: 'M8 5v14l11-7z',
  pause: 'M8 5v14M16 5v14',
  shutdown: 'M12 3v9M6.3 7.5a8 8 0 1 0 11.4 0',
  reboot: 'M4 12a8 8 0 1 0 2.4-5.7M4 4v4.5h4.5',
  reset: 'M13 3L5 14h6l-1 7 8-11h-6z',
  poweroff: 'M6 6l12 12M18 6L6 18',
  save: 'M12 4v10m-4-4l4 4 4-4M5 19h14',
  snapshot: 'M4 8h3l2-3h6l2 3h3v11H4zM12 16.5a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7z',
  delete: 'M5 7h14M10 7V4h4v3M7 7l1 13h8l1-13',
  fullscreen: 'M4 9V4h5M20 9V4h-5M4 15v5h5M20 15v5h-5',
  keyboard: 'M3 7h18v11H3zM7 11h.01M11 11h.01M15 11h.01M8 15h8',
  terminal: 'M4 5h16v14H4zM7 10l3 2-3 2M12 15h5',
  settings:
    'M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM19 12l2-1-1-3-2 .3-1.3-1.3L17 5l-3-1-1 2h-2L10 4 7 5l.3 2L6 8.3 4 8l-1 3 2 1v0l-2 1 1 3 2-.3L7.3 17 7 19l3 1 1-2h2l1 2 3-1-.3-2 1.3-1.3 2 .3 1-3z',
  scan: 'M12 4a8 8 0 1 0 8 8M12 8a4 4 0 1 0 4 4M12 12l6-6',
  resources: 'M6 4v16M12 9v11M18 14v6',
  snapshots: 'M12 3l9 5-9 5-9-5zM3 13l9 5 9-5M3 17l9 5 9-5',
  scaling: 'M4 4h16v16H4zM9 9h6v6H9z',
  clipboard: 'M9 4h6v3H9zM7 5H5v16h14V5h-2',
  plus: 'M12 5v14M5 12h14',
  clone: 'M8 8h11v11H8zM5 16V5h11',
  storage:
    'M4 6c0-1.7 3.6-3 8-3s8 1.3 8 3-3.6 3-8 3-8-1.3-8-3zM4 6v12c0 1.7 3.6 3 8 3s8-1.3 8-3V6M4 12c0 1.7 3.6 3 8 3s8-1.3 8-3',
  close: 'M6 6l12 12M18 6L6 18',
  strip: 'M4 4h5v16H4zM12 4h8M12 9h8M12 14h8',
  retry: 'M4 12a8 8 0 1 0 2.4-5.7M4 4v4.5h4.5',
  osd: 'M4 4h7v7H4zM13 4h7v7h-7zM4 13h7v7H4zM13 13h7v7h-7z',
  move: 'M3 12h13M11 6l6 6-6 6M21 4v16',
  fold: 'M6 9l6 6 6-6',
  details: 'M4 4h16v16H4zM14 4v16M16.5 8h1M16.5 12h1M16.5 16h1',
  unfold: 'M9 6l6 6-6 6',
  'no-display': 'M3 5h18v12H3zM8 21h8M4 4l16 16',
};

export function icon(name: string): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.classList.add('icon');
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', ICONS[name] ?? ICONS['close']!);
  svg.append(path);
  return svg;
}

/** A button with an icon, an accessible name and a tooltip. */
export function iconButton(
  name: string,
  label: string,
  onClick: (ev: Event) => void,
  attrs: Attrs = {},
): HTMLButtonElement {
  const b = h(
    'button',
    { type: 'button', className: 'icon-button', title: label, 'aria-label': label, ...attrs },
    icon(name),
  );
  b.addEventListener('click', (ev) => {
    ev.stopPropagation();
    onClick(ev);
  });
  return b;
}

export function formatBytes(kib: number): string {
  const mib = kib / 1024;
  return mib >= 1024 ? `${(mib / 1024).toFixed(mib >= 10240 ? 0 : 1)} GiB` : `${Math.round(mib)} MiB`;
}

export function formatRate(bps: number): string {
  if (bps < 1024) return `${Math.round(bps)} B/s`;
  if (bps < 1024 * 1024) return `${(bps / 1024).toFixed(0)} KiB/s`;
  return `${(bps / 1024 / 1024).toFixed(1)} MiB/s`;
}

/** Bytes as people read them (GiB above 1 GiB, else MiB). */
export function formatSize(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${Math.round(bytes / 1024)} KiB`;
}
