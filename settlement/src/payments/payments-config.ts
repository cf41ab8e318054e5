// The payments service's configuration, from the environment. Without STRIPE_SECRET_KEY and
// STRIPE_WEBHOOK_SECRET there is no Stripe: only the labelled test deposit and TEST payout flows
// are offered. STRIPE_API_URL points the Stripe client at another Stripe-compatible API (tests). KYC_DEPOSIT_CAP_MINOR is the gateway's (the same value in every deployment): unset,
// the KYC caps are off.

import { TRANSFER_MINOR_MAX } from '@playchacha/protocol';
import type { PartitionTopologyConfig } from '../../../engine/src/core/partition-topology.js';
import { partitionTopologyFromEnv } from '../../../engine/src/io/engine-config.js';

export interface PaymentsConfig {
  readonly jwtSecret: Uint8Array;
  readonly jwtIssuer: string;
  readonly jwtAudience: string;
  /** Both keys or neither; apiUrl (STRIPE_API_URL) null for Stripe's own API. */
  readonly stripe: { readonly secretKey: string; readonly webhookSecret: string; readonly apiUrl?: string | null } | null;
  /** ISO currency of deposits and payouts (lower case, as Stripe spells it). */
  readonly currency: string;
  /** Largest single deposit or withdrawal. */
  readonly transferMinorMax: number;
  /** Most an account may deposit in any 24 hours (deposits not failed or canceled). */
  readonly depositDailyMinorMax: number;
  /** The cap on an unverified (or pending) account's total deposits, which also turns on the KYC caps; null: off. */
  readonly kycDepositCapMinor: number | null;
  /** The engine partition that holds the accounts (a whole engine). */
  readonly partition: string;
  /** A partitioned engine's topology (RISK_PARTITIONS, ...): transfers go to the account's risk partition; null: a whole engine. */
  readonly topology?: PartitionTopologyConfig | null;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
}

function kycCap(text: string | undefined): number | null {
  if (text === undefined || text === '') return null;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error('KYC_DEPOSIT_CAP_MINOR must be a non-negative integer');
  return value;
}

function stripeApiUrl(text: string | undefined): string | null {
  if (text === undefined || text === '') return null;
  if (!/^https?:\/\/[^/]+\/?$/.test(text)) throw new Error('STRIPE_API_URL must be an http(s) origin, such as http://127.0.0.1:12111');
  return text;
}

/** `jwt`: the access tokens' key, issuer and audience when the gateway hosts the routes (instead of JWT_*). */
export function paymentsConfigFromEnv(env: NodeJS.ProcessEnv, jwt?: { readonly secret: Uint8Array; readonly issuer: string; readonly audience: string }): PaymentsConfig {
  const secret = env['JWT_SECRET'];
  if (jwt === undefined && (secret === undefined || Buffer.byteLength(secret) < 32)) throw new Error('JWT_SECRET (at least 32 bytes, the gateway\'s) is required');
  const secretKey = env['STRIPE_SECRET_KEY'] ?? '';
  const webhookSecret = env['STRIPE_WEBHOOK_SECRET'] ?? '';
  if ((secretKey === '') !== (webhookSecret === '')) throw new Error('set both STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET, or neither');
  return {
    jwtSecret: jwt?.secret ?? new TextEncoder().encode(secret),
    jwtIssuer: jwt?.issuer ?? env['JWT_ISSUER'] ?? 'playchacha',
    jwtAudience: jwt?.audience ?? env['JWT_AUDIENCE'] ?? 'playchacha',
    stripe: secretKey === '' ? null : { secretKey, webhookSecret, apiUrl: stripeApiUrl(env['STRIPE_API_URL']) },
    currency: (env['PAYMENTS_CURRENCY'] ?? 'gbp').toLowerCase(),
    transferMinorMax: Math.min(integer(env, 'TRANSFER_MINOR_MAX', 1_000_000), TRANSFER_MINOR_MAX),
    depositDailyMinorMax: integer(env, 'DEPOSIT_DAILY_MINOR_MAX', 500_000),
    kycDepositCapMinor: kycCap(env['KYC_DEPOSIT_CAP_MINOR']),
    partition: env['PARTITION'] ?? 'p0',
    topology: partitionedTopology(env),
  };
}

function partitionedTopology(env: NodeJS.ProcessEnv): PartitionTopologyConfig | null {
  if ((env['RISK_PARTITIONS'] ?? '') === '' && (env['MATCHING_PARTITIONS'] ?? '') === '') return null;
  if ((env['PARTITION'] ?? '') !== '') throw new Error('PARTITION and a partitioned engine topology are exclusive');
  return partitionTopologyFromEnv(env, 'a partitioned engine');
}
