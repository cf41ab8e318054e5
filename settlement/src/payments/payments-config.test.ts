import { describe, expect, it } from 'vitest';
import { paymentsConfigFromEnv } from './payments-config.js';

const jwt = { secret: new TextEncoder().encode('a-test-secret-of-at-least-32-bytes!!'), issuer: 'playchacha', audience: 'playchacha' };
const keys = { STRIPE_SECRET_KEY: 'sk_test_x', STRIPE_WEBHOOK_SECRET: 'whsec_x' };

describe('the payments configuration', () => {
  it('uses Stripe\'s own API unless STRIPE_API_URL names another origin', () => {
    expect(paymentsConfigFromEnv(keys, jwt).stripe).toEqual({ secretKey: 'sk_test_x', webhookSecret: 'whsec_x', apiUrl: null });
    expect(paymentsConfigFromEnv({ ...keys, STRIPE_API_URL: 'http://127.0.0.1:12111' }, jwt).stripe?.apiUrl).toBe('http://127.0.0.1:12111');
    expect(() => paymentsConfigFromEnv({ ...keys, STRIPE_API_URL: 'ftp://127.0.0.1' }, jwt)).toThrow(/STRIPE_API_URL/);
    expect(() => paymentsConfigFromEnv({ ...keys, STRIPE_API_URL: 'http://127.0.0.1:1/v1' }, jwt)).toThrow(/STRIPE_API_URL/);
  });

  it('has no Stripe without both keys, and refuses one without the other', () => {
    expect(paymentsConfigFromEnv({}, jwt).stripe).toBeNull();
    expect(() => paymentsConfigFromEnv({ STRIPE_SECRET_KEY: 'sk_test_x' }, jwt)).toThrow(/both/);
  });

  it('routes transfers by a partitioned engine\'s topology when given one, never with PARTITION too', () => {
    expect(paymentsConfigFromEnv({}, jwt).topology).toBeNull();
    const topology = { RISK_PARTITIONS: '2', MATCHING_PARTITIONS: '3', MARKET_PARTITIONS: '7:2' };
    expect(paymentsConfigFromEnv(topology, jwt).topology).toEqual({ riskPartitions: 2, matchingPartitions: 3, marketPartitions: { 7: 2 } });
    expect(() => paymentsConfigFromEnv({ RISK_PARTITIONS: '2' }, jwt)).toThrow(/MATCHING_PARTITIONS is required/);
    expect(() => paymentsConfigFromEnv({ ...topology, PARTITION: 'p0' }, jwt)).toThrow(/exclusive/);
  });
});
