// Journal frame bodies and event frames: written as msgpackr records (shapes defined inside each
// frame), read back exactly, readable on their own by any unpacker, and frames written before as
// plain maps still read the same.

import type { CommandEnvelope } from '@playchacha/protocol';
import { Packr, Unpackr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { decodeEventFrame, decodeFrameBody, encodeEventFrame, encodeFrameBody, type EventFrame, type FrameBody } from './frame-codec.js';

const BODY: FrameBody = {
  envelopes: [
    {
      seq: 7,
      timestampMs: 1_700_000_000_007,
      command: { type: 'PlaceOrder', accountId: 3, marketId: 1, runnerIndex: 0, side: 'back', priceTicks: 120, stakeMinor: 2_500, clientOrderId: 'c42' },
    },
    { seq: 8, timestampMs: 1_700_000_000_008, command: { type: 'CancelOrder', accountId: 3, marketId: 1, orderId: 19 } },
  ] as CommandEnvelope[],
  inboxIds: ['1700000000007-0', null],
  traceparents: ['00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', null],
};

// BODY as the journal wrote it before records (plain msgpack maps).
const PLAIN_MAPS_HEX =
  'de0003a9656e76656c6f70657392de0003a373657107ab74696d657374616d704d73cb4278bcfe56807000a7636f6d6d616e64de0008a474797065aa506c6163654f72646572a9' +
  '6163636f756e74496403a86d61726b6574496401ab72756e6e6572496e64657800a473696465a46261636baa70726963655469636b7378aa7374616b654d696e6f72cd09c4ad63' +
  '6c69656e744f726465724964a3633432de0003a373657108ab74696d657374616d704d73cb4278bcfe56808000a7636f6d6d616e64de0004a474797065ab43616e63656c4f7264' +
  '6572a96163636f756e74496403a86d61726b6574496401a76f72646572496413a8696e626f7849647392af313730303030303030303030372d30c0ac7472616365706172656e74' +
  '7392d93730302d30616637363531393136636434336464383434386562323131633830333139632d623761643662373136393230333333312d3031c0';

function placeOrders(count: number, firstSeq: number): FrameBody {
  const envelopes: CommandEnvelope[] = [];
  for (let i = 0; i < count; i++) {
    const seq = firstSeq + i;
    envelopes.push({
      seq,
      timestampMs: 1_700_000_000_000 + seq,
      command: { type: 'PlaceOrder', accountId: 1 + (seq % 50), marketId: 1, runnerIndex: seq % 3, side: seq % 2 === 0 ? 'back' : 'lay', priceTicks: 100 + (seq % 7), stakeMinor: 1_000 + seq, clientOrderId: `c${seq}` },
    } as CommandEnvelope);
  }
  return { envelopes, inboxIds: envelopes.map((e) => `${e.seq}-0`) };
}

describe('journal frame bodies', () => {
  it('read back exactly what was written', () => {
    expect(decodeFrameBody(encodeFrameBody(BODY))).toEqual(BODY);
    const big = placeOrders(1_000, 1);
    expect(decodeFrameBody(encodeFrameBody(big))).toEqual(big);
  });

  it('a frame with more object shapes than one-byte record ids (64) reads back exactly', () => {
    const envelopes = Array.from({ length: 200 }, (_, i) => ({
      seq: i + 1,
      timestampMs: 1_700_000_000_000 + i,
      command: { type: 'Deposit', accountId: 1, transferId: `t${i}`, amountMinor: 100 + i, [`extra${i}`]: i },
    })) as unknown as CommandEnvelope[];
    const body: FrameBody = { envelopes, inboxIds: envelopes.map(() => null) };
    expect(decodeFrameBody(encodeFrameBody(body))).toEqual(body);
    expect(new Unpackr({ mapsAsObjects: true }).unpack(encodeFrameBody(body))).toEqual(body);
  });

  it('frames written as plain maps (before records) still read the same', () => {
    expect(decodeFrameBody(Uint8Array.from(Buffer.from(PLAIN_MAPS_HEX, 'hex')))).toEqual(BODY);
  });

  it('each frame carries its own shapes: a fresh unpacker reads any frame, in any order', () => {
    const first = encodeFrameBody(placeOrders(10, 1));
    const second = encodeFrameBody({ envelopes: BODY.envelopes, inboxIds: BODY.inboxIds });
    const fresh = new Unpackr({ mapsAsObjects: true });
    expect(fresh.unpack(second)).toEqual({ envelopes: BODY.envelopes, inboxIds: BODY.inboxIds });
    expect(fresh.unpack(first)).toEqual(placeOrders(10, 1));
    expect(decodeFrameBody(second)).toEqual(decodeFrameBody(encodeFrameBody({ envelopes: BODY.envelopes, inboxIds: BODY.inboxIds })));
  });

  it('the same body always gives the same bytes (an append retry resends an identical frame)', () => {
    const body = placeOrders(100, 1);
    expect(Buffer.from(encodeFrameBody(body)).equals(Buffer.from(encodeFrameBody(placeOrders(100, 1))))).toBe(true);
  });

  it('a frame of order commands is under half its size as plain maps', () => {
    const body = placeOrders(1_000, 1);
    const plainMapsBytes = new Packr({ useRecords: false, mapsAsObjects: true }).pack(body).byteLength;
    expect(encodeFrameBody(body).byteLength).toBeLessThan(plainMapsBytes / 2);
  });
});

describe('event frames', () => {
  const fills = (count: number): EventFrame => ({
    firstSeq: 11,
    lastSeq: 10 + count,
    entries: Array.from({ length: count }, (_, i) => ({
      seq: 11 + i,
      inboxId: i % 2 === 0 ? `${11 + i}-0` : null,
      events: [
        { type: 'AccountUpdated', accountId: 3 + (i % 5), accountSeq: i + 1, balanceMinor: 10_000, exposureMinor: 200 * i, availableMinor: 10_000 - 200 * i },
        { type: 'PositionUpdated', accountId: 3 + (i % 5), marketId: 1, accountSeq: i + 1, exposureMinor: 200, escrowMinor: 200 },
      ],
    })),
  }) as unknown as EventFrame;

  it('read back exactly, also by an unpacker that writes plain maps (a consumer not yet upgraded)', () => {
    const frame = fills(300);
    expect(decodeEventFrame(encodeEventFrame(frame))).toEqual(frame);
    expect(new Unpackr({ useRecords: false, mapsAsObjects: true }).unpack(encodeEventFrame(frame))).toEqual(frame);
  });

  it('event frames published before records (plain maps) still read the same', () => {
    const frame = fills(3);
    expect(decodeEventFrame(new Packr({ useRecords: false, mapsAsObjects: true }).pack(frame))).toEqual(frame);
  });

  it('a frame of account and position updates is under half its size as plain maps', () => {
    const frame = fills(1_000);
    expect(encodeEventFrame(frame).byteLength).toBeLessThan(new Packr({ useRecords: false, mapsAsObjects: true }).pack(frame).byteLength / 2);
  });
});
