import { spawnSync } from 'node:child_process';

/** One simulated host: a network namespace and its addresses. */
export interface NetnsHost {
  name: string;
  /** The address other hosts reach it at. */
  address: string;
  /** `ip netns exec NAME`: prefix of a command that runs inside it. */
  exec: string[];
}

/** Two hosts A and B, linked by veth, plus a link from this (root) namespace to A. */
export interface TwoHosts {
  a: NetnsHost;
  b: NetnsHost;
  /** A's address on its link to the root namespace (what the test's HTTP client reaches). */
  aFromRoot: string;
  /**
   * Resolves once every veth end is operationally up (a link set up a moment ago may not carry
   * yet: a UCX worker started then leaves it out of its address, and nothing can reach it).
   */
  linksUp(): Promise<void>;
  /** Deletes both namespaces (and with them the veth links); idempotent, never throws. */
  cleanup(): void;
}

/** Polls `ip link` (the kernel has no simpler signal for a veth's carrier) for at most 5 s. */
async function waitForLinksUp(links: readonly [string | null, string][], timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const down = links.filter(([ns, dev]) => {
      const r = spawnSync('ip', [...(ns === null ? [] : ['-n', ns]), '-o', 'link', 'show', 'dev', dev], {
        encoding: 'utf8',
      });
      return !/ state UP /.test(r.stdout ?? '');
    });
    if (down.length === 0) return;
    if (Date.now() > deadline)
      throw new Error(`links still down after ${timeoutMs} ms: ${down.map(([, d]) => d).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function ip(args: string[]): { ok: boolean; err: string } {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  return { ok: r.status === 0, err: `${r.stderr ?? ''}${r.error?.message ?? ''}`.trim() };
}

function must(args: string[]): void {
  const r = ip(args);
  if (!r.ok) throw new Error(`ip ${args.join(' ')} failed: ${r.err}`);
}

/** A third octet N whose 10.213.N.0/24 this namespace does not use yet (from the pid, then the next free). */
function freeSubnet(): number {
  const used = spawnSync('ip', ['-o', '-4', 'addr', 'show'], { encoding: 'utf8' }).stdout ?? '';
  for (let i = 0; i < 240; i++) {
    const n = 8 + ((process.pid + i) % 240);
    if (!used.includes(`10.213.${n}.`)) return n;
  }
  throw new Error('no free 10.213.N.0/24 subnet for the test namespaces');
}

/** Why network namespaces cannot be used here, or null when they can. */
export function netnsUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'not running as root (ip netns needs CAP_SYS_ADMIN)';
  const list = ip(['netns', 'list']);
  if (!list.ok) return `ip netns is not available: ${list.err || 'the ip command failed'}`;
  return null;
}

/**
 * Builds two network namespaces that stand for two hosts, with addresses only in 10.213.N.0/29
 * (N from this process id, skipping subnets in use) on veth links it creates: A 10.213.N.1 <-> B 10.213.N.2, and
 * root 10.213.N.5 <-> A 10.213.N.6. Cleans up on failure and at process exit.
 */
export function createTwoHosts(): TwoHosts {
  const tag = String(process.pid % 100_000);
  const n = freeSubnet();
  const [nsA, nsB] = [`pdserve-a-${tag}`, `pdserve-b-${tag}`];
  const net = (last: number) => `10.213.${n}.${last}`;
  const cleanup = () => {
    for (const ns of [nsA, nsB]) ip(['netns', 'del', ns]);
    ip(['link', 'del', `pdr${tag}`]);
  };
  process.once('exit', cleanup);
  try {
    must(['netns', 'add', nsA]);
    must(['netns', 'add', nsB]);
    must([
      'link',
      'add',
      `pda${tag}`,
      'netns',
      nsA,
      'type',
      'veth',
      'peer',
      'name',
      `pdb${tag}`,
      'netns',
      nsB,
    ]);
    must(['link', 'add', `pdr${tag}`, 'type', 'veth', 'peer', 'name', `pdra${tag}`, 'netns', nsA]);
    const inA = ['-n', nsA];
    const inB = ['-n', nsB];
    must([...inA, 'addr', 'add', `${net(1)}/30`, 'dev', `pda${tag}`]);
    must([...inB, 'addr', 'add', `${net(2)}/30`, 'dev', `pdb${tag}`]);
    must([...inA, 'addr', 'add', `${net(6)}/30`, 'dev', `pdra${tag}`]);
    must(['addr', 'add', `${net(5)}/30`, 'dev', `pdr${tag}`]);
    for (const [ns, dev] of [
      [nsA, 'lo'],
      [nsA, `pda${tag}`],
      [nsA, `pdra${tag}`],
      [nsB, 'lo'],
      [nsB, `pdb${tag}`],
    ]) {
      must(['-n', ns, 'link', 'set', dev, 'up']);
    }
    must(['link', 'set', `pdr${tag}`, 'up']);
  } catch (error) {
    cleanup();
    throw error;
  }
  const links: [string | null, string][] = [
    [nsA, `pda${tag}`],
    [nsB, `pdb${tag}`],
    [nsA, `pdra${tag}`],
    [null, `pdr${tag}`],
  ];
  return {
    linksUp: () => waitForLinksUp(links),
    a: { name: nsA, address: net(1), exec: ['ip', 'netns', 'exec', nsA] },
    b: { name: nsB, address: net(2), exec: ['ip', 'netns', 'exec', nsB] },
    aFromRoot: net(6),
    cleanup: () => {
      process.off('exit', cleanup);
      cleanup();
    },
  };
}
