/** The prefix of the line a service prints on stdout once it serves (what `pdserve serve` waits for). */
export const READY_PREFIX = 'PDSERVE-READY ';

/**
 * Announces on stdout that the service is ready, with what a supervisor needs to know (e.g. the
 * gateway's URL, an instance's id): one line `PDSERVE-READY {"service":...}`. Called once by each
 * service main after it started serving.
 */
export function announceReady(service: string, details: Record<string, unknown> = {}): void {
  process.stdout.write(`${READY_PREFIX}${JSON.stringify({ service, ...details })}\n`);
}
