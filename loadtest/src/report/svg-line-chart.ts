import { ChartFrame } from './chart-frame.js';
import { escapeXml } from './escape-xml.js';
import { seriesColor } from './palette.js';

/** One line of a chart. */
export interface LineSeries {
  name: string;
  points: ReadonlyArray<readonly [number, number]>;
}

/** A line chart: titles, series, and optional horizontal reference lines (e.g. an SLO target). */
export interface LineChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly LineSeries[];
  /** Draw as steps (for CDFs) rather than straight segments. */
  step?: boolean;
  /** Mark each point with a circle (for sparse data such as a rate sweep). */
  markers?: boolean;
  /** Horizontal dashed lines at these y values, labelled. */
  references?: ReadonlyArray<{ y: number; label: string }>;
  /** Vertical dashed lines at these x values, labelled (e.g. a latency target on a CDF). */
  xReferences?: ReadonlyArray<{ x: number; label: string }>;
  /** Fixed y range (e.g. [0, 1] for a CDF); otherwise from the data, starting at 0. */
  yRange?: [number, number];
}

/**
 * An inline SVG line chart (axes, grid, legend) drawn by our own code: no library, no network.
 * Empty series draw an empty frame with a note.
 */
export function svgLineChart(spec: LineChartSpec): string {
  const all = spec.series.flatMap((s) => s.points);
  const refs = spec.references ?? [];
  const xRefs = spec.xReferences ?? [];
  const xs = [...all.map((p) => p[0]), ...xRefs.map((r) => r.x)];
  const ys = [...all.map((p) => p[1]), ...refs.map((r) => r.y)];
  const frame = new ChartFrame({
    title: spec.title,
    xLabel: spec.xLabel,
    yLabel: spec.yLabel,
    xRange: xs.length ? [Math.min(0, ...xs), Math.max(...xs)] : [0, 1],
    yRange: spec.yRange ?? (ys.length ? [Math.min(0, ...ys), Math.max(...ys)] : [0, 1]),
  });
  const parts = [frame.open()];
  spec.series.forEach((s, i) => {
    parts.push(seriesSvg(frame, s, i, spec), frame.legend(i, s.name, seriesColor(i)));
  });
  for (const r of refs) {
    const y = frame.y(r.y).toFixed(1);
    parts.push(
      `<line class="reference" x1="${frame.left}" y1="${y}" x2="${frame.right}" y2="${y}"/>`,
      `<text class="reference-label" x="${frame.right - 4}" y="${Number(y) - 4}" text-anchor="end">${escapeXml(r.label)}</text>`,
    );
  }
  for (const r of xRefs) {
    const x = frame.x(r.x);
    // Label on the side of the line with more room, so it never runs into the legend.
    const right = x < (frame.left + frame.right) / 2;
    parts.push(
      `<line class="reference" x1="${x.toFixed(1)}" y1="${frame.top}" x2="${x.toFixed(1)}" y2="${frame.bottom}"/>`,
      `<text class="reference-label" x="${(right ? x + 4 : x - 4).toFixed(1)}" y="${frame.top + 12}" text-anchor="${right ? 'start' : 'end'}">${escapeXml(r.label)}</text>`,
    );
  }
  if (all.length === 0) {
    parts.push(
      `<text class="note" x="${frame.width / 2}" y="${frame.height / 2}" text-anchor="middle">no data</text>`,
    );
  }
  parts.push('</svg>');
  return parts.join('\n');
}

function seriesSvg(frame: ChartFrame, s: LineSeries, i: number, spec: LineChartSpec): string {
  const color = seriesColor(i);
  const pts: string[] = [];
  let prevY: number | null = null;
  for (const [x, y] of s.points) {
    const px = frame.x(x).toFixed(1);
    if (spec.step && prevY !== null) pts.push(`${px},${prevY.toFixed(1)}`);
    prevY = frame.y(y);
    pts.push(`${px},${prevY.toFixed(1)}`);
  }
  const line = `<polyline class="series" data-series="${escapeXml(s.name)}" fill="none" stroke="${color}" stroke-width="2" points="${pts.join(' ')}"/>`;
  if (!spec.markers) return line;
  const dots = s.points.map(
    ([x, y]) =>
      `<circle class="marker" cx="${frame.x(x).toFixed(1)}" cy="${frame.y(y).toFixed(1)}" r="3.5" fill="${color}"/>`,
  );
  return [line, ...dots].join('\n');
}
