// The Redis Streams journal (production) and the Redis lease that fences it.
//
// One stream per partition, `journal:{<partition>}`; one entry per frame with the explicit id
// `<lastSeq>-0` and the fields e (epoch), f (firstSeq), p (payload, binary). The braces are a
// cluster hash tag: the stream, `epoch:{p}` and `lease:{p}` live in one slot, so the Lua scripts
// below may touch them together.
//
// An append is one Lua script, atomic on the server: it rejects the frame with FENCED unless
// `GET epoch:{p}` equals the frame's epoch; resolves without writing when the frame is an
// identical retry of the stored entry with the same lastSeq (same epoch, firstSeq and payload);
// rejects it unless firstSeq = the stream's last id + 1; and then XADDs. A journal made with an
// events stream (`eventsStream`, the partition's `events:{p}`, same slot) also XADDs the frame's
// encoded events there with the same id in that script, unless that id is already there: the
// events are published in the same Redis write (and fsync) as the frame, never before it.
//
// Durability: the server runs with `appendonly yes` and `appendfsync always`, so a reply means
// the entry is fsynced on a single node (Redis fsyncs once per event-loop batch: group commit).
// With `replicas > 0` the append then also waits for `WAIT replicas waitTimeoutMs` and rejects if
// fewer replicas acknowledged; the caller retries the same frame, which is then an idempotent
// retry followed by another WAIT.
//
// Failure: the journal's connection never queues writes (enableOfflineQueue false, no resend of
// in-flight commands after a reconnect, a command timeout), so a Redis outage surfaces at once as
// rejected appends. The caller retries the SAME frame until it succeeds; the outcome of a rejected
// append is unknown, and the idempotent retry makes that safe.

import { randomUUID } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import { assert } from '@playchacha/protocol';
import { checkFrame } from './journal-frame.js';
import { FencedError, JournalCorruptError, type Journal, type JournalFrame, type Leadership } from './journal.js';

export function journalKey(partition: string): string {
  return `journal:{${partition}}`;
}

export function epochKey(partition: string): string {
  return `epoch:{${partition}}`;
}

export function leaseKey(partition: string): string {
  return `lease:{${partition}}`;
}

/** Connection options for a journal or leadership client: nothing is ever queued or resent. */
export function journalRedisOptions(commandTimeoutMs = 5_000) {
  return {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: commandTimeoutMs,
    connectTimeout: Math.min(commandTimeoutMs, 2_000),
    // Reconnect quickly after an outage; commands fail fast meanwhile.
    retryStrategy: (attempt: number) => Math.min(attempt * 50, 500),
    lazyConnect: true,
  } satisfies RedisOptions;
}

/** A connected client with journalRedisOptions(); rejects when Redis cannot be reached. */
export async function connectJournalRedis(url: string, commandTimeoutMs = 5_000): Promise<Redis> {
  const redis = new Redis(url, journalRedisOptions(commandTimeoutMs));
  // Connection errors are reported through rejected commands; without a listener ioredis logs them.
  redis.on('error', () => undefined);
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  return redis;
}

// KEYS: stream, epoch. ARGV: epoch, firstSeq, lastSeq, payload.
const appendLua = `
local current = redis.call('GET', KEYS[2])
if current ~= ARGV[1] then
  return redis.error_reply('FENCED partition epoch is ' .. tostring(current) .. ', frame epoch ' .. ARGV[1])
end
local id = ARGV[3] .. '-0'
local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if #newest > 0 then
  local lastSeqText = string.match(newest[1][1], '^(%d+)-')
  local lastSeq = tonumber(lastSeqText)
  if tonumber(ARGV[3]) <= lastSeq then
    local same = redis.call('XRANGE', KEYS[1], id, id)
    if #same == 1 then
      local fields = same[1][2]
      local stored = {}
      for i = 1, #fields, 2 do stored[fields[i]] = fields[i + 1] end
      if stored['e'] == ARGV[1] and stored['f'] == ARGV[2] and stored['p'] == ARGV[4] then
        return 'DUPLICATE'
      end
    end
    return redis.error_reply('CONFLICT frame ' .. ARGV[2] .. '..' .. ARGV[3] .. ' is at or below lastSeq ' .. lastSeqText .. ' and is not a retry of the stored frame')
  end
  if tonumber(ARGV[2]) ~= lastSeq + 1 then
    return redis.error_reply('GAP frame ' .. ARGV[2] .. '..' .. ARGV[3] .. ' is not contiguous with lastSeq ' .. lastSeqText)
  end
end
redis.call('XADD', KEYS[1], id, 'e', ARGV[1], 'f', ARGV[2], 'p', ARGV[4])
return 'OK'
`;

// The append above, then the frame's events into KEYS[3] (ARGV[5]) with the same id, unless the
// events stream already holds that id or a later one (a frame published before, by an EventSink).
const appendWithEventsLua = appendLua.replace(
  "redis.call('XADD', KEYS[1], id, 'e', ARGV[1], 'f', ARGV[2], 'p', ARGV[4])",
  `redis.call('XADD', KEYS[1], id, 'e', ARGV[1], 'f', ARGV[2], 'p', ARGV[4])
local published = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', 1)
if #published == 0 or tonumber(string.match(published[1][1], '^(%d+)-')) < tonumber(ARGV[3]) then
  redis.call('XADD', KEYS[3], id, 'f', ARGV[5])
end`,
);
assert(appendWithEventsLua.includes('KEYS[3]'), 'the events append extends the journal append script');

// KEYS: lease, epoch. ARGV: owner, leaseMs. Returns the new epoch, or nil when the lease is held.
const acquireLua = `
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return false
end
local epoch = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. '/' .. epoch, 'KEEPTTL')
return epoch
`;

// KEYS: lease, epoch. ARGV: value, leaseMs, epoch. A lease that lapsed while nobody else took it
// (the key is gone and the epoch is still the holder's) is reclaimed: no other writer can exist.
const renewLua = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
if holder == false and redis.call('GET', KEYS[2]) == ARGV[3] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
`;

// KEYS: lease. ARGV: value.
const releaseLua = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

interface JournalScripts {
  journalAppend(stream: string, epoch: string, ...args: Array<string | Buffer>): Promise<string>;
  journalAppendWithEvents(stream: string, epoch: string, events: string, ...args: Array<string | Buffer>): Promise<string>;
  journalAcquire(lease: string, epoch: string, owner: string, leaseMs: string): Promise<number | null>;
  journalRenew(lease: string, epoch: string, value: string, leaseMs: string, epochValue: string): Promise<number>;
  journalRelease(lease: string, value: string): Promise<number>;
}

/** Defines the scripts once per client (EVALSHA, falling back to EVAL after a SCRIPT FLUSH/restart). */
function scripts(redis: Redis): JournalScripts {
  const commands = redis as unknown as Partial<JournalScripts>;
  if (commands.journalAppend === undefined) {
    redis.defineCommand('journalAppend', { numberOfKeys: 2, lua: appendLua });
    redis.defineCommand('journalAppendWithEvents', { numberOfKeys: 3, lua: appendWithEventsLua });
    redis.defineCommand('journalAcquire', { numberOfKeys: 2, lua: acquireLua });
    redis.defineCommand('journalRenew', { numberOfKeys: 2, lua: renewLua });
    redis.defineCommand('journalRelease', { numberOfKeys: 1, lua: releaseLua });
  }
  return redis as unknown as JournalScripts;
}

export interface RedisJournalOptions {
  /** Replicas that must acknowledge each append (WAIT); 0 (default) for a single node. */
  readonly replicas?: number;
  /** How long WAIT may take before the append is rejected. */
  readonly waitTimeoutMs?: number;
  /** Whether close() disconnects the client (default false: the caller owns it). */
  readonly ownsClient?: boolean;
  /**
   * The partition's events stream: each append then also publishes the frame's `events` there,
   * in the same script (see the top of this file), and every frame must carry them. Single node
   * only: with replicas, events must wait for WAIT, so they cannot go out in the append itself.
   */
  readonly eventsStream?: string;
}

export class RedisJournal implements Journal {
  private readonly key: string;
  private readonly epochKey: string;
  private readonly scripts: JournalScripts;
  private readonly replicas: number;
  private readonly waitTimeoutMs: number;
  readonly publishesEvents: boolean;

  /** `redis` should be made with journalRedisOptions() (see connectJournalRedis). */
  constructor(
    private readonly redis: Redis,
    private readonly partition: string,
    private readonly options: RedisJournalOptions = {},
  ) {
    this.key = journalKey(partition);
    this.epochKey = epochKey(partition);
    this.scripts = scripts(redis);
    this.replicas = options.replicas ?? 0;
    this.waitTimeoutMs = options.waitTimeoutMs ?? 1_000;
    this.publishesEvents = options.eventsStream !== undefined;
    if (this.publishesEvents && this.replicas > 0) throw new RangeError('a journal with replicas cannot publish events in its append');
  }

  /** Connects a client of its own (closed by close()). */
  static async connect(url: string, partition: string, options: RedisJournalOptions & { commandTimeoutMs?: number } = {}): Promise<RedisJournal> {
    const redis = await connectJournalRedis(url, options.commandTimeoutMs);
    return new RedisJournal(redis, partition, { ...options, ownsClient: true });
  }

  async append(frame: JournalFrame): Promise<void> {
    checkFrame(frame);
    const payload = Buffer.from(frame.payload.buffer, frame.payload.byteOffset, frame.payload.byteLength);
    const eventsStream = this.options.eventsStream;
    const events = frame.events;
    if (eventsStream !== undefined && events === undefined) throw new TypeError(`partition ${this.partition}: a journal that publishes events needs each frame's events`);
    try {
      if (eventsStream === undefined || events === undefined) {
        await this.scripts.journalAppend(this.key, this.epochKey, String(frame.epoch), String(frame.firstSeq), String(frame.lastSeq), payload);
      } else {
        await this.scripts.journalAppendWithEvents(
          this.key,
          this.epochKey,
          eventsStream,
          String(frame.epoch),
          String(frame.firstSeq),
          String(frame.lastSeq),
          payload,
          Buffer.from(events.buffer, events.byteOffset, events.byteLength),
        );
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (message.startsWith('FENCED')) throw new FencedError(this.partition, frame.epoch);
      if (message.startsWith('GAP') || message.startsWith('CONFLICT')) {
        throw new JournalCorruptError(`partition ${this.partition}: ${message}`);
      }
      throw error;
    }
    if (this.replicas > 0) {
      const acknowledged = await this.redis.wait(this.replicas, this.waitTimeoutMs);
      if (acknowledged < this.replicas) {
        throw new Error(
          `partition ${this.partition}: frame ${frame.firstSeq}..${frame.lastSeq} reached ${acknowledged} of ` +
            `${this.replicas} replicas within ${this.waitTimeoutMs} ms; retry the same frame`,
        );
      }
    }
  }

  async read(fromSeq: number, limit: number): Promise<JournalFrame[]> {
    const count = Math.floor(limit);
    if (!(count > 0)) return [];
    const start = `${Math.max(0, Math.floor(fromSeq))}-0`;
    const entries = await this.redis.xrangeBuffer(this.key, start, '+', 'COUNT', count);
    return entries.map(([id, fields]) => this.decode(id, fields));
  }

  async lastSeq(): Promise<number> {
    const newest = await this.redis.xrevrange(this.key, '+', '-', 'COUNT', 1);
    const entry = newest[0];
    return entry === undefined ? 0 : seqOfId(entry[0]);
  }

  async firstSeq(): Promise<number> {
    const oldest = await this.redis.xrangeBuffer(this.key, '-', '+', 'COUNT', 1);
    const entry = oldest[0];
    return entry === undefined ? 0 : this.decode(entry[0], entry[1]).firstSeq;
  }

  /** XTRIM MINID; the newest entry is always kept, so lastSeq and contiguity survive any trim. */
  async trimBefore(seq: number): Promise<void> {
    const lastSeq = await this.lastSeq();
    if (lastSeq === 0) return;
    await this.redis.xtrim(this.key, 'MINID', `${Math.min(Math.floor(seq), lastSeq)}-0`);
  }

  async close(): Promise<void> {
    if (this.options.ownsClient === true) this.redis.disconnect();
  }

  private decode(id: Buffer, fields: Buffer[]): JournalFrame {
    let epoch: number | undefined;
    let firstSeq: number | undefined;
    let payload: Buffer | undefined;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const name = fields[i]?.toString('latin1');
      const value = fields[i + 1];
      if (value === undefined) continue;
      if (name === 'e') epoch = Number(value.toString('latin1'));
      else if (name === 'f') firstSeq = Number(value.toString('latin1'));
      else if (name === 'p') payload = value;
    }
    const lastSeq = seqOfId(id.toString('latin1'));
    if (epoch === undefined || firstSeq === undefined || payload === undefined || !(firstSeq >= 1 && firstSeq <= lastSeq)) {
      throw new JournalCorruptError(`partition ${this.partition}: malformed journal entry ${id.toString('latin1')}`);
    }
    return { firstSeq, lastSeq, epoch, payload: new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength) };
  }
}

function seqOfId(id: string): number {
  const dash = id.indexOf('-');
  const seq = Number(dash < 0 ? id : id.slice(0, dash));
  if (!Number.isSafeInteger(seq)) throw new JournalCorruptError(`journal entry id ${id} is not <seq>-0`);
  return seq;
}

/**
 * The partition's lease: `SET lease:{p} NX PX leaseMs`, then `INCR epoch:{p}`, in one script; the
 * lease value is `<owner>/<epoch>`. renew and release compare the value before they PEXPIRE or DEL,
 * so a holder whose lease expired cannot extend or delete its successor's. The epoch key never
 * expires, so epochs strictly increase across acquisitions, lease expiries and restarts (with AOF).
 */
export class RedisLeadership implements Leadership {
  readonly leaseMs: number;
  readonly owner: string;
  private readonly scripts: JournalScripts;

  constructor(
    redis: Redis,
    private readonly partition: string,
    options: { leaseMs: number; owner?: string },
  ) {
    if (!(options.leaseMs > 0)) throw new RangeError(`leaseMs must be positive, got ${options.leaseMs}`);
    this.leaseMs = Math.ceil(options.leaseMs);
    this.owner = options.owner ?? randomUUID();
    if (this.owner.includes('/')) throw new RangeError('owner may not contain "/"');
    this.scripts = scripts(redis);
  }

  async acquire(): Promise<number | null> {
    const epoch = await this.scripts.journalAcquire(leaseKey(this.partition), epochKey(this.partition), this.owner, String(this.leaseMs));
    return epoch === null ? null : Number(epoch);
  }

  async renew(epoch: number): Promise<boolean> {
    const renewed = await this.scripts.journalRenew(
      leaseKey(this.partition),
      epochKey(this.partition),
      `${this.owner}/${epoch}`,
      String(this.leaseMs),
      String(epoch),
    );
    return renewed === 1;
  }

  async release(epoch: number): Promise<void> {
    await this.scripts.journalRelease(leaseKey(this.partition), `${this.owner}/${epoch}`);
  }
}
