import type { RuntimeLogger } from './runtime-logger.js';

/** A RuntimeLogger that keeps warnings and errors for assertions (tests only). */
export class TestLogger implements RuntimeLogger {
  readonly lines: string[] = [];
  debug(): void {}
  info(): void {}
  warn(_fields: object, message: string): void {
    this.lines.push(message);
  }
  error(_fields: object, message: string): void {
    this.lines.push(message);
  }
}
