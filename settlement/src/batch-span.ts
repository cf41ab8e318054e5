// The span of one settlement batch, linked to the spans of the commands whose events it posts
// (their traceparents travel in the event frames), so a trace of an order leads to the ledger
// batch that recorded its money.

import type { EventFrame } from '../../engine/src/io/frame-codec.js';
import { linkOf, SpanKind, type Link, type Span, type Tracer } from '../../engine/src/io/tracing.js';

/** The most links one batch span carries (the SDK's default limit). */
export const BATCH_SPAN_LINKS_MAX = 128;

/** Starts the span of a batch of frames; null when tracing is off. */
export function startBatchSpan(tracer: Tracer | null, partition: string, frames: readonly EventFrame[]): Span | null {
  if (tracer === null) return null;
  const links: Link[] = [];
  for (const frame of frames) {
    for (const traceparent of frame.traceparents ?? []) {
      if (traceparent === null || links.length >= BATCH_SPAN_LINKS_MAX) continue;
      const link = linkOf(traceparent);
      if (link !== null) links.push(link);
    }
  }
  return tracer.startSpan('settlement batch', {
    kind: SpanKind.CONSUMER,
    links,
    attributes: {
      'exch.partition': partition,
      'exch.entries': frames.length,
      'exch.first_seq': frames[0]?.firstSeq ?? 0,
      'exch.last_seq': frames.at(-1)?.lastSeq ?? 0,
    },
  });
}
