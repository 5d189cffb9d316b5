import { ServiceError } from '@pdserve/protocol';

/**
 * Reads a request body as JSON, enforcing `limit` bytes while it streams in (a declared
 * Content-Length over the limit is refused before reading). The bytes are decoded with a fatal
 * UTF-8 decoder, so invalid UTF-8 is a 400 rather than silently replaced characters.
 */
export async function readJsonBody(req: Request, limit: number): Promise<unknown> {
  const declared = Number(req.headers.get('content-length') ?? Number.NaN);
  if (declared > limit) throw tooLarge(limit);
  const bytes = await readBytes(req, limit);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (cause) {
    throw new ServiceError('invalid_request', 'the request body is not valid UTF-8', { cause });
  }
  if (text.trim() === '') throw new ServiceError('invalid_request', 'the request body is empty');
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new ServiceError('invalid_request', `malformed JSON body: ${(cause as Error).message}`, { cause });
  }
}

async function readBytes(req: Request, limit: number): Promise<Uint8Array> {
  if (req.body === null) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

function tooLarge(limit: number): ServiceError {
  return new ServiceError('payload_too_large', `the request body is larger than ${limit} bytes`);
}
