// The gateway's reading of the partitioned engine's topology: the engine's own validation, and
// only together with ENGINE_REMOTE=1.

import { describe, expect, it } from 'vitest';
import { gatewayConfigFromEnv } from './gateway-config.js';

const TOPOLOGY = { RISK_PARTITIONS: '2', MATCHING_PARTITIONS: '3', MARKET_PARTITIONS: '7:2,8:0' };

describe('gatewayConfigFromEnv: the engine topology', () => {
  it('is null without the topology variables, and read with ENGINE_REMOTE=1', () => {
    expect(gatewayConfigFromEnv({ ENGINE_REMOTE: '1' }).engineTopology).toBeNull();
    expect(gatewayConfigFromEnv({ ENGINE_REMOTE: '1', ...TOPOLOGY }).engineTopology).toEqual({ riskPartitions: 2, matchingPartitions: 3, marketPartitions: { 7: 2, 8: 0 } });
  });

  it('refuses a topology without ENGINE_REMOTE=1, an incomplete one, and an invalid one', () => {
    expect(() => gatewayConfigFromEnv(TOPOLOGY)).toThrow(/RISK_PARTITIONS, MATCHING_PARTITIONS, MARKET_PARTITIONS set without ENGINE_REMOTE=1/);
    expect(() => gatewayConfigFromEnv({ ENGINE_REMOTE: '1', RISK_PARTITIONS: '2' })).toThrow(/MATCHING_PARTITIONS is required with a partitioned engine/);
    expect(() => gatewayConfigFromEnv({ ENGINE_REMOTE: '1', ...TOPOLOGY, MARKET_PARTITIONS: '7:3' })).toThrow(/market 7 assigned to matching partition 3, but MATCHING_PARTITIONS is 3/);
    expect(() => gatewayConfigFromEnv({ ENGINE_REMOTE: '1', ...TOPOLOGY, RISK_PARTITIONS: '0' })).toThrow(/RISK_PARTITIONS must be at least 1/);
  });
});
