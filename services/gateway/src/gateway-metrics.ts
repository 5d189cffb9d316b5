/**
 * The gateway's own counters, shown by /metrics when the caller passes no metrics function:
 * requests by route and HTTP status. Incremented by the gateway's outermost middleware.
 */
export class GatewayMetrics {
  private readonly requests = new Map<string, number>();

  /** Counts one answered request. */
  countRequest(route: string, status: number): void {
    const key = `route="${route}",status="${status}"`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
  }

  /** Prometheus text exposition of the counters. */
  render(): string {
    const lines = [
      '# HELP pdserve_gateway_requests_total HTTP requests answered by the gateway.',
      '# TYPE pdserve_gateway_requests_total counter',
    ];
    for (const [labels, n] of [...this.requests].sort())
      lines.push(`pdserve_gateway_requests_total{${labels}} ${n}`);
    return `${lines.join('\n')}\n`;
  }
}
