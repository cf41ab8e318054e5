// The engine process's configuration, from the environment. Without REDIS_URL the engine runs
// on its embedded defaults: a file journal and file snapshots under DATA_DIR (by default `.data`
// at the root of the repository, whichever workspace the process was started from).

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { matchingPartitionName, riskPartitionName, type PartitionTopologyConfig } from '../core/partition-topology.js';

const DATA_DIR_DEFAULT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '.data');

/**
 * What this process's partition runs: `combined` (ExchangeCore, both stages, one partition: the
 * default), or one risk or matching partition of a partitioned engine.
 */
export type EngineRole = 'combined' | 'risk' | 'matching';

export interface EngineConfig {
  readonly partition: string;
  readonly role: EngineRole;
  /** The partitioned engine's topology (null for `combined`); every partition must be given the same. */
  readonly topology: PartitionTopologyConfig | null;
  readonly redisUrl: string | null;
  /** Replicas that must acknowledge each journal frame (WAIT) when Redis has replicas. */
  readonly redisReplicas: number;
  readonly dataDir: string;
  readonly httpPort: number;
  readonly httpHost: string;
  readonly leaseMs: number;
  readonly snapshotEveryCommands: number;
  readonly snapshotEveryMs: number;
  readonly standbyPollMs: number;
  /** Seed a demo market with a quoting market maker when the journal is empty (embedded default). */
  readonly demo: boolean;
  readonly logLevel: string;
}

/** A non-negative integer from the environment, or `fallback` when unset; throws on anything else. */
export function envInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new EngineConfigError(`${name} must be a non-negative integer, got ${text}`);
  return value;
}

/** The invalid configuration an engine process refuses to start with. */
export class EngineConfigError extends Error {
  override name = 'EngineConfigError';
}

const TOPOLOGY_VARIABLES = ['PARTITION_INDEX', 'RISK_PARTITIONS', 'MATCHING_PARTITIONS', 'MARKET_PARTITIONS'] as const;

/**
 * The role and topology: ENGINE_ROLE (`combined` default, `risk`, `matching`), PARTITION_INDEX,
 * RISK_PARTITIONS, MATCHING_PARTITIONS and MARKET_PARTITIONS (`marketId:matchingIndex,...`).
 * A risk or matching partition is named by its role and index (`risk-0`, `matching-1`).
 */
function roleFromEnv(env: NodeJS.ProcessEnv, redisUrl: string | null): { role: EngineRole; partition: string; topology: PartitionTopologyConfig | null } {
  const role = env['ENGINE_ROLE'] ?? 'combined';
  if (role === 'combined' || role === '') {
    const stray = TOPOLOGY_VARIABLES.filter((name) => (env[name] ?? '') !== '');
    if (stray.length > 0) throw new EngineConfigError(`${stray.join(', ')} set without ENGINE_ROLE=risk or matching`);
    return { role: 'combined', partition: env['PARTITION'] ?? 'p0', topology: null };
  }
  if (role !== 'risk' && role !== 'matching') throw new EngineConfigError(`ENGINE_ROLE must be combined, risk or matching, got ${role}`);
  if (redisUrl === null) throw new EngineConfigError(`ENGINE_ROLE=${role} needs REDIS_URL: partitions hand off to each other through Redis`);
  const topology = partitionTopologyFromEnv(env, `ENGINE_ROLE=${role}`);
  const index = envInteger(env, 'PARTITION_INDEX', -1);
  if (index < 0) throw new EngineConfigError(`PARTITION_INDEX is required with ENGINE_ROLE=${role}`);
  const count = role === 'risk' ? topology.riskPartitions : topology.matchingPartitions;
  if (index >= count) throw new EngineConfigError(`PARTITION_INDEX ${index} is not below ${role === 'risk' ? 'RISK_PARTITIONS' : 'MATCHING_PARTITIONS'} (${count})`);
  const partition = role === 'risk' ? riskPartitionName(index) : matchingPartitionName(index);
  const named = env['PARTITION'];
  if (named !== undefined && named !== '' && named !== partition) throw new EngineConfigError(`PARTITION ${named} does not match ENGINE_ROLE=${role} PARTITION_INDEX=${index} (${partition})`);
  return { role, partition, topology };
}

/**
 * The partitioned engine's topology: RISK_PARTITIONS, MATCHING_PARTITIONS (both required, at
 * least 1) and MARKET_PARTITIONS; `needs` names what requires it, for the error.
 */
export function partitionTopologyFromEnv(env: NodeJS.ProcessEnv, needs: string): PartitionTopologyConfig {
  const riskPartitions = positiveInteger(env, 'RISK_PARTITIONS', needs);
  const matchingPartitions = positiveInteger(env, 'MATCHING_PARTITIONS', needs);
  const marketPartitions = marketPartitionsFromEnv(env['MARKET_PARTITIONS'] ?? '', matchingPartitions);
  return { riskPartitions, matchingPartitions, marketPartitions };
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, needs: string): number {
  if ((env[name] ?? '') === '') throw new EngineConfigError(`${name} is required with ${needs}`);
  const value = envInteger(env, name, 0);
  if (value < 1) throw new EngineConfigError(`${name} must be at least 1, got ${value}`);
  return value;
}

/** `7:1,8:0` → { 7: 1, 8: 0 }; every index below matchingPartitions, every market once. */
export function marketPartitionsFromEnv(text: string, matchingPartitions: number): Record<number, number> {
  const assignment: Record<number, number> = {};
  for (const item of text.split(',').map((part) => part.trim()).filter((part) => part !== '')) {
    const match = /^(\d+):(\d+)$/.exec(item);
    if (match === null) throw new EngineConfigError(`MARKET_PARTITIONS: expected marketId:matchingIndex, got ${item}`);
    const marketId = Number(match[1]);
    const index = Number(match[2]);
    if (!Number.isSafeInteger(marketId) || marketId < 1) throw new EngineConfigError(`MARKET_PARTITIONS: market id must be a positive integer, got ${item}`);
    if (index >= matchingPartitions) throw new EngineConfigError(`MARKET_PARTITIONS: market ${marketId} assigned to matching partition ${index}, but MATCHING_PARTITIONS is ${matchingPartitions}`);
    if (assignment[marketId] !== undefined) throw new EngineConfigError(`MARKET_PARTITIONS: market ${marketId} assigned twice`);
    assignment[marketId] = index;
  }
  return assignment;
}

export function engineConfigFromEnv(env: NodeJS.ProcessEnv = process.env): EngineConfig {
  const redisUrl = env['REDIS_URL'] ?? null;
  const { role, partition, topology } = roleFromEnv(env, redisUrl === '' ? null : redisUrl);
  return {
    partition,
    role,
    topology,
    redisUrl: redisUrl === '' ? null : redisUrl,
    redisReplicas: envInteger(env, 'REDIS_REPLICAS', 0),
    dataDir: env['DATA_DIR'] ?? DATA_DIR_DEFAULT,
    httpPort: envInteger(env, 'ENGINE_HTTP_PORT', 8081),
    httpHost: env['ENGINE_HTTP_HOST'] ?? '127.0.0.1',
    leaseMs: envInteger(env, 'LEASE_MS', 600),
    snapshotEveryCommands: envInteger(env, 'SNAPSHOT_EVERY_COMMANDS', 100_000),
    snapshotEveryMs: envInteger(env, 'SNAPSHOT_EVERY_MS', 60_000),
    standbyPollMs: envInteger(env, 'STANDBY_POLL_MS', 50),
    demo: (env['DEMO'] ?? (redisUrl === null || redisUrl === '' ? '1' : '0')) === '1',
    logLevel: env['LOG_LEVEL'] ?? 'info',
  };
}
