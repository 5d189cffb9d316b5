import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { parsePrometheusText, sumSamples } from '@pdserve/telemetry';
import { ChildService } from '../serve/child-service.js';
import { NatsServerProcess } from '../serve/nats-server-process.js';
import { SERVICE_MAINS } from '../serve/service-paths.js';
import {
  instancesOf,
  MODEL_PATH,
  post,
  recentLogs,
  referenceEngine,
  stopOnExit,
  waitUntil,
} from './e2e-support.js';
import { createTwoHosts, type NetnsHost, netnsUnavailable, type TwoHosts } from './netns-hosts.js';

const skip = netnsUnavailable();
if (skip !== null) console.log(`# two-hosts test skipped: ${skip}`);

/**
 * Two hosts as network namespaces: A runs nats-server (bound to A's address), the router, the
 * prefill instance, its kv-connector agent and the gateway; B runs the decode instance and its
 * agent, and reaches NATS over the veth link, so prompt KV moves from A to B across it.
 * The test's client reaches the gateway over a second link into A. Namespaces are removed in every
 * case (after(), and at process exit).
 */
describe('two hosts: prefill and decode in separate network namespaces', { skip: skip ?? false }, () => {
  let hosts: TwoHosts;
  let nats: NatsServerProcess;
  const services: ChildService[] = [];
  const lines: string[] = [];
  let url = '';
  let agentMetricsUrl = '';

  const start = (
    host: NetnsHost,
    name: string,
    main: string,
    args: string[],
    readyWhen?: (l: string) => boolean,
    env: Record<string, string> = {},
  ) => {
    const child = new ChildService({
      name,
      command: host.exec[0],
      args: [...host.exec.slice(1), process.execPath, main, ...args],
      env: { ...process.env, ...env },
      log: (line) => lines.push(line),
      ...(readyWhen === undefined ? {} : { readyWhen }),
    });
    services.push(child);
    return child.ready;
  };

  before(async () => {
    stopOnExit(() => [...services, ...(nats ? [nats.service] : [])]);
    hosts = createTwoHosts();
    await hosts.linksUp();
    nats = await NatsServerProcess.start({
      host: hosts.a.address,
      wrap: hosts.a.exec,
      log: (l) => lines.push(l),
    });
    const agentReady = (l: string) => l.startsWith('{"ready":true');
    // The namespaces share one kernel, so UCX would take shared memory between them; separate
    // hosts could not, so the agents are limited to TCP, over the veth link.
    const agent = (id: string) => ['--nats.servers', nats.url, '--agent-id', id];
    const [agentA] = await Promise.all([
      start(
        hosts.a,
        'agent-a',
        SERVICE_MAINS.kvConnector,
        [...agent('agent-a'), '--metrics-port', '0', '--metrics-host', hosts.aFromRoot],
        agentReady,
        { UCX_TLS: 'tcp' },
      ),
      start(hosts.b, 'agent-b', SERVICE_MAINS.kvConnector, agent('agent-b'), agentReady, { UCX_TLS: 'tcp' }),
    ]);
    agentMetricsUrl = String(agentA.metricsUrl);
    const engine = [
      '--nats',
      nats.url,
      '--model',
      MODEL_PATH,
      '--engine.num-blocks',
      '64',
      '--discovery.heartbeat-ms',
      '200',
    ];
    await Promise.all([
      start(hosts.a, 'prefill', SERVICE_MAINS.prefill, [
        ...engine,
        '--instance-id',
        'prefill-on-a',
        '--kv-connector.agent-id',
        'agent-a',
      ]),
      start(hosts.b, 'decode', SERVICE_MAINS.decode, [
        ...engine,
        '--instance-id',
        'decode-on-b',
        '--kv-connector.agent-id',
        'agent-b',
      ]),
    ]);
    await start(hosts.a, 'router', SERVICE_MAINS.router, ['--nats', nats.url]);
    const gateway = await start(hosts.a, 'gateway', SERVICE_MAINS.gateway, [
      '--nats',
      nats.url,
      '--model',
      MODEL_PATH,
      '--host',
      hosts.aFromRoot,
      '--port',
      '0',
    ]);
    url = String(gateway.url);
  });

  after(async () => {
    for (const s of [...services].reverse()) await s.stop();
    await nats?.stop();
    hosts?.cleanup();
  });

  it('serves a request whose engine runs on the other host, and one whose KV crosses hosts', async () => {
    const instances = await instancesOf(url);
    assert.deepEqual(instances.map((i) => i.id).sort(), ['decode-on-b', 'prefill-on-a']);
    const ref = referenceEngine();
    try {
      const short = (
        (await (await post(url, '/tokenize', { prompt: 'Once upon a time' })).json()) as { tokens: number[] }
      ).tokens;
      // 300 tokens: over the router's threshold, so prefill runs on A and the KV moves to B.
      const long = [1, ...Array.from({ length: 299 }, (_, i) => ((i * 5) % 480) + 20)];
      for (const prompt of [short, long]) {
        const res = await post(url, '/v1/completions', { prompt, max_tokens: 16, temperature: 0 });
        assert.equal(
          res.status,
          200,
          `${await res.clone().text()}\n${lines.slice(-40).join('\n')}${recentLogs()}`,
        );
        const body = (await res.json()) as {
          choices: { text: string }[];
          usage: { completion_tokens: number };
        };
        const [want] = await ref.generate(prompt, { maxTokens: 16, temperature: 0 });
        assert.equal(body.choices[0].text, want.text);
        assert.equal(body.usage.completion_tokens, want.tokenIds.length);
      }
    } finally {
      ref.close();
    }
    const since = Date.now();
    await waitUntil(
      async () => {
        const p = (await instancesOf(url)).find((i) => i.id === 'prefill-on-a');
        return p !== undefined && p.timestampMs > since && p.prefillTokensPerS > 0;
      },
      10_000,
      'the prefill instance on A to report the long prompt',
    );
    // The long prompt's KV went from A to B over UCX (TCP), not the NATS fallback.
    const sent = parsePrometheusText(await (await fetch(agentMetricsUrl)).text());
    assert.ok(
      sumSamples(sent, 'pdserve:kv_transfer_bytes_total', { transport: 'ucx' }) > 0,
      `no bytes over UCX: ${lines.filter((l) => l.includes('UCX')).join('\n')}`,
    );
    assert.equal(sumSamples(sent, 'pdserve:kv_transfer_bytes_total', { transport: 'nats' }), 0);
  });

  it('runs each service in its host namespace and NATS on an address of host A', () => {
    assert.ok(nats.url.startsWith(`nats://${hosts.a.address}:`), nats.url);
    const where = Object.fromEntries(
      services.map((s) => {
        const r = spawnSync('ip', ['netns', 'identify', String(s.pid)], { encoding: 'utf8' });
        return [s.name, r.stdout.trim()];
      }),
    );
    assert.deepEqual(where, {
      'agent-a': hosts.a.name,
      'agent-b': hosts.b.name,
      prefill: hosts.a.name,
      decode: hosts.b.name,
      router: hosts.a.name,
      gateway: hosts.a.name,
    });
  });
});
