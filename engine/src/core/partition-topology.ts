// Which partition owns what. Accounts go to risk partitions by a fixed rule: account a to risk
// partition (a mod riskPartitions); the house account (0) has a share in every risk partition.
// Markets go to matching partitions as configured (a market not listed: marketId mod
// matchingPartitions). A partition hosts many markets or accounts. The topology is configuration,
// not state: every partition of a deployment must be given the same one.

import { assert, isId, type AccountId, type MarketId } from '@playchacha/protocol';
import { MARKET_COMMAND_TYPES } from './model.js';

export interface PartitionTopologyConfig {
  readonly riskPartitions: number;
  readonly matchingPartitions: number;
  /** Market id → matching partition index. */
  readonly marketPartitions?: Readonly<Record<number, number>>;
}

export class PartitionTopology {
  readonly riskNames: readonly string[];
  readonly matchingNames: readonly string[];

  constructor(readonly config: PartitionTopologyConfig) {
    assert(Number.isSafeInteger(config.riskPartitions) && config.riskPartitions >= 1, 'at least one risk partition');
    assert(Number.isSafeInteger(config.matchingPartitions) && config.matchingPartitions >= 1, 'at least one matching partition');
    for (const index of Object.values(config.marketPartitions ?? {})) {
      assert(Number.isSafeInteger(index) && index >= 0 && index < config.matchingPartitions, `market assigned to a matching partition that does not exist: ${index}`);
    }
    this.riskNames = Array.from({ length: config.riskPartitions }, (_, index) => riskPartitionName(index));
    this.matchingNames = Array.from({ length: config.matchingPartitions }, (_, index) => matchingPartitionName(index));
  }

  /** The risk partition of an account; malformed ids go to the first (which rejects them). */
  riskOf(accountId: unknown): string {
    if (!isId(accountId)) return this.riskNames[0] as string;
    return this.riskNames[(accountId as AccountId) % this.config.riskPartitions] as string;
  }

  /** The matching partition of a market; malformed ids go to the first (which rejects them). */
  matchingOf(marketId: unknown): string {
    if (!isId(marketId)) return this.matchingNames[0] as string;
    const configured = this.config.marketPartitions?.[marketId as MarketId];
    return this.matchingNames[configured ?? (marketId as MarketId) % this.config.matchingPartitions] as string;
  }
}

export function riskPartitionName(index: number): string {
  return `risk-${index}`;
}

export function matchingPartitionName(index: number): string {
  return `matching-${index}`;
}

/**
 * The partitions an outside command goes to: account and order commands to the account's risk
 * partition, market commands (and an operator's mass cancel of a market) to the market's matching
 * partition, Clock to every matching partition. Anything unreadable goes to the first risk
 * partition, which rejects it.
 */
export function routeCommand(topology: PartitionTopology, command: unknown): readonly string[] {
  if (typeof command !== 'object' || command === null) return [topology.riskNames[0] as string];
  const fields = command as Record<string, unknown>;
  if (typeof fields['type'] === 'string' && MARKET_COMMAND_TYPES.has(fields['type'])) return [topology.matchingOf(fields['marketId'])];
  switch (fields['type']) {
    case 'MassCancel':
      return fields['accountId'] === undefined && fields['marketId'] !== undefined
        ? [topology.matchingOf(fields['marketId'])]
        : [topology.riskOf(fields['accountId'])];
    case 'Clock':
      return topology.matchingNames;
    default:
      return [topology.riskOf(fields['accountId'])];
  }
}
