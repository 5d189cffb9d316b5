import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One span as an OTLP/HTTP JSON export carries it, flattened with its resource's service. */
export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  startMs: number;
  endMs: number;
  attributes: Record<string, string | number | boolean>;
  events: string[];
}

type OtlpValue = {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
};
type OtlpAttribute = { key: string; value: OtlpValue };
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startTimeUnixNano: string | number;
  endTimeUnixNano: string | number;
  attributes?: OtlpAttribute[];
  events?: { name: string }[];
}
interface OtlpExport {
  resourceSpans?: { resource?: { attributes?: OtlpAttribute[] }; scopeSpans?: { spans?: OtlpSpan[] }[] }[];
}

function plainValue(v: OtlpValue): string | number | boolean {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  return v.boolValue ?? '';
}

function attributesOf(list: OtlpAttribute[] | undefined): Record<string, string | number | boolean> {
  return Object.fromEntries((list ?? []).map((a) => [a.key, plainValue(a.value)]));
}

const ms = (nanos: string | number) => Number(BigInt(nanos) / 1000n) / 1000;

/**
 * A stand-in OpenTelemetry collector on loopback for tests: accepts OTLP/HTTP JSON exports on
 * POST /v1/traces (what @opentelemetry/exporter-trace-otlp-http sends) and keeps the spans.
 */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<OtlpReceiver> {
    let receiver: OtlpReceiver | null = null;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.method === 'POST' && req.url === '/v1/traces') {
          receiver?.add(JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpExport);
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        } else res.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    receiver = new OtlpReceiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return receiver;
  }

  /** The spans of one trace. */
  trace(traceId: string): ReceivedSpan[] {
    return this.spans.filter((s) => s.traceId === traceId);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private add(body: OtlpExport): void {
    for (const rs of body.resourceSpans ?? []) {
      const service = String(attributesOf(rs.resource?.attributes)['service.name'] ?? '');
      for (const ss of rs.scopeSpans ?? [])
        for (const s of ss.spans ?? [])
          this.spans.push({
            service,
            traceId: s.traceId,
            spanId: s.spanId,
            parentSpanId: s.parentSpanId ?? '',
            name: s.name,
            startMs: ms(s.startTimeUnixNano),
            endMs: ms(s.endTimeUnixNano),
            attributes: attributesOf(s.attributes),
            events: (s.events ?? []).map((e) => e.name),
          });
    }
  }
}

/** A trace as an indented text tree (children by start time), with each span's service and duration. */
export function renderTraceTree(spans: readonly ReceivedSpan[], keys: readonly string[] = []): string {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = (parent: string) =>
    spans
      .filter((s) => (parent === '' ? !ids.has(s.parentSpanId) : s.parentSpanId === parent))
      .sort((a, b) => a.startMs - b.startMs);
  const t0 = Math.min(...spans.map((s) => s.startMs));
  const lines: string[] = [];
  const visit = (s: ReceivedSpan, depth: number) => {
    const attrs = keys
      .filter((k) => k in s.attributes)
      .map((k) => `${k.replace(/^pdserve\./, '')}=${s.attributes[k]}`);
    const events = s.events.length > 0 ? ` events=[${s.events.join(',')}]` : '';
    const timing = `+${(s.startMs - t0).toFixed(1)}ms ${(s.endMs - s.startMs).toFixed(1)}ms`;
    lines.push(
      `${'  '.repeat(depth)}${s.name} [${s.service}] ${timing}${attrs.length > 0 ? ` ${attrs.join(' ')}` : ''}${events}`,
    );
    for (const c of children(s.spanId)) visit(c, depth + 1);
  };
  for (const root of children('')) visit(root, 0);
  return lines.join('\n');
}
