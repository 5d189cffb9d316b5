/**
 * Splits a text/event-stream body into the `data` payloads of its events, fed with text as it
 * arrives (events may be cut anywhere across network chunks). Lines other than `data:` (comments,
 * `event:`, `id:`) are ignored; several `data:` lines of one event are joined with newlines.
 */
export class SseParser {
  private buffer = '';
  private data: string[] = [];

  /** Feeds text; returns the payloads of the events it completed. */
  push(text: string): string[] {
    this.buffer += text;
    const out: string[] = [];
    for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
      const line = this.buffer.slice(0, nl).replace(/\r$/, '');
      this.buffer = this.buffer.slice(nl + 1);
      this.line(line, out);
    }
    return out;
  }

  /** Ends the stream: returns the payload of an event the body did not terminate, if any. */
  end(): string[] {
    const out: string[] = [];
    if (this.buffer !== '') this.line(this.buffer.replace(/\r$/, ''), out);
    this.buffer = '';
    this.line('', out);
    return out;
  }

  private line(line: string, out: string[]): void {
    if (line === '') {
      if (this.data.length > 0) out.push(this.data.join('\n'));
      this.data = [];
    } else if (line.startsWith('data:')) {
      this.data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
    }
  }
}
