// The engine process's role and topology from the environment: the combined partition by default,
// a risk or matching partition named by role and index, and every invalid combination refused.

import { describe, expect, it } from 'vitest';
import { EngineConfigError, engineConfigFromEnv } from './engine-config.js';

const REDIS = { REDIS_URL: 'redis://127.0.0.1:6379' };
const TOPOLOGY = { RISK_PARTITIONS: '2', MATCHING_PARTITIONS: '3', MARKET_PARTITIONS: '7:2, 8:0' };

describe('engine configuration', () => {
  it('runs the combined partition by default', () => {
    const config = engineConfigFromEnv({ PARTITION: 'p1' });
    expect(config.role).toBe('combined');
    expect(config.partition).toBe('p1');
    expect(config.topology).toBeNull();
  });

  it('names a risk or matching partition by its role and index, with the topology', () => {
    const risk = engineConfigFromEnv({ ...REDIS, ...TOPOLOGY, ENGINE_ROLE: 'risk', PARTITION_INDEX: '1' });
    expect(risk.partition).toBe('risk-1');
    expect(risk.topology).toEqual({ riskPartitions: 2, matchingPartitions: 3, marketPartitions: { 7: 2, 8: 0 } });
    const matching = engineConfigFromEnv({ ...REDIS, ...TOPOLOGY, ENGINE_ROLE: 'matching', PARTITION_INDEX: '2', PARTITION: 'matching-2' });
    expect(matching.role).toBe('matching');
    expect(matching.partition).toBe('matching-2');
  });

  it.each([
    [{ ENGINE_ROLE: 'both' }, /ENGINE_ROLE must be combined, risk or matching/],
    [{ RISK_PARTITIONS: '2' }, /RISK_PARTITIONS set without ENGINE_ROLE/],
    [{ ...TOPOLOGY, ENGINE_ROLE: 'risk', PARTITION_INDEX: '0', REDIS_URL: '' }, /needs REDIS_URL/],
    [{ ...REDIS, ...TOPOLOGY, ENGINE_ROLE: 'risk' }, /PARTITION_INDEX is required/],
    [{ ...REDIS, ...TOPOLOGY, ENGINE_ROLE: 'risk', PARTITION_INDEX: '2' }, /PARTITION_INDEX 2 is not below RISK_PARTITIONS \(2\)/],
    [{ ...REDIS, ...TOPOLOGY, ENGINE_ROLE: 'matching', PARTITION_INDEX: '-1' }, /PARTITION_INDEX must be a non-negative integer/],
    [{ ...REDIS, MATCHING_PARTITIONS: '1', ENGINE_ROLE: 'matching', PARTITION_INDEX: '0' }, /RISK_PARTITIONS is required/],
    [{ ...REDIS, ...TOPOLOGY, RISK_PARTITIONS: '0', ENGINE_ROLE: 'risk', PARTITION_INDEX: '0' }, /RISK_PARTITIONS must be at least 1/],
    [{ ...REDIS, ...TOPOLOGY, MARKET_PARTITIONS: '7:3', ENGINE_ROLE: 'risk', PARTITION_INDEX: '0' }, /market 7 assigned to matching partition 3, but MATCHING_PARTITIONS is 3/],
    [{ ...REDIS, ...TOPOLOGY, MARKET_PARTITIONS: '7=1', ENGINE_ROLE: 'risk', PARTITION_INDEX: '0' }, /expected marketId:matchingIndex, got 7=1/],
    [{ ...REDIS, ...TOPOLOGY, MARKET_PARTITIONS: '7:1,7:0', ENGINE_ROLE: 'risk', PARTITION_INDEX: '0' }, /market 7 assigned twice/],
    [{ ...REDIS, ...TOPOLOGY, MARKET_PARTITIONS: '0:1', ENGINE_ROLE: 'risk', PARTITION_INDEX: '0' }, /market id must be a positive integer/],
    [{ ...REDIS, ...TOPOLOGY, ENGINE_ROLE: 'risk', PARTITION_INDEX: '0', PARTITION: 'matching-0' }, /PARTITION matching-0 does not match ENGINE_ROLE=risk PARTITION_INDEX=0 \(risk-0\)/],
  ])('refuses %j', (env, message) => {
    expect(() => engineConfigFromEnv(env)).toThrow(EngineConfigError);
    expect(() => engineConfigFromEnv(env)).toThrow(message);
  });
});
