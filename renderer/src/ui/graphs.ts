/** A small live graph: the last minute of a value, drawn on a canvas, with its current figure. */
import { h } from './dom.js';

export class Sparkline {
  readonly element: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly value = h('span', { className: 'spark-value' });
  private color: string | undefined;

  constructor(label: string, width = 56, height = 22) {
    this.canvas = h('canvas', { width, height, 'aria-hidden': 'true' });
    this.element = h(
      'div',
      { className: 'spark', title: label },
      h('span', { className: 'spark-label' }, label),
      this.canvas,
      this.value,
    );
  }

  draw(values: readonly number[], max: number, text: string): void {
    this.value.textContent = text;
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    const { width: w, height: hgt } = this.canvas;
    ctx.clearRect(0, 0, w, hgt);
    if (values.length < 2) return;
    // Read once per theme: getComputedStyle forces a style pass.
    this.color ??= getComputedStyle(this.element).getPropertyValue('--accent').trim() || '#4c8dff';
    const color = this.color;
    const step = w / (values.length - 1);
    ctx.beginPath();
    values.forEach((v, i) => {
      const y = hgt - 1 - (Math.min(max, Math.max(0, v)) / max) * (hgt - 2);
      if (i === 0) ctx.moveTo(0, y);
      else ctx.lineTo(i * step, y);
    });
    ctx.strokeStyle = color;
    ctx.lineWidth = 1.5;
    ctx.stroke();
    ctx.lineTo(w, hgt);
    ctx.lineTo(0, hgt);
    ctx.closePath();
    ctx.globalAlpha = 0.15;
    ctx.fillStyle = color;
    ctx.fill();
    ctx.globalAlpha = 1;
  }
}
