import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { Counter, Histogram } from 'prom-client';
import { epochNowMs } from './epoch-clock.js';
import { BUCKETS } from './metric-buckets.js';
import type { ServiceTelemetry } from './service-telemetry.js';
import { ATTR, SPAN } from './span-attributes.js';
import { contextFromHeaders } from './trace-headers.js';

/** An outbound transfer as it starts at the sending agent. */
export interface KvTransferStart {
  transferId: string;
  requestId: string;
  /** The transport's kind ('nats', 'ucx', 'in-memory'). */
  transport: string;
  /** Bytes of one KV block in the source pool. */
  blockBytes: number;
}

/** How it ended: blocks and bytes handed to the transport (resends included) and retries. */
export interface KvTransferResult {
  outcome: 'sent' | 'failed';
  blocks: number;
  bytes: number;
  /** Chunk retries plus rounds of blocks sent again after a bad commit. */
  retries: number;
  /** The path that moved it, where the transport fell back (e.g. 'nats' under 'ucx'); default: the start's. */
  transport?: string;
  error?: Error;
}

/** One transfer being observed. */
export interface KvTransferObservation {
  ended(result: KvTransferResult): void;
}

type Transport = 'transport';

/**
 * The sending kv-connector agent's view of transfers: one `kv.transfer` span per transfer (child
 * of the prefill span, from the engine's `stage` headers) with transport, blocks, bytes, block
 * size, retries and outcome; and pdserve:kv_transfer_* counters and a duration histogram by
 * transport. The agent (KvAgent's `observer`) calls started() on a transfer's first stage and
 * ended() once it was committed or failed.
 */
export class KvTransferTelemetry {
  readonly #telemetry: ServiceTelemetry;
  readonly #bytes: Counter<Transport>;
  readonly #blocks: Counter<Transport>;
  readonly #retries: Counter<Transport>;
  readonly #failures: Counter<Transport>;
  readonly #transfers: Counter<Transport | 'outcome'>;
  readonly #duration: Histogram<Transport>;

  constructor(telemetry: ServiceTelemetry) {
    this.#telemetry = telemetry;
    const registers = [telemetry.registry];
    const counter = <L extends string>(name: string, help: string, labelNames: L[]) =>
      new Counter<L>({ name, help, labelNames, registers });
    this.#bytes = counter('pdserve:kv_transfer_bytes_total', 'KV bytes sent (resends included).', [
      'transport',
    ]);
    this.#blocks = counter('pdserve:kv_transfer_blocks_total', 'KV blocks sent (resends included).', [
      'transport',
    ]);
    this.#retries = counter('pdserve:kv_transfer_retries_total', 'Chunk retries and block resend rounds.', [
      'transport',
    ]);
    this.#failures = counter('pdserve:kv_transfer_failures_total', 'Transfers that failed.', ['transport']);
    this.#transfers = counter('pdserve:kv_transfers_total', 'Transfers that ended, by outcome.', [
      'transport',
      'outcome',
    ]);
    this.#duration = new Histogram({
      name: 'pdserve:kv_transfer_duration_seconds',
      help: 'From the first staged blocks to the commit (or failure).',
      labelNames: ['transport'],
      buckets: [...BUCKETS.short],
      registers,
    });
  }

  /** A transfer starts (`headers`: the stage message's, carrying the prefill span's context). */
  started(info: KvTransferStart, headers: Record<string, string>): KvTransferObservation {
    const startMs = epochNowMs();
    const span = this.#telemetry.tracer.startSpan(
      SPAN.kvTransfer,
      {
        kind: SpanKind.PRODUCER,
        startTime: startMs,
        attributes: {
          [ATTR.requestId]: info.requestId,
          [ATTR.kvTransferId]: info.transferId,
          [ATTR.kvTransport]: info.transport,
          [ATTR.kvBlockBytes]: info.blockBytes,
          [ATTR.instanceId]: this.#telemetry.instanceId,
        },
      },
      contextFromHeaders(headers),
    );
    let ended = false;
    return {
      ended: (result) => {
        if (ended) return;
        ended = true;
        const endMs = epochNowMs();
        const labels = { transport: result.transport ?? info.transport }; // the path that moved it
        this.#bytes.inc(labels, result.bytes);
        this.#blocks.inc(labels, result.blocks);
        this.#retries.inc(labels, result.retries);
        this.#transfers.inc({ ...labels, outcome: result.outcome });
        if (result.outcome === 'failed') this.#failures.inc(labels);
        this.#duration.observe(labels, (endMs - startMs) / 1000);
        span.setAttributes({
          [ATTR.kvBytes]: result.bytes,
          [ATTR.kvBlocks]: result.blocks,
          [ATTR.kvRetries]: result.retries,
          [ATTR.kvOutcome]: result.outcome,
          [ATTR.kvTransport]: labels.transport,
        });
        if (result.error !== undefined) {
          span.recordException(result.error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: result.error.message });
        }
        span.end(endMs);
      },
    };
  }
}
