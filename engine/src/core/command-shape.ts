// Shape checks for commands that may come from outside. A command whose fields have the wrong
// types is rejected with invalid_command before any rule looks at it; values of the right type
// but out of range get the specific code of the rule they break.

import {
  CLIENT_ORDER_ID_LENGTH_MAX,
  isId,
  type AccountLimits,
  type CancelInstruction,
  type Instruction,
  type PlaceInstruction,
  type ReplaceInstruction,
} from '@playchacha/protocol';

type Loose = Record<string, unknown>;

export function isObject(value: unknown): value is Loose {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isClientOrderId(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= CLIENT_ORDER_ID_LENGTH_MAX;
}

function isOptional(value: unknown, check: (v: unknown) => boolean): boolean {
  return value === undefined || check(value);
}

const isNumber = (v: unknown): boolean => typeof v === 'number';
const isBoolean = (v: unknown): boolean => typeof v === 'boolean';
const isSide = (v: unknown): boolean => v === 'back' || v === 'lay';
const isPersistence = (v: unknown): boolean => v === 'lapse' || v === 'persist';
const isTimeInForce = (v: unknown): boolean => v === 'gtc' || v === 'fok' || v === 'ioc';
const isSelfTrade = (v: unknown): boolean =>
  v === 'cancel_newest' || v === 'cancel_oldest' || v === 'cancel_both';
const isRunner = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v);

export function isPlaceShape(value: Loose): boolean {
  return (
    isClientOrderId(value['clientOrderId']) &&
    isId(value['marketId']) &&
    isRunner(value['runnerIndex']) &&
    isSide(value['side']) &&
    isNumber(value['priceTicks']) &&
    isNumber(value['stakeMinor']) &&
    isOptional(value['persistence'], isPersistence) &&
    isOptional(value['timeInForce'], isTimeInForce) &&
    isOptional(value['minFillMinor'], isNumber) &&
    isOptional(value['postOnly'], isBoolean) &&
    isOptional(value['selfTrade'], isSelfTrade)
  );
}

export function isCancelShape(value: Loose): boolean {
  return (
    isId(value['marketId']) &&
    isId(value['orderId']) &&
    isOptional(value['reduceByMinor'], (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1)
  );
}

export function isReplaceShape(value: Loose): boolean {
  return (
    isId(value['marketId']) &&
    isId(value['orderId']) &&
    isClientOrderId(value['clientOrderId']) &&
    isNumber(value['priceTicks'])
  );
}

/**
 * An instruction checked for shape; null when malformed. `kind` is given for the single-order
 * commands (PlaceOrder, ...), which carry the instruction's fields without a kind of their own;
 * the returned object is then a view of the command with that kind.
 */
export function asInstruction(value: unknown, kind?: Instruction['kind']): Instruction | null {
  if (!isObject(value)) return null;
  switch (kind ?? value['kind']) {
    case 'place':
      return isPlaceShape(value) ? withKind<PlaceInstruction>(value, 'place', kind) : null;
    case 'cancel':
      return isCancelShape(value) ? withKind<CancelInstruction>(value, 'cancel', kind) : null;
    case 'replace':
      return isReplaceShape(value) ? withKind<ReplaceInstruction>(value, 'replace', kind) : null;
    default:
      return null;
  }
}

function withKind<T extends Instruction>(value: Loose, kind: T['kind'], given: Instruction['kind'] | undefined): T {
  if (given === undefined) return value as unknown as T;
  // A fresh object with a fixed shape per kind keeps the checks monomorphic.
  switch (kind) {
    case 'place':
      return {
        kind,
        clientOrderId: value['clientOrderId'],
        marketId: value['marketId'],
        runnerIndex: value['runnerIndex'],
        side: value['side'],
        priceTicks: value['priceTicks'],
        stakeMinor: value['stakeMinor'],
        persistence: value['persistence'],
        timeInForce: value['timeInForce'],
        minFillMinor: value['minFillMinor'],
        postOnly: value['postOnly'],
        selfTrade: value['selfTrade'],
      } as unknown as T;
    case 'cancel':
      return { kind, marketId: value['marketId'], orderId: value['orderId'], reduceByMinor: value['reduceByMinor'] } as unknown as T;
    case 'replace':
      return { kind, marketId: value['marketId'], orderId: value['orderId'], clientOrderId: value['clientOrderId'], priceTicks: value['priceTicks'] } as unknown as T;
  }
}

const LIMIT_KEYS = new Set([
  'stakeMinorMax',
  'marketExposureMinorMax',
  'openOrdersMax',
  'lossLimitMinor',
  'lossLimitPeriodMs',
]);

/** Account limits with every present value a safe integer in range; null when invalid. */
export function asLimits(value: unknown): AccountLimits | null {
  if (!isObject(value)) return null;
  const limits: Record<string, number> = {};
  for (const [key, limit] of Object.entries(value)) {
    if (!LIMIT_KEYS.has(key)) return null;
    if (limit === undefined) continue;
    if (typeof limit !== 'number' || !Number.isSafeInteger(limit)) return null;
    const minimum = key === 'lossLimitMinor' || key === 'marketExposureMinorMax' ? 0 : 1;
    if (limit < minimum) return null;
    limits[key] = limit;
  }
  return limits as AccountLimits;
}
