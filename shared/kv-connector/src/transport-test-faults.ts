/** What a transport does to one data operation (a chunk, or one block's put). */
export type KvFaultAction = 'deliver' | 'drop' | 'corrupt' | 'dropReply';

/** The data operation a fault hook is asked about. */
export interface KvDataOp {
  transferId: string;
  /** Chunk sequence number (NATS) or block index (direct copy). */
  seq: number;
  attempt: number;
}

/**
 * TEST HOOK: fault injection into a KvTransport's data path. Transports ask `before` for every
 * data operation; `drop` loses the request (the sender sees it time out), `dropReply` delivers it
 * but loses the acknowledgement (the sender retries: a duplicate), `corrupt` flips a byte after
 * the checksum was taken. `hold()` parks the next operation until the returned release is called,
 * so a test can act mid-transfer. Never configured outside tests.
 */
export class TransportTestFaults {
  private readonly plan: KvFaultAction[] = [];
  private readonly holds: { reached: () => void; gate: Promise<void> }[] = [];
  /** Every action taken other than 'deliver', in order. */
  readonly injected: { op: KvDataOp; action: KvFaultAction }[] = [];

  /** Applies `action` to the next `n` data operations (after those already planned). */
  next(action: Exclude<KvFaultAction, 'deliver'>, n = 1): this {
    for (let i = 0; i < n; i++) this.plan.push(action);
    return this;
  }

  /**
   * Parks the next data operation: `reached` resolves when it is parked, `release()` lets it go.
   */
  hold(): { reached: Promise<void>; release: () => void } {
    let release!: () => void;
    let reached!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const reachedP = new Promise<void>((r) => {
      reached = r;
    });
    this.holds.push({ reached, gate });
    return { reached: reachedP, release };
  }

  /** Called by transports before each data operation. */
  async before(op: KvDataOp): Promise<KvFaultAction> {
    const hold = this.holds.shift();
    if (hold !== undefined) {
      hold.reached();
      await hold.gate;
    }
    const action = this.plan.shift() ?? 'deliver';
    if (action !== 'deliver') this.injected.push({ op, action });
    return action;
  }
}
