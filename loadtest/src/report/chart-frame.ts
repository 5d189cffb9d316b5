import { escapeXml } from './escape-xml.js';
import { niceTicks } from './nice-ticks.js';

/** Size and labels of a chart with x and y axes. */
export interface FrameSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Data ranges; ticks extend them to round values. */
  xRange: [number, number];
  yRange: [number, number];
  width?: number;
  height?: number;
}

/** A chart's plot area: maps data to pixels and holds the axes' SVG. */
export class ChartFrame {
  readonly width: number;
  readonly height: number;
  readonly left = 64;
  readonly right: number;
  readonly top = 34;
  readonly bottom: number;
  readonly xTicks: number[];
  readonly yTicks: number[];

  constructor(readonly spec: FrameSpec) {
    this.width = spec.width ?? 640;
    this.height = spec.height ?? 340;
    this.right = this.width - 180; // room for legend names of about 24 characters
    this.bottom = this.height - 48;
    this.xTicks = niceTicks(spec.xRange[0], spec.xRange[1]);
    this.yTicks = niceTicks(spec.yRange[0], spec.yRange[1]);
  }

  /** Pixel x of a data x. */
  x(v: number): number {
    const [a, b] = [this.xTicks[0], this.xTicks[this.xTicks.length - 1]];
    return this.left + ((v - a) / (b - a)) * (this.right - this.left);
  }

  /** Pixel y of a data y. */
  y(v: number): number {
    const [a, b] = [this.yTicks[0], this.yTicks[this.yTicks.length - 1]];
    return this.bottom - ((v - a) / (b - a)) * (this.bottom - this.top);
  }

  /** Opens the <svg> with title, grid, ticks and axis labels; close with `</svg>`. */
  open(): string {
    const { width: w, height: h, spec } = this;
    const parts = [
      `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">`,
      `<title>${escapeXml(spec.title)}</title>`, // what a screen reader or image viewer names it
      `<text class="title" x="${w / 2}" y="20" text-anchor="middle">${escapeXml(spec.title)}</text>`,
    ];
    for (const t of this.xTicks) {
      const px = this.x(t).toFixed(1);
      parts.push(`<line class="grid" x1="${px}" y1="${this.top}" x2="${px}" y2="${this.bottom}"/>`);
      parts.push(
        `<text class="tick" x="${px}" y="${this.bottom + 16}" text-anchor="middle">${fmt(t)}</text>`,
      );
    }
    for (const t of this.yTicks) {
      const py = this.y(t).toFixed(1);
      parts.push(`<line class="grid" x1="${this.left}" y1="${py}" x2="${this.right}" y2="${py}"/>`);
      parts.push(
        `<text class="tick" x="${this.left - 6}" y="${py}" text-anchor="end" dy="4">${fmt(t)}</text>`,
      );
    }
    parts.push(
      `<rect class="axes" x="${this.left}" y="${this.top}" width="${this.right - this.left}" height="${this.bottom - this.top}"/>`,
      `<text class="label" x="${(this.left + this.right) / 2}" y="${h - 10}" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`,
      `<text class="label" transform="translate(16 ${(this.top + this.bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(spec.yLabel)}</text>`,
    );
    return parts.join('\n');
  }

  /** A legend entry at position i, right of the plot. */
  legend(i: number, name: string, color: string): string {
    const y = this.top + 8 + i * 18;
    return (
      `<line x1="${this.right + 10}" y1="${y}" x2="${this.right + 28}" y2="${y}" stroke="${color}" stroke-width="3"/>` +
      `<text class="legend" x="${this.right + 32}" y="${y + 4}">${escapeXml(name)}</text>`
    );
  }
}

function fmt(v: number): string {
  return Math.abs(v) >= 1000 || v === Math.round(v)
    ? String(Math.round(v * 1000) / 1000)
    : String(Number(v.toPrecision(3)));
}
