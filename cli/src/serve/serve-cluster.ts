import { type ChildExit, ChildService, describeExit } from './child-service.js';
import { NatsServerProcess } from './nats-server-process.js';
import type { ServeConfig } from './serve-config.js';
import { REPO_ROOT, SERVICE_MAINS } from './service-paths.js';

/** A ServeConfig plus where the cluster's output goes and what its children see. */
export interface ServeClusterOptions extends ServeConfig {
  /** Gets every prefixed log line (default: stderr). */
  log?: (line: string) => void;
  /** Extra environment for every child (e.g. PDSERVE_DEBUG_STEP_DELAY_MS in tests). */
  env?: NodeJS.ProcessEnv;
}

/** A child that ended while the cluster was not stopping. */
export interface ServiceFailure {
  service: string;
  exit: ChildExit;
  logTail: string;
}

/** One engine instance to start. */
interface EngineSpec {
  name: string;
  main: string;
  role: 'prefill' | 'decode' | 'both';
}

/**
 * The processes behind `pdserve serve`, started in dependency order and each awaited by its ready
 * event: nats-server (JetStream, temp store, 8 MiB payloads), the host's kv-connector agent (when
 * N > 0: the engines attach their KV pools to it), the engine instances (N prefill,
 * M decode; role 'both' when N is 0), the router (which then already sees every instance), the
 * gateway (whose URL the cluster reports). `failure` resolves when any child dies on its own;
 * stop() ends them in reverse order. Children run in their own process groups, so Ctrl-C reaches
 * the supervisor only.
 */
export class ServeCluster {
  readonly nats: NatsServerProcess;
  /** Every service but NATS, in start order (engines, router, gateway). */
  readonly services: readonly ChildService[];
  /** The gateway's base URL, e.g. http://127.0.0.1:8000. */
  readonly url: string;
  /** Each service's Prometheus endpoint by name ('gateway', 'router', 'prefill-0', 'kv-agent', ...). */
  readonly metricsUrls = new Map<string, string>();
  readonly failure: Promise<ServiceFailure>;
  #stopping = false;

  private constructor(nats: NatsServerProcess, services: ChildService[], url: string) {
    this.nats = nats;
    this.services = services;
    this.url = url;
    const watched = [nats.service, ...services];
    this.failure = new Promise((resolve) => {
      for (const s of watched) {
        void s.exited.then((exit) => {
          if (!this.#stopping) resolve({ service: s.name, exit, logTail: s.logTail() });
        });
      }
    });
  }

  /** Starts everything; on any failure stops what started and rethrows (with the child's log tail). */
  static async start(options: ServeClusterOptions): Promise<ServeCluster> {
    const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
    const nats = await NatsServerProcess.start({
      host: options.natsHost,
      port: options.natsPort,
      log,
      verbose: options.verbose,
    });
    const started: ChildService[] = [];
    const metricsUrls = new Map<string, string>();
    const nextMetricsPort = metricsPorts(options.metricsPort);
    const spawn = (name: string, main: string, args: string[], readyWhen?: (line: string) => boolean) => {
      const metricsArgs = name === 'gateway' ? [] : ['--metrics-port', String(nextMetricsPort())];
      const child = spawnService(options, log, { name, main, args: [...args, ...metricsArgs], readyWhen });
      child.ready.then(
        (d) => typeof d.metricsUrl === 'string' && metricsUrls.set(name, d.metricsUrl),
        () => {},
      );
      started.push(child);
      return child;
    };
    try {
      // One kv-connector agent for this host, when there are prefill instances to hand KV over.
      const agentId = options.prefill > 0 ? `kv-agent-${process.pid}` : undefined;
      if (agentId !== undefined) {
        const agentArgs = ['--nats.servers', nats.url, '--agent-id', agentId];
        await spawn('kv-agent', SERVICE_MAINS.kvConnector, agentArgs, (l) => l.startsWith('{"ready":true'))
          .ready;
      }
      const engines = engineSpecs(options).map((e) =>
        spawn(e.name, e.main, engineArgs(options, e, nats.url, agentId)),
      );
      await Promise.all(engines.map((e) => e.ready));
      const routerArgs = [
        '--nats',
        nats.url,
        ...(options.policy === undefined ? [] : ['--policy', options.policy]),
      ];
      await spawn('router', SERVICE_MAINS.router, routerArgs).ready;
      const gateway = await spawn('gateway', SERVICE_MAINS.gateway, gatewayArgs(options, nats.url)).ready;
      metricsUrls.set('gateway', `${String(gateway.url)}/metrics`);
      const cluster = new ServeCluster(nats, started, String(gateway.url));
      for (const [name, url] of metricsUrls) cluster.metricsUrls.set(name, url);
      return cluster;
    } catch (error) {
      await Promise.all(started.map((s) => s.stop()));
      await nats.stop();
      throw error;
    }
  }

  /** Stops the gateway, the router, the engines, then NATS; resolves when all have exited. */
  async stop(): Promise<void> {
    this.#stopping = true;
    const byName = (prefix: string) => this.services.filter((s) => s.name.startsWith(prefix));
    const engines = [...byName('prefill'), ...byName('decode')];
    for (const group of [byName('gateway'), byName('router'), engines, byName('kv-agent')]) {
      await Promise.all(group.map((s) => s.stop()));
    }
    await this.nats.stop();
  }

  /** Kills every child at once (the supervisor itself is exiting). */
  killNow(): void {
    this.#stopping = true;
    for (const s of [...this.services, this.nats.service]) s.killNow();
  }

  /** One line for a failure: which service, how it ended. */
  static describe(failure: ServiceFailure): string {
    return `${failure.service} exited unexpectedly (${describeExit(failure.exit)})`;
  }
}

/** One service process of the cluster: this Node on its main, in the repository root. */
function spawnService(
  options: ServeClusterOptions,
  log: (line: string) => void,
  spec: { name: string; main: string; args: string[]; readyWhen?: ((line: string) => boolean) | undefined },
): ChildService {
  return new ChildService({
    name: spec.name,
    command: process.execPath,
    args: [spec.main, ...spec.args],
    env: childEnv(options),
    cwd: REPO_ROOT,
    log,
    show: (line) => options.verbose || !(line.startsWith('DEBUG') || line.startsWith('{"level":"debug"')),
    ...(spec.readyWhen === undefined ? {} : { readyWhen: spec.readyWhen }),
  });
}

/** The /metrics ports handed out in start order: `base`, base + 1, ... (all 0 when base is 0). */
function metricsPorts(base: number): () => number {
  let next = base;
  return () => (base === 0 ? 0 : next++);
}

function engineSpecs(o: ServeConfig): EngineSpec[] {
  const specs: EngineSpec[] = [];
  for (let i = 0; i < o.prefill; i++)
    specs.push({ name: `prefill-${i}`, main: SERVICE_MAINS.prefill, role: 'prefill' });
  const decodeRole = o.prefill === 0 ? 'both' : 'decode';
  for (let i = 0; i < o.decode; i++)
    specs.push({ name: `decode-${i}`, main: SERVICE_MAINS.decode, role: decodeRole });
  return specs;
}

function modelArgs(o: ServeConfig): string[] {
  return [
    '--model',
    o.model,
    ...(o.tokenizer === undefined ? [] : ['--tokenizer', o.tokenizer]),
    ...(o.servedModelName === undefined ? [] : ['--served-model-name', o.servedModelName]),
  ];
}

function engineArgs(o: ServeConfig, spec: EngineSpec, natsUrl: string, agentId?: string): string[] {
  return [
    ...(agentId === undefined ? [] : ['--kv-connector.agent-id', agentId]),
    '--nats',
    natsUrl,
    ...modelArgs(o),
    '--instance-id',
    spec.name,
    '--role',
    spec.role,
    ...(o.numBlocks === undefined ? [] : ['--engine.num-blocks', String(o.numBlocks)]),
    ...(o.maxModelLen === undefined ? [] : ['--engine.max-model-len', String(o.maxModelLen)]),
    ...(o.heartbeatMs === undefined ? [] : ['--discovery.heartbeat-ms', String(o.heartbeatMs)]),
  ];
}

function gatewayArgs(o: ServeConfig, natsUrl: string): string[] {
  return ['--nats', natsUrl, ...modelArgs(o), '--port', String(o.port), '--host', o.host];
}

/** The children's environment: ours plus the extras; API keys travel here, not in argv (ps shows argv). */
function childEnv(o: ServeClusterOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...o.env };
  // A config file meant for `pdserve serve` is not a service's.
  delete env.PDSERVE_CONFIG;
  if (o.apiKeys.length > 0) env.PDSERVE_API_KEY = o.apiKeys.join(',');
  return env;
}
