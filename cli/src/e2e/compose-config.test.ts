import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../serve/service-paths.js';

const COMPOSE_FILE = join(REPO_ROOT, 'compose.yaml');

/** A compose CLI that can render a file without a Docker engine: `docker compose`, else `docker-compose`. */
function composeCli(): { command: string[]; why?: string } {
  const tries = [['docker', 'compose'], ['docker-compose']];
  const reasons: string[] = [];
  for (const command of tries) {
    const r = spawnSync(command[0], [...command.slice(1), 'version'], { encoding: 'utf8' });
    if (r.status === 0) return { command };
    reasons.push(`${command.join(' ')}: ${(r.error?.message ?? r.stderr ?? '').trim().split('\n')[0]}`);
  }
  return { command: [], why: `no compose CLI (${reasons.join('; ')})` };
}

const cli = composeCli();

describe('compose.yaml and infra/', () => {
  it('names files that exist: the Dockerfile, the NATS config and every service main it runs', () => {
    const text = readFileSync(COMPOSE_FILE, 'utf8');
    for (const file of ['infra/docker/Dockerfile', 'infra/nats/nats.conf'])
      assert.ok(existsSync(join(REPO_ROOT, file)), file);
    const mains = [...text.matchAll(/"(services\/[a-z-]+)\/dist\/main\.js"/g)].map((m) => m[1]);
    assert.deepEqual([...new Set(mains)].sort(), [
      'services/decode',
      'services/gateway',
      'services/kv-connector',
      'services/prefill',
      'services/router',
    ]);
    for (const main of new Set(mains)) assert.ok(existsSync(join(REPO_ROOT, main, 'src/main.ts')), main);
  });

  it('renders with `docker compose config` (no engine needed)', (t) => {
    if (cli.why !== undefined) {
      console.log(`# compose config skipped: ${cli.why}`);
      t.skip(cli.why);
      return;
    }
    const r = spawnSync(
      cli.command[0],
      [...cli.command.slice(1), '-f', COMPOSE_FILE, '--profile', '2p1d', 'config'],
      {
        encoding: 'utf8',
        cwd: REPO_ROOT,
        env: { ...process.env, PDSERVE_API_KEY: 'k' },
      },
    );
    if (r.status !== 0 && /daemon|engine/i.test(r.stderr)) {
      console.log(`# compose config skipped: the CLI needs an engine here: ${r.stderr.trim()}`);
      t.skip('the compose CLI needs a Docker engine');
      return;
    }
    assert.equal(r.status, 0, r.stderr);
    const out = r.stdout;
    for (const name of ['nats', 'gateway', 'router', 'prefill-0', 'prefill-1', 'decode-0']) {
      assert.match(out, new RegExp(`^  ${name}:$`, 'm'), name);
    }
    // Each engine joins the IPC namespace (and /dev/shm) of the agent beside it.
    for (const engine of ['prefill-0', 'prefill-1', 'decode-0']) {
      assert.match(out, new RegExp(`ipc: service:kv-agent-${engine}`), engine);
      assert.match(out, new RegExp(`^  kv-agent-${engine}:$`, 'm'), `agent of ${engine}`);
    }
    assert.equal((out.match(/ipc: shareable/g) ?? []).length, 3, 'every agent shares its IPC namespace');
    assert.match(out, /PDSERVE_API_KEY: k/);
  });
});
