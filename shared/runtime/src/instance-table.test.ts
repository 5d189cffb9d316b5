import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InstanceInfo, InstanceRecord } from '@pdserve/protocol';
import { type DeadReason, InstanceTable } from './instance-table.js';

function record(id: string, epoch = 1, seq = 0): InstanceRecord {
  const info = { id, epoch } as InstanceInfo;
  return { info, heartbeat: { instanceId: id, model: 'm', epoch, seq, sentAtMs: 0, load: {} as never } };
}

function table(deadAfterMs = 10_000) {
  const events: string[] = [];
  let onDead: (death: [string, DeadReason]) => void = () => {};
  const firstDeath = new Promise<[string, DeadReason]>((resolve) => {
    onDead = resolve;
  });
  const t = new InstanceTable(deadAfterMs, {
    up: (i) => events.push(`up ${i.info.id}/${i.info.epoch}`),
    updated: (i) => events.push(`updated ${i.info.id}#${i.heartbeat.seq}`),
    dead: (info, reason) => {
      events.push(`dead ${info.id}/${info.epoch} ${reason}`);
      onDead([info.id, reason]);
    },
  });
  return { t, events, firstDeath };
}

describe('InstanceTable', () => {
  it('reports up, updates, and ignores older revisions', () => {
    const { t, events } = table();
    const now = Date.now();
    t.put('k', 2, record('a', 1, 0), now);
    t.put('k', 3, record('a', 1, 1), now);
    t.put('k', 1, record('a', 1, 9), now); // a snapshot read older than the watch
    assert.deepEqual(events, ['up a/1', 'updated a#1']);
    assert.equal(t.live()[0].heartbeat.seq, 1);
    t.clear();
  });

  it('reports a new epoch as the old one dead and the new one up', () => {
    const { t, events } = table();
    t.put('k', 1, record('a', 1), Date.now());
    t.put('k', 2, record('a', 2), Date.now());
    assert.deepEqual(events, ['up a/1', 'dead a/1 replaced', 'up a/2']);
    t.clear();
  });

  it('reports deletes, and a stale put after a delete does not revive', () => {
    const { t, events } = table();
    t.put('k', 1, record('a'), Date.now());
    t.delete('k', 2);
    t.put('k', 1, record('a'), Date.now());
    assert.deepEqual(events, ['up a/1', 'dead a/1 deregistered']);
    assert.equal(t.live().length, 0);
  });

  it('does not bring up a record whose heartbeat is already too old', () => {
    const { t, events } = table(1000);
    t.put('k', 1, record('a'), Date.now() - 5000);
    assert.deepEqual(events, []);
  });

  it('expires an instance whose heartbeats stop', async () => {
    const { t, firstDeath } = table(50);
    const start = Date.now();
    t.put('k', 1, record('a'), start);
    // The table's timers are unref'd (they must not keep a service alive); this one keeps the test alive.
    const keepAlive = setTimeout(() => {}, 5000);
    assert.deepEqual(await firstDeath, ['a', 'expired']);
    clearTimeout(keepAlive);
    assert.ok(Date.now() - start >= 45);
  });
});
