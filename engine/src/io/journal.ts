// The journal port: an append-only sequence of frames, each carrying the commands of one group
// commit. Two adapters implement it: Redis Streams (production) and an append-only file (the
// embedded default). The engine core never sees it; only the partition runner does.

/** One group commit: the envelopes with sequence numbers firstSeq..lastSeq, encoded. */
export interface JournalFrame {
  readonly firstSeq: number;
  readonly lastSeq: number;
  /** The fencing epoch of the leader that wrote it. */
  readonly epoch: number;
  /** msgpack of the frame's body (CommandEnvelope[] plus partition metadata). */
  readonly payload: Uint8Array;
  /**
   * The frame's events (encodeEventFrame), for a journal that publishes them with the frame
   * (`publishesEvents`); never stored in the journal itself, nor returned by read.
   */
  readonly events?: Uint8Array;
}

/** The writer's epoch is no longer current: another leader took over. The writer must stop. */
export class FencedError extends Error {
  override name = 'FencedError';
  constructor(
    readonly partition: string,
    readonly epoch: number,
  ) {
    super(`partition ${partition}: epoch ${epoch} is fenced off`);
  }
}

/** The journal is not what the reader expected (a gap, a checksum failure, a torn record). */
export class JournalCorruptError extends Error {
  override name = 'JournalCorruptError';
}

export interface Journal {
  /**
   * Appends a frame and resolves once it is durable under the adapter's policy. Frames must be
   * contiguous (firstSeq = previous lastSeq + 1). Retrying a frame that was already appended
   * resolves without writing it twice. Rejects with FencedError when `frame.epoch` is not the
   * partition's current epoch.
   */
  append(frame: JournalFrame): Promise<void>;
  /**
   * True when append also publishes each frame's `events` to the partition's events stream, in
   * the same durable write: the leader then publishes nothing itself (see partition.ts).
   */
  readonly publishesEvents?: boolean;
  /** Frames whose lastSeq ≥ fromSeq, oldest first, at most `limit`. */
  read(fromSeq: number, limit: number): Promise<JournalFrame[]>;
  /** The lastSeq of the newest frame, 0 when the journal is empty. */
  lastSeq(): Promise<number>;
  /** The firstSeq of the oldest frame still kept, 0 when empty. */
  firstSeq(): Promise<number>;
  /** Drops frames whose lastSeq < seq (everything the oldest snapshot still needed is kept). */
  trimBefore(seq: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Leadership of one partition. `acquire` succeeds for one holder at a time and returns a new,
 * strictly greater fencing epoch; every append is checked against the current epoch.
 */
export interface Leadership {
  acquire(): Promise<number | null>;
  /**
   * Extends the lease; false when it was lost (the holder must stop writing at once). A lease that
   * lapsed while nobody acquired it (the epoch is still the holder's) is reclaimed: a leader that
   * stalled past its lease keeps leading unless someone took over.
   */
  renew(epoch: number): Promise<boolean>;
  release(epoch: number): Promise<void>;
  readonly leaseMs: number;
}
