import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { z } from 'zod';
import { discoveryConfigSchema, natsConfigSchema } from './runtime-config.js';
import { ConfigError, defineServiceConfig } from './service-config.js';

const config = defineServiceConfig(
  'router',
  z.object({
    nats: natsConfigSchema,
    discovery: discoveryConfigSchema,
    model: z.string().min(1).describe('served model name'),
    policy: z.enum(['slo', 'load']).default('slo'),
    verbose: z.boolean().default(false),
  }),
);

const dir = mkdtempSync(join(tmpdir(), 'pdserve-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
function file(content: unknown): string {
  const path = join(dir, `c${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return [...err.problems];
  }
  assert.fail('expected a ConfigError');
}

describe('defineServiceConfig', () => {
  it('uses the schema defaults under everything else', () => {
    const c = config.load({ argv: ['--model', 'm'], env: {} });
    assert.deepEqual(c.nats.servers, ['nats://127.0.0.1:4222']);
    assert.equal(c.discovery.heartbeatMs, 1000);
    assert.equal(c.policy, 'slo');
    assert.equal(c.verbose, false);
  });

  it('layers file < env < flags', () => {
    const configFile = file({
      model: 'from-file',
      policy: 'load',
      nats: { requestTimeoutMs: 111, maxPingOut: 7 },
    });
    const env = {
      PDSERVE_NATS_REQUEST_TIMEOUT_MS: '222',
      PDSERVE_NATS_SERVERS: 'nats://a:1, nats://b:2',
      PDSERVE_MODEL: 'env',
    };
    const c = config.load({
      argv: ['--model=flag', '--verbose', '--discovery.heartbeat-ms', '500'],
      env,
      configFile,
    });
    assert.equal(c.model, 'flag');
    assert.equal(c.policy, 'load');
    assert.equal(c.nats.maxPingOut, 7);
    assert.equal(c.nats.requestTimeoutMs, 222);
    assert.deepEqual(c.nats.servers, ['nats://a:1', 'nats://b:2']);
    assert.equal(c.verbose, true);
    assert.equal(c.discovery.heartbeatMs, 500);
  });

  it('finds the file from --config or PDSERVE_CONFIG', () => {
    const configFile = file({ model: 'x' });
    assert.equal(config.load({ argv: ['--config', configFile], env: {} }).model, 'x');
    assert.equal(config.load({ argv: [], env: { PDSERVE_CONFIG: configFile } }).model, 'x');
    assert.equal(config.load({ argv: ['--no-verbose', '--model', 'y'], env: {} }).verbose, false);
  });

  it('lists every problem with where the value came from', () => {
    const configFile = file({ model: 'm', nats: { bogus: 1 }, extra: true });
    const found = problems(() =>
      config.load({
        argv: ['--policy', 'fastest', '--nope', 'stray'],
        env: { PDSERVE_NATS_MAX_PING_OUT: 'many', PDSERVE_DISCOVERY_DEAD_AFTER_MS: '10' },
        configFile,
      }),
    );
    const text = found.join('\n');
    assert.match(text, /nats\.bogus \(from file .*\): unknown setting/);
    assert.match(text, /extra \(from file .*\): unknown setting/);
    assert.match(text, /unknown flag --nope/);
    assert.match(text, /unexpected argument "stray"/);
    assert.match(text, /nats\.maxPingOut \(from env PDSERVE_NATS_MAX_PING_OUT\): expected a number/);
    assert.match(text, /policy \(from flag --policy\):/);
    assert.match(text, /discovery\.deadAfterMs .*must exceed heartbeatMs/);
  });

  it('names a missing required setting and a broken file', () => {
    assert.match(
      problems(() => config.load({ argv: [], env: {} })).join('\n'),
      /^model \(default or unset\)/m,
    );
    const broken = file('{ not json');
    assert.match(
      problems(() => config.load({ argv: ['--model', 'm'], env: {}, configFile: broken }))[0],
      /config file/,
    );
    assert.match(problems(() => config.load({ argv: ['--model'], env: {} }))[0], /--model needs a value/);
  });

  it('describes its settings for --help', () => {
    const help = config.help();
    assert.match(
      help,
      /--nats\.servers {2}\[PDSERVE_NATS_SERVERS\] \(default \["nats:\/\/127\.0\.0\.1:4222"\]\)/,
    );
    assert.match(help, /--model {2}\[PDSERVE_MODEL\] {2}served model name/);
    assert.equal(config.fields.length, 13);
  });
});
