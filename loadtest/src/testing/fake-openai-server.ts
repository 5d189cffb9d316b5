import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** How the fake server answers one request. */
export type FakeReply =
  | {
      kind: 'stream';
      /** First chunk this many ms after the request arrived. */
      firstTokenMs: number;
      /** Then one chunk every intervalMs. */
      intervalMs: number;
      /** Output tokens in all. */
      tokens: number;
      /** Tokens per chunk (default 1; the last chunk may carry fewer). */
      tokensPerChunk?: number;
      /** Write each token of a chunk as its own SSE event (all in one write). */
      eventPerToken?: boolean;
      /** Usage: a final usage event (default), usage in every chunk, or none. */
      usage?: 'final' | 'continuous' | 'none';
    }
  | { kind: 'reject'; retryAfterS: number }
  | { kind: 'error'; status: number; message: string };

/** What the script sees of a request: its arrival order (from 0), path and JSON body. */
export interface FakeRequest {
  index: number;
  /** performance.now() when the request was read, and when each chunk was written. */
  arrivedAt: number;
  chunkAt: number[];
  path: string;
  body: Record<string, unknown>;
  headers: IncomingMessage['headers'];
}

/**
 * TEST DOUBLE: a small OpenAI-compatible server on a free loopback port whose answers follow a
 * script with fixed delays, so a test knows the TTFT, TPOT and ITL the load tester must measure.
 * Chunks are sent at absolute offsets from the request's arrival (timer noise does not add up).
 * POST /tokenize answers {count: words * tokenizeTokensPerWord}.
 */
export class FakeOpenAiServer {
  /** Every generation request, in arrival order. */
  readonly received: FakeRequest[] = [];
  /** Requests whose client went away before the stream ended. */
  clientAborts = 0;
  maxInFlight = 0;
  private inFlight = 0;

  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
  ) {}

  /** Starts on 127.0.0.1 with an OS-chosen port. */
  static async start(
    script: (r: FakeRequest) => FakeReply,
    tokenizeTokensPerWord = 2,
  ): Promise<FakeOpenAiServer> {
    let self: FakeOpenAiServer | null = null;
    const server = createServer((req, res) => {
      void self?.handle(req, res, script, tokenizeTokensPerWord);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    self = new FakeOpenAiServer(server, `http://127.0.0.1:${port}`);
    return self;
  }

  /** Stops listening and drops open connections. */
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(
    req: IncomingMessage,
    res: ServerResponse,
    script: (r: FakeRequest) => FakeReply,
    tokensPerWord: number,
  ): Promise<void> {
    const arrived = performance.now();
    const body = JSON.parse(await readBody(req)) as Record<string, unknown>;
    const path = req.url ?? '/';
    if (path === '/tokenize') {
      const words = String(body.prompt ?? '').split(' ').length;
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ count: words * tokensPerWord }));
      return;
    }
    const fr: FakeRequest = {
      index: this.received.length,
      arrivedAt: arrived,
      chunkAt: [],
      path,
      body,
      headers: req.headers,
    };
    this.received.push(fr);
    const reply = script(fr);
    if (reply.kind === 'reject') {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(reply.retryAfterS) });
      res.end(JSON.stringify({ error: { message: 'overloaded', type: 'overloaded', code: 429 } }));
    } else if (reply.kind === 'error') {
      res.writeHead(reply.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: reply.message, code: reply.status } }));
    } else {
      this.inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      await this.stream(res, reply, path.endsWith('/chat/completions'), fr).finally(() => this.inFlight--);
    }
  }

  private async stream(
    res: ServerResponse,
    r: Extract<FakeReply, { kind: 'stream' }>,
    chat: boolean,
    fr: FakeRequest,
  ): Promise<void> {
    if (res.destroyed) {
      this.clientAborts++;
      return;
    }
    let closed = false;
    res.on('close', () => {
      if (!res.writableFinished) {
        closed = true;
        this.clientAborts++;
      }
    });
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const per = r.tokensPerChunk ?? 1;
    const usage = r.usage ?? 'final';
    const sseChunk = (n: number, upTo: number) => {
      const text = ' tok'.repeat(n);
      const choice = chat ? { index: 0, delta: { content: text } } : { index: 0, text };
      const u = usage === 'continuous' ? { usage: { prompt_tokens: 7, completion_tokens: upTo } } : {};
      return `data: ${JSON.stringify({ object: 'chunk', choices: [choice], ...u })}\n\n`;
    };
    for (let j = 0, sent = 0; sent < r.tokens; j++) {
      const wait = fr.arrivedAt + r.firstTokenMs + j * r.intervalMs - performance.now();
      if (wait > 0) await sleep(wait);
      if (closed) return;
      const k = Math.min(per, r.tokens - sent);
      sent += k;
      fr.chunkAt.push(performance.now());
      const events = r.eventPerToken ? new Array(k).fill(1) : [k];
      res.write(
        events
          .map((n, e) => sseChunk(n, sent - k + events.slice(0, e + 1).reduce((a, b) => a + b, 0)))
          .join(''),
      );
    }
    if (usage !== 'none') {
      res.write(
        `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 7, completion_tokens: r.tokens } })}\n\n`,
      );
    }
    res.end('data: [DONE]\n\n');
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of req) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString('utf8') || '{}';
}
