// The gateway's access token (gateway/src/accounts/access-tokens.ts): HS256, the configured issuer
// and audience, an `exp`, and the account id as `sub`. The token alone decides the account.

import { errors as joseErrors, jwtVerify } from 'jose';
import { isId, type AccountId } from '@playchacha/protocol';
import type { FastifyRequest } from 'fastify';
import { PaymentError } from './payments-errors.js';

export interface AccessTokenOptions {
  readonly secret: Uint8Array;
  readonly issuer: string;
  readonly audience: string;
}

export async function accountOfRequest(request: FastifyRequest, options: AccessTokenOptions): Promise<AccountId> {
  const header = request.headers.authorization ?? '';
  const match = /^Bearer ([A-Za-z0-9_\-.]+)$/.exec(header);
  if (match?.[1] === undefined) throw new PaymentError('unauthorized');
  try {
    const { payload } = await jwtVerify(match[1], options.secret, {
      algorithms: ['HS256'],
      issuer: options.issuer,
      audience: options.audience,
      requiredClaims: ['exp', 'sub'],
      clockTolerance: 5,
    });
    const accountId = /^[1-9][0-9]{0,15}$/.test(payload.sub ?? '') ? Number(payload.sub) : NaN;
    if (!isId(accountId)) throw new PaymentError('unauthorized');
    return accountId;
  } catch (error) {
    if (error instanceof joseErrors.JOSEError) throw new PaymentError('unauthorized');
    throw error;
  }
}
