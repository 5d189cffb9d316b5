/**
 * Cuts a stream of text chunks into whole lines (without the newline) and hands each to `onLine`;
 * a last line without a newline is handed over by flush(). Used for children's stdout/stderr.
 */
export class LineSplitter {
  #rest = '';

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: string): void {
    const text = this.#rest + chunk;
    const lines = text.split('\n');
    this.#rest = lines.pop() ?? '';
    for (const line of lines) this.onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
  }

  flush(): void {
    if (this.#rest !== '') this.onLine(this.#rest);
    this.#rest = '';
  }
}
