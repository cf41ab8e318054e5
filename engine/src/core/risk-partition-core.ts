// A risk partition: the risk stage for the accounts the topology gives it (and its share of the
// house account), on its own journal. It applies account commands and order commands (R1: check
// and hold), handing approved instructions to the matching partitions of their markets, and
// applies the market events matching partitions hand back (R2: fills, closes, settlements for its
// accounts). Pure and deterministic like ExchangeCore: replaying its journal gives the same state.

import { assert, type AccountId, type CloseReason, type Command, type MarketEvent, type MarketId, type RejectCode, type Side } from '@playchacha/protocol';
import { PartitionCoreBase, type PartitionApplied, type PartitionEnvelope, type PartitionSnapshotHeader } from './partition-core-base.js';
import { OrderEntry, massCancelRejectCode, type MatchingPort } from './order-entry.js';
import type { PartitionTopology } from './partition-topology.js';
import { RiskStage, type RiskSnapshot } from './risk-stage.js';
import type { ApprovedInstruction, HandOff, MatchingStep } from './stage-messages.js';
import { StateHasher } from './state-hash.js';

export type { PartitionApplied, PartitionEnvelope } from './partition-core-base.js';

export interface RiskPartitionSnapshot extends PartitionSnapshotHeader {
  readonly risk: RiskSnapshot;
}

export class RiskPartitionCore extends PartitionCoreBase<MatchingStep> implements MatchingPort {
  readonly risk: RiskStage;
  private readonly entry: OrderEntry;

  constructor(
    private readonly topology: PartitionTopology,
    index: number,
  ) {
    assert(Number.isSafeInteger(index) && index >= 0 && index < topology.riskNames.length, `no risk partition ${index}`);
    super(topology.riskNames[index] as string);
    // Order ids: partition i of n gives i + 1, i + 1 + n, ... so ids are unique across partitions.
    this.risk = new RiskStage({ emit: (event) => this.events.push(event) }, topology.config.riskPartitions, index + 1);
    this.risk.partitionShare = true;
    this.entry = new OrderEntry(this.risk, this, (event) => this.events.push(event));
  }

  nextReleaseAtMs(): number | null {
    return null;
  }

  apply(envelope: PartitionEnvelope): PartitionApplied {
    return this.applyEnvelope(envelope, () => {
      this.risk.beginCommand(envelope.seq, envelope.timestampMs);
      this.dispatch(envelope.seq, envelope.command as unknown);
      this.risk.endCommand();
    });
  }

  protected handOffBody(steps: MatchingStep[]): Pick<HandOff, 'steps'> {
    return { steps };
  }

  protected route(commandSeq: number, command: Command): RejectCode | null {
    const answered = this.entry.accountCommand(commandSeq, command);
    if (answered !== undefined) return answered;
    switch (command.type) {
      case 'MassCancel': {
        // An operator's mass cancel of a market goes to the market's matching partition.
        if (command.accountId === undefined) return 'invalid_command';
        const code = massCancelRejectCode(command, (accountId) => this.risk.accountExists(accountId), (marketId) => this.risk.markets.get(marketId)?.runnerCount);
        if (code !== null) return code;
        this.massCancel(command.accountId, command.marketId, command.runnerIndex, command.side, 'mass_cancelled');
        return null;
      }
      case 'Clock':
        return null;
      default:
        return 'invalid_command';
    }
  }

  /** R2: the market events a matching partition handed over, for this partition's accounts. */
  protected receive(handOff: HandOff): void {
    if (!this.marks.accept(handOff)) return;
    for (const event of handOff.events ?? []) this.onMarketEvent(event);
  }

  private onMarketEvent(event: MarketEvent): void {
    switch (event.type) {
      case 'OrderMatched':
        // Each side goes to the partition of its account; both may be here.
        if (this.topology.riskOf(event.backAccountId) === this.partition) this.risk.applyFill(event.backOrderId, event.stakeMinor, event.liabilityMinor);
        if (this.topology.riskOf(event.layAccountId) === this.partition) this.risk.applyFill(event.layOrderId, event.stakeMinor, event.liabilityMinor);
        return;
      case 'OrderAccepted':
        this.risk.fitHeld(event.orderId, event.stakeMinor);
        return;
      default:
        this.risk.onMarketEvent(event);
    }
  }

  // ----- MatchingPort: what R1 hands on --------------------------------------------------

  execute(instruction: ApprovedInstruction): void {
    this.outgoingFor(this.topology.matchingOf(instruction.marketId)).push(instruction);
  }

  /** Fans out to every matching partition that hosts a market on which the account has orders. */
  massCancel(accountId: AccountId, marketId: MarketId | undefined, runnerIndex: number | undefined, side: Side | undefined, reason: CloseReason): void {
    const destinations = new Set<string>();
    for (const order of this.risk.orders.values()) {
      if (order.accountId !== accountId || (marketId !== undefined && order.marketId !== marketId)) continue;
      destinations.add(this.topology.matchingOf(order.marketId));
    }
    for (const destination of [...destinations].sort()) {
      this.outgoingFor(destination).push({
        kind: 'account_cancel',
        accountId,
        ...(marketId === undefined ? {} : { marketId }),
        ...(runnerIndex === undefined ? {} : { runnerIndex }),
        ...(side === undefined ? {} : { side }),
        reason,
      });
    }
  }


  // ----- Snapshots and hash ---------------------------------------------------------------

  snapshot(): RiskPartitionSnapshot {
    return { ...this.snapshotHeader(), risk: this.risk.exportState() };
  }

  static fromSnapshot(snapshot: RiskPartitionSnapshot, topology: PartitionTopology): RiskPartitionCore {
    const index = topology.riskNames.indexOf(snapshot.partition);
    assert(index >= 0, `snapshot of ${snapshot.partition}, not a risk partition of this topology`);
    const core = new RiskPartitionCore(topology, index);
    core.restoreHeader(snapshot);
    core.risk.importState(snapshot.risk);
    return core;
  }

  /** A hash of the accounts, positions, held orders, sequence numbers and hand-off marks. */
  stateHash(): string {
    const hasher = new StateHasher();
    const risk = this.risk;
    hasher.string(this.partition).number(this.lastAppliedSeq).number(risk.orderIdNextValue).number(risk.netTransfersMinor);
    for (const market of risk.markets.values()) hasher.number(market.marketId).string(market.status);
    risk.hashAccounts(hasher);
    for (const order of risk.orders.values()) hasher.number(order.orderId).number(order.accountId).number(order.remainingMinor);
    this.marks.hash(hasher);
    return hasher.digest();
  }

  /** Money is conserved within the partition: its balances (its house share included) sum to its transfers. */
  checkInvariants(): void {
    let balances = 0;
    for (const account of this.risk.accounts.values()) {
      balances += account.balanceMinor;
      let exposure = 0;
      for (const position of account.positions.values()) exposure += position.exposureMinor;
      assert(account.exposureMinor === exposure, `account ${account.accountId} exposure is the sum over its markets`);
    }
    assert(balances === this.risk.netTransfersMinor, `${this.partition}: balances sum to its deposits minus withdrawals (${balances} vs ${this.risk.netTransfersMinor})`);
  }
}
