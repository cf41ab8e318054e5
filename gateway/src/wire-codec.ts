// Frames on the wire: JSON in text frames, msgpack in binary frames. A connection answers in the
// encoding of its upgrade (`?encoding=json|msgpack`, default json). Decoding never throws: a frame
// that does not decode is reported, and nothing else happens.

import { Decoder, Encoder } from '@msgpack/msgpack';
import { BATCH_INSTRUCTIONS_MAX } from '@playchacha/protocol';

export type WireEncoding = 'json' | 'msgpack';

const decoder = new Decoder({
  maxStrLength: 1024,
  maxBinLength: 0,
  maxArrayLength: BATCH_INSTRUCTIONS_MAX,
  maxMapLength: 32,
  maxExtLength: 0,
});
const encoder = new Encoder({ ignoreUndefined: true });
const textDecoder = new TextDecoder('utf-8', { fatal: true });

export type Decoded = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly detail: string };

/** Decodes one frame; the buffer is only read during the call. */
export function decodeFrame(data: ArrayBuffer | Uint8Array, isBinary: boolean): Decoded {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  try {
    if (isBinary) return { ok: true, value: decoder.decode(bytes) };
    return { ok: true, value: JSON.parse(textDecoder.decode(bytes)) as unknown };
  } catch (error) {
    return { ok: false, detail: error instanceof Error ? error.message : String(error) };
  }
}

export function encodeMessage(message: unknown, encoding: WireEncoding): string | Uint8Array {
  return encoding === 'json' ? JSON.stringify(message) : encoder.encode(message);
}
