import { readdirSync, unlinkSync } from 'node:fs';

const SHM_DIR = '/dev/shm';
const DEFAULT_NAME = /^pdserve-kv-(\d+)-\d+$/;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Unlinks default-named KV pools (`/pdserve-kv-<pid>-<n>`) whose creating process is gone: a
 * SIGKILLed or crashed engine cannot unlink its own pool, and each one pins its memory until the
 * name goes. Called before a pool is created, so a restarted engine reclaims what its dead
 * predecessor held. Pools in use by live processes (this PID namespace) are left alone; the
 * mappings of a process that still has one open stay valid even after the name is removed.
 * Returns the names removed.
 */
export function removeStalePools(): string[] {
  let names: string[];
  try {
    names = readdirSync(SHM_DIR);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const match = DEFAULT_NAME.exec(name);
    if (!match || isAlive(Number(match[1]))) continue;
    try {
      unlinkSync(`${SHM_DIR}/${name}`);
      removed.push(`/${name}`);
    } catch {
      // Another process removed it first, or it is not ours to remove.
    }
  }
  return removed;
}
