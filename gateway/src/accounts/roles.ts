// Who may do what. The role travels in the access token and is read from the database again on
// every refresh, so a change takes effect within one access-token lifetime.

export const ROLES = ['bettor', 'market_maker', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Roles that may hold API keys (for the WebSocket API and REST). */
export const API_KEY_ROLES: readonly Role[] = ['market_maker', 'admin'];
