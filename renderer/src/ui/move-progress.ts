/**
 * Moves under way, each in a small panel over the corner of the stage: a progress bar from the
 * migration job's statistics, the figures behind it, and Cancel. It never takes the focus, so the
 * user keeps typing into the guest while it moves. A finished move says so and goes; a failed or
 * cancelled one says why, in words, until dismissed.
 */
import type { MigrationProgress } from '../../../common/contract.js';
import { progressView } from '../state/migration.js';
import { h, iconButton } from './dom.js';
import { hostLabel } from './strip.js';

/** How long a finished move's panel stays. */
const DONE_TTL_MS = 6000;

interface Panel {
  el: HTMLElement;
  title: HTMLElement;
  close: HTMLElement;
  bar: HTMLElement;
  fill: HTMLElement;
  headline: HTMLElement;
  rows: HTMLElement;
  footer: HTMLElement;
  phase: MigrationProgress['phase'] | undefined;
}

export class MoveProgress {
  readonly element = h('aside', { className: 'moves', 'aria-label': 'Moves between hosts' });
  private readonly panels = new Map<string, Panel>();

  constructor(
    private readonly cancel: (m: MigrationProgress) => void,
    /** Gives the keyboard back to the guest's screen after a click here. */
    private readonly refocus: () => void,
  ) {}

  update(m: MigrationProgress): void {
    const p = this.panels.get(m.uuid) ?? this.make(m);
    const v = progressView(m);
    p.title.textContent = `${v.ended ? 'Move of' : 'Moving'} ${m.name} to ${hostLabel(m.target)}`;
    p.close.hidden = !v.ended;
    p.headline.textContent = v.headline;
    p.rows.replaceChildren(...v.rows.flatMap(([k, val]) => [h('dt', {}, k), h('dd', {}, val)]));
    p.el.dataset.phase = m.phase;
    p.bar.hidden = v.ended;
    if (v.ended) p.bar.removeAttribute('role');
    else p.bar.setAttribute('role', 'progressbar');
    if (v.fraction === undefined) p.bar.removeAttribute('aria-valuenow');
    else p.bar.setAttribute('aria-valuenow', String(Math.round(v.fraction * 100)));
    p.fill.style.width = `${Math.round((v.fraction ?? 0) * 100)}%`;
    p.bar.classList.toggle('indeterminate', v.fraction === undefined);
    if (p.phase !== m.phase) this.footer(p, m);
    p.phase = m.phase;
  }

  private make(m: MigrationProgress): Panel {
    const fill = h('div', { className: 'fill' });
    const bar = h(
      'div',
      {
        className: 'bar',
        role: 'progressbar',
        'aria-valuemin': 0,
        'aria-valuemax': 100,
        'aria-label': `Moving ${m.name}`,
      },
      fill,
    );
    const headline = h('p', { className: 'headline' });
    const rows = h('dl', { className: 'figures' });
    const footer = h('div', { className: 'buttons' });
    const title = h('h3', {});
    const close = iconButton('close', 'Dismiss', () => {
      this.remove(m.uuid, p);
      this.refocus();
    });
    const el = h(
      'section',
      { className: 'move-panel', 'data-uuid': m.uuid, 'aria-label': `Move of ${m.name}` },
      h('header', {}, title, close),
      headline,
      bar,
      rows,
      footer,
    );
    const p: Panel = { el, title, close, bar, fill, headline, rows, footer, phase: undefined };
    this.panels.set(m.uuid, p);
    this.element.append(el);
    return p;
  }

  /** The panel's buttons and closing words for the phase it reached. */
  private footer(p: Panel, m: MigrationProgress): void {
    p.el.querySelector('.outcome')?.remove();
    const dismiss = (): void => this.remove(m.uuid, p);
    if (m.phase === 'preparing' || m.phase === 'copying' || m.phase === 'post-copy') {
      const stop = h('button', { type: 'button', className: 'danger-text' }, 'Cancel');
      stop.addEventListener('click', () => {
        stop.disabled = true;
        this.cancel(m);
        this.refocus();
      });
      // Post-copy cannot go back: the guest already runs on the target.
      stop.disabled = m.phase === 'post-copy';
      p.footer.replaceChildren(stop);
      return;
    }
    const words =
      m.phase === 'done'
        ? `${m.name} is now on ${hostLabel(m.target)}.`
        : m.phase === 'cancelled'
          ? `The move was cancelled; ${m.name} stays on ${hostLabel(m.host)}.`
          : (m.error ?? `The move stopped; ${m.name} stays on ${hostLabel(m.host)}.`);
    const attrs =
      m.phase === 'failed'
        ? { className: 'outcome error-text', role: 'alert', 'data-testid': 'error' }
        : { className: 'outcome' };
    p.headline.after(h('p', attrs, words));
    p.footer.replaceChildren();
    if (m.phase === 'done') window.setTimeout(() => this.panels.get(m.uuid) === p && dismiss(), DONE_TTL_MS);
  }

  private remove(uuid: string, p: Panel): void {
    p.el.remove();
    if (this.panels.get(uuid) === p) this.panels.delete(uuid);
  }

  /** Whether a panel already says this move's failure (so it needs no second message). */
  shows(uuid: string, message: string): boolean {
    return this.panels.get(uuid)?.el.querySelector('.outcome')?.textContent === message;
  }
}
