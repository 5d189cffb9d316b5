import { ChartFrame } from './chart-frame.js';
import { escapeXml } from './escape-xml.js';

/** One request on the timeline (seconds from the run's start). */
export interface TimelineRow {
  scheduled: number;
  sent: number;
  firstToken: number | null;
  end: number;
  outcome: 'ok' | 'rejected' | 'failed';
}

const COLORS = { queued: '#bbbbbb', waiting: '#e69f00', decoding: '#0072b2', failed: '#d62728' };

/**
 * A request timeline: one row per request in send order; grey from its scheduled arrival to its
 * send (held back by --max-concurrency), orange from send to first token, blue from first token
 * to the end. Rejected requests are red dots, failed ones red bars.
 */
export function svgTimeline(title: string, rows: readonly TimelineRow[]): string {
  const sorted = [...rows].sort((a, b) => a.sent - b.sent);
  const end = Math.max(0, ...sorted.map((r) => r.end));
  const frame = new ChartFrame({
    title,
    xLabel: 'time since start (s)',
    yLabel: 'request (by send time)',
    xRange: [0, end],
    yRange: [0, Math.max(1, sorted.length)],
    height: Math.min(900, Math.max(300, 120 + sorted.length * 3)),
  });
  const barH = Math.max(1, Math.min(8, (frame.bottom - frame.top) / Math.max(1, sorted.length) - 0.5));
  const parts = [frame.open()];
  sorted.forEach((r, i) => {
    parts.push(rowSvg(frame, r, frame.y(i + 0.5), barH));
  });
  const names: Array<[string, string]> = [
    ['queued at client', COLORS.queued],
    ['to first token', COLORS.waiting],
    ['decoding', COLORS.decoding],
    ['rejected / failed', COLORS.failed],
  ];
  names.forEach(([name, color], i) => {
    parts.push(frame.legend(i, name, color));
  });
  parts.push('</svg>');
  return parts.join('\n');
}

function rowSvg(frame: ChartFrame, r: TimelineRow, cy: number, h: number): string {
  const bar = (cls: keyof typeof COLORS, a: number, b: number) => {
    const x = frame.x(a);
    const w = Math.max(0.8, frame.x(b) - x);
    return `<rect class="${cls}" x="${x.toFixed(2)}" y="${(cy - h / 2).toFixed(2)}" width="${w.toFixed(2)}" height="${h.toFixed(2)}" fill="${COLORS[cls]}"/>`;
  };
  if (r.outcome === 'rejected') {
    return `<circle class="rejected" cx="${frame.x(r.sent).toFixed(2)}" cy="${cy.toFixed(2)}" r="${Math.max(1.5, h / 2)}" fill="${COLORS.failed}"><title>${escapeXml('rejected (429)')}</title></circle>`;
  }
  const parts: string[] = [];
  if (r.sent > r.scheduled) parts.push(bar('queued', r.scheduled, r.sent));
  if (r.outcome === 'failed') {
    parts.push(bar('failed', r.sent, r.end));
  } else if (r.firstToken !== null) {
    parts.push(bar('waiting', r.sent, r.firstToken), bar('decoding', r.firstToken, r.end));
  }
  return parts.join('');
}
