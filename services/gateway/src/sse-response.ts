/** How sseResponse reports the end of a stream. */
export interface SseOptions {
  headers: Record<string, string>;
  /** The client went away (the body was cancelled): abort the work behind the stream. */
  onCancel: () => void;
  /** The JSON sent as the last event when the source fails mid-stream. */
  errorEvent: (error: unknown) => unknown;
}

/**
 * A text/event-stream response of OpenAI's shape: one `data: {json}` event per item, then
 * `data: [DONE]`. Items are pulled only as the client reads (back-pressure). A failure after the
 * first byte can no longer change the status, so it is sent as an error event before [DONE].
 */
export function sseResponse(items: AsyncIterator<unknown>, options: SseOptions): Response {
  const encoder = new TextEncoder();
  const event = (data: string) => encoder.encode(`data: ${data}\n\n`);
  let closed = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const r = await items.next();
        if (closed) return;
        if (!r.done) {
          controller.enqueue(event(JSON.stringify(r.value)));
          return;
        }
      } catch (error) {
        if (closed) return;
        controller.enqueue(event(JSON.stringify(options.errorEvent(error))));
      }
      closed = true;
      controller.enqueue(event('[DONE]'));
      controller.close();
    },
    cancel() {
      closed = true;
      options.onCancel();
      void items.return?.().catch(() => {});
    },
  });
  return new Response(body, {
    status: 200,
    headers: {
      ...options.headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
    },
  });
}
