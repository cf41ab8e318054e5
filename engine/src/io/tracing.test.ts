// The trace context as it crosses processes: a sampled span's traceparent names its trace and
// span, a context or link rebuilt from it points at that span, and anything that is not a valid
// traceparent is refused rather than guessed at. Tracing is on only when an OTLP endpoint is set.

import { ROOT_CONTEXT, trace, TraceFlags, type Span, type SpanContext } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { contextOf, linkOf, traceparentOf, tracingEnabled } from './tracing.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';

function spanWith(traceFlags: number): Span {
  const spanContext: SpanContext = { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags };
  return trace.wrapSpanContext(spanContext);
}

describe('traceparents', () => {
  it('a sampled span gives the W3C traceparent of its trace and span', () => {
    expect(traceparentOf(spanWith(TraceFlags.SAMPLED))).toBe(`00-${TRACE_ID}-${SPAN_ID}-01`);
  });

  it('a span that is not sampled, or no span, gives none (nothing travels)', () => {
    expect(traceparentOf(spanWith(TraceFlags.NONE))).toBeNull();
    expect(traceparentOf(null)).toBeNull();
    expect(traceparentOf(undefined)).toBeNull();
  });

  it('a context rebuilt from a traceparent has the remote span as its parent', () => {
    const parent = trace.getSpanContext(contextOf(`00-${TRACE_ID}-${SPAN_ID}-01`));
    expect(parent).toEqual({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED, isRemote: true });
  });

  it('a link rebuilt from a traceparent points at the remote span', () => {
    expect(linkOf(`00-${TRACE_ID}-${SPAN_ID}-01`)).toEqual({ context: { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED, isRemote: true } });
  });

  it.each([
    ['empty', ''],
    ['unknown version', `01-${TRACE_ID}-${SPAN_ID}-01`],
    ['short trace id', `00-${TRACE_ID.slice(1)}-${SPAN_ID}-01`],
    ['upper case', `00-${TRACE_ID.toUpperCase()}-${SPAN_ID}-01`],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${SPAN_ID}-01`],
    ['all-zero span id', `00-${TRACE_ID}-${'0'.repeat(16)}-01`],
    ['trailing text', `00-${TRACE_ID}-${SPAN_ID}-01-extra`],
  ])('an invalid traceparent (%s) gives the root context and no link', (_name, text) => {
    expect(contextOf(text)).toBe(ROOT_CONTEXT);
    expect(linkOf(text)).toBeNull();
  });
});

describe('tracingEnabled', () => {
  it('is off without an OTLP endpoint', () => {
    expect(tracingEnabled({})).toBe(false);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: '' })).toBe(false);
  });

  it('is on with the general or the traces endpoint', () => {
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' })).toBe(true);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://jaeger:4318/v1/traces' })).toBe(true);
  });

  it('OTEL_SDK_DISABLED=true turns it off even with an endpoint', () => {
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318', OTEL_SDK_DISABLED: 'true' })).toBe(false);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318', OTEL_SDK_DISABLED: 'TRUE' })).toBe(false);
  });
});
