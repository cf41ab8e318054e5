// OpenTelemetry tracing for the services (gateway, engine, settlement worker). Tracing is on when
// the standard OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set and
// OTEL_SDK_DISABLED is not true: spans go over OTLP/HTTP (JSON) through a batch processor, sampled
// as OTEL_TRACES_SAMPLER says (parent-based, always on, by default). Otherwise the tracer is null
// and callers skip tracing with one null check, building nothing.
//
// A trace crosses processes as a W3C traceparent (`00-<trace id>-<span id>-<flags>`): the gateway
// sends the one of its order span with the command, the journal frame and the events frame carry
// it beside the command's envelope, and the engine and the settlement worker make spans parented
// to it or linked to it. Only sampled contexts travel.

import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace, type Context, type Link, type Span, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

export { SpanKind, SpanStatusCode, type Link, type Span, type Tracer };

export interface Tracing {
  /** Null when tracing is off. */
  readonly tracer: Tracer | null;
  /** Exports what is still buffered (call before the process exits). */
  shutdown(): Promise<void>;
}

const TRACING_OFF: Tracing = { tracer: null, shutdown: async () => undefined };

/** True when the environment asks for OTLP export. */
export function tracingEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  if ((env['OTEL_SDK_DISABLED'] ?? '').toLowerCase() === 'true') return false;
  return (env['OTEL_EXPORTER_OTLP_ENDPOINT'] ?? '') !== '' || (env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] ?? '') !== '';
}

/**
 * Starts the process's tracer provider (registered globally, with the async-hooks context
 * manager) when the environment asks for it. OTEL_SERVICE_NAME overrides `serviceName`.
 */
export function startTracing(serviceName: string, env: NodeJS.ProcessEnv = process.env): Tracing {
  if (!tracingEnabled(env)) return TRACING_OFF;
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: env['OTEL_SERVICE_NAME'] ?? serviceName,
      [ATTR_SERVICE_VERSION]: '0.1.0',
    }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter(), { scheduledDelayMillis: 1_000 })],
  });
  provider.register();
  return {
    tracer: provider.getTracer('playchacha'),
    shutdown: () => provider.shutdown(),
  };
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const INVALID_TRACE_ID = '0'.repeat(32);
const INVALID_SPAN_ID = '0'.repeat(16);

/** The W3C traceparent of a sampled span; null for a span that is not sampled (or no span). */
export function traceparentOf(span: Span | null | undefined): string | null {
  if (span === null || span === undefined) return null;
  const context = span.spanContext();
  if ((context.traceFlags & TraceFlags.SAMPLED) === 0) return null;
  return `00-${context.traceId}-${context.spanId}-01`;
}

/** The remote span context a traceparent names, or null when the text is not a valid traceparent. */
function spanContextOf(traceparent: string): { traceId: string; spanId: string; traceFlags: number; isRemote: true } | null {
  const match = TRACEPARENT.exec(traceparent);
  if (match === null) return null;
  const [, traceId, spanId, flags] = match as unknown as [string, string, string, string];
  if (traceId === INVALID_TRACE_ID || spanId === INVALID_SPAN_ID) return null;
  return { traceId, spanId, traceFlags: Number.parseInt(flags, 16) & TraceFlags.SAMPLED, isRemote: true };
}

/** A context whose parent is the span a traceparent names (the root context if it is not valid). */
export function contextOf(traceparent: string): Context {
  const spanContext = spanContextOf(traceparent);
  return spanContext === null ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, spanContext);
}

/** A span link to the span a traceparent names, or null when the text is not a valid traceparent. */
export function linkOf(traceparent: string): Link | null {
  const spanContext = spanContextOf(traceparent);
  return spanContext === null ? null : { context: spanContext };
}

/** Ends a span as failed with the error's message. */
export function endWithError(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  span.end();
}
