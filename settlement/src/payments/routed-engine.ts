// Deposits and withdrawals over a partitioned engine: each goes to its account's risk partition
// (the topology's riskOf), through that partition's EngineClient.

import type { Command, EngineEvent } from '@playchacha/protocol';
import type { PartitionTopology } from '../../../engine/src/core/partition-topology.js';
import type { EngineSubmitter } from './engine-answers.js';

export class RoutedEngine implements EngineSubmitter {
  constructor(
    private readonly topology: PartitionTopology,
    /** One submitter per risk partition, by name. */
    private readonly partitions: ReadonlyMap<string, EngineSubmitter>,
  ) {
    for (const name of topology.riskNames) if (!partitions.has(name)) throw new Error(`no engine client for ${name}`);
  }

  submit(command: Command): Promise<readonly EngineEvent[]> {
    const name = this.topology.riskOf((command as { accountId?: unknown }).accountId);
    return (this.partitions.get(name) as EngineSubmitter).submit(command);
  }
}
