import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';

/**
 * POSTs over node:http(s) with one keep-alive agent per run (no socket limit: --max-concurrency
 * is the only bound). Used instead of fetch because fetch adds tens of milliseconds per request
 * under load on a small machine, which would show up as TTFT. `close` frees the sockets.
 */
export class HttpTransport {
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });

  /** Sends `body`; resolves with the response once its headers arrived. Rejects on abort/network error. */
  post(
    url: string,
    headers: Record<string, string>,
    body: string,
    signal?: AbortSignal,
  ): Promise<IncomingMessage> {
    const u = new URL(url);
    const secure = u.protocol === 'https:';
    return new Promise((resolve, reject) => {
      const req = (secure ? https : http).request(
        u,
        {
          method: 'POST',
          agent: secure ? this.httpsAgent : this.httpAgent,
          headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
          ...(signal ? { signal } : {}),
        },
        resolve,
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Destroys every socket of the run. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

/** Reads a whole (small) response body as text. */
export async function readText(res: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of res) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString('utf8');
}
