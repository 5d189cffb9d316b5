import type { RequestOutput } from '@pdserve/engine';
import { epochNowMs, SPAN } from '@pdserve/telemetry';
import type { GatewayTelemetry } from './gateway-telemetry.js';
import { RequestRecord } from './request-record.js';
import type { GenerateRequest, ServedModel, ServingBackend } from './serving-backend.js';
import { toServiceError } from './to-service-error.js';

/**
 * A ServingBackend that measures what passes through it: each prompt's TTFT, inter-token gaps,
 * TPOT, end-to-end latency, tokens and finish reasons (RequestMetrics, vLLM's names), its SLO
 * outcome, and the request's record (root span attributes, the log line). The first prompt to
 * arrive closes the request's `gateway.parse` span (body, validation, template, tokenization).
 */
export class InstrumentedBackend implements ServingBackend {
  constructor(
    private readonly inner: ServingBackend,
    private readonly telemetry: GatewayTelemetry,
  ) {}

  models(): ServedModel[] {
    return this.inner.models();
  }

  health(): Promise<{ ok: boolean; detail?: unknown }> {
    return this.inner.health();
  }

  async *generate(req: GenerateRequest, signal: AbortSignal): AsyncGenerator<RequestOutput> {
    const record = RequestRecord.current();
    if (record !== undefined) this.#prepared(record);
    if (this.telemetry.service.logPrompts) this.#logPrompt(req, record);
    const timer = this.telemetry.requests.start(req.model, req.slo);
    const promptTokens = req.promptTokenIds.length;
    const reasons: string[] = [];
    let ended = false;
    try {
      for await (const output of this.inner.generate(req, signal)) {
        const tokens = output.outputs.reduce((n, o) => n + o.tokenIds.length, 0);
        timer.tokens(tokens, promptTokens);
        for (const o of output.outputs) if (o.finishReason !== null) reasons.push(o.finishReason);
        if (output.finished) {
          ended = true;
          timer.finished(reasons);
        }
        yield output;
      }
    } catch (error) {
      ended = true;
      const code = toServiceError(error).code;
      timer.failed(code);
      if (record !== undefined) record.errorCode = code;
      throw error;
    } finally {
      // Left before the end: the client went away.
      if (!ended) timer.failed('aborted');
      record?.add(promptTokens, timer.numTokens, timer.ttftS, reasons);
    }
  }

  /** Only with --log-prompts: the prompt's text in the log (never otherwise). */
  #logPrompt(req: GenerateRequest, record: RequestRecord | undefined): void {
    const model = this.inner.models().find((m) => m.name === req.model);
    const prompt = model?.tokenizer.decode(req.promptTokenIds) ?? '';
    this.telemetry.service.logger.info({ requestId: record?.requestId ?? req.requestId, prompt }, 'prompt');
  }

  #prepared(record: RequestRecord): void {
    if (record.preparedAtMs !== null) return;
    record.preparedAtMs = epochNowMs();
    this.telemetry.service.tracer
      .startSpan(SPAN.gatewayParse, { startTime: record.startMs }, record.context())
      .end(record.preparedAtMs);
  }
}
