// The bettor's session in the browser: the access token lives only in memory; the refresh token
// stays in the web server's httpOnly cookie and is exchanged for a new access token on load, before
// expiry, and after a 401. Every REST call goes through api(), same origin, under /api.

export type Role = 'bettor' | 'market_maker' | 'admin' | string;

export interface SessionState {
  accessToken: string | null;
  accountId: number | null;
  role: Role | null;
  /** False until the first attempt to restore a session from the cookie has finished. */
  restored: boolean;
}

export const session: SessionState = $state({ accessToken: null, accountId: null, role: null, restored: false });

interface SessionAnswer {
  readonly accessToken: string;
  readonly expiresInSeconds: number;
  readonly accountId: number;
  readonly role: Role;
}

/** A failed request with the gateway's stable code. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let refreshTimer: ReturnType<typeof setTimeout> | null = null;
let refreshing: Promise<boolean> | null = null;

function adopt(answer: SessionAnswer): void {
  session.accessToken = answer.accessToken;
  session.accountId = answer.accountId;
  session.role = answer.role;
  if (refreshTimer !== null) clearTimeout(refreshTimer);
  // Refresh a minute before expiry (or at half-life for very short tokens).
  const leadSeconds = Math.min(60, answer.expiresInSeconds / 2);
  refreshTimer = setTimeout(() => void refresh(), (answer.expiresInSeconds - leadSeconds) * 1000);
}

function forget(): void {
  session.accessToken = null;
  session.accountId = null;
  session.role = null;
  if (refreshTimer !== null) clearTimeout(refreshTimer);
  refreshTimer = null;
}

async function failureOf(response: Response): Promise<ApiFailure> {
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string } };
    return new ApiFailure(response.status, body.error?.code ?? 'http_' + response.status, body.error?.message ?? response.statusText);
  } catch {
    return new ApiFailure(response.status, 'http_' + response.status, response.statusText || 'The request failed.');
  }
}

/** Exchanges the refresh cookie for a new access token; one exchange at a time (the token rotates). */
export function refresh(): Promise<boolean> {
  refreshing ??= (async () => {
    try {
      const response = await fetch('/session/refresh', { method: 'POST' });
      if (!response.ok) {
        if (response.status === 401) forget();
        return false;
      }
      adopt((await response.json()) as SessionAnswer);
      return true;
    } catch {
      return false;
    } finally {
      refreshing = null;
      session.restored = true;
    }
  })();
  return refreshing;
}

export async function login(email: string, password: string): Promise<void> {
  const response = await fetch('/session/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (!response.ok) throw await failureOf(response);
  adopt((await response.json()) as SessionAnswer);
}

export async function logout(): Promise<void> {
  forget();
  await fetch('/session/logout', { method: 'POST' }).catch(() => undefined);
}

export interface ApiOptions {
  readonly method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly body?: unknown;
  readonly idempotencyKey?: string;
  /** Send without the access token even when logged in. */
  readonly anonymous?: boolean;
}

/** A REST call to the gateway through /api; throws ApiFailure with the gateway's code. */
export async function api<T>(path: string, options: ApiOptions = {}): Promise<T> {
  const send = (): Promise<Response> => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
    if (options.anonymous !== true && session.accessToken !== null) headers['authorization'] = `Bearer ${session.accessToken}`;
    return fetch(`/api${path}`, {
      method: options.method ?? 'GET',
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
  };
  let response = await send();
  if (response.status === 401 && session.accessToken !== null && options.anonymous !== true && (await refresh())) response = await send();
  if (!response.ok) throw await failureOf(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** A fresh idempotency key for one user action (reused if that action is retried). */
export function newIdempotencyKey(prefix: string): string {
  // getRandomValues works outside secure contexts too (randomUUID does not).
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `${prefix}-${Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')}`;
}
