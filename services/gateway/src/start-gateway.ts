import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createGatewayApp } from './create-gateway-app.js';
import type { GatewayOptions } from './gateway-options.js';

/** Where startGateway listens, plus the app options. */
export interface StartGatewayOptions extends GatewayOptions {
  /** 0 picks a free port. */
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
}

/** A listening gateway. */
export interface RunningGateway {
  port: number;
  host: string;
  /** Base URL, e.g. http://127.0.0.1:8000 */
  url: string;
  /** Stops accepting, closes open connections (aborting their requests) and resolves once closed. */
  close(): Promise<void>;
}

/** Serves createGatewayApp(options) over HTTP with @hono/node-server; resolves once listening. */
export async function startGateway(options: StartGatewayOptions): Promise<RunningGateway> {
  const app = createGatewayApp(options);
  const host = options.host ?? '127.0.0.1';
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port, hostname: host }, () => resolve(s));
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    port,
    host,
    url: `http://${urlHost}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  };
}
