// Where /api/v1/payments goes: PAYMENTS_URL (the payments service, as the ingress routes it), or
// without it the gateway, which serves those routes itself on the embedded default. A gateway that
// does not serve them answers its 404 `not_found`, which the web server passes on as
// `payments_unavailable` so the wallet can say withdrawals are not connected here.

export function isPaymentsPath(path: string): boolean {
  return path.startsWith('v1/payments/');
}

/** True for the gateway's answer to a payments route it does not serve. */
export function paymentsNotServed(status: number, body: ArrayBuffer | null): boolean {
  if (status !== 404 || body === null) return false;
  try {
    return (JSON.parse(new TextDecoder().decode(body)) as { error?: { code?: unknown } } | null)?.error?.code === 'not_found';
  } catch {
    return false;
  }
}
