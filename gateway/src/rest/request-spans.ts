// Spans of REST requests that reach the engine (order entry): a route's onRequest hook starts the
// span, its handler sends the span's traceparent with the command, its onResponse hook ends it with
// the status code. With tracing off the hooks do nothing.

import type { FastifyReply, FastifyRequest } from 'fastify';
import { SpanKind, SpanStatusCode, traceparentOf, type Span, type Tracer } from '../../../engine/src/io/tracing.js';

const spans = new WeakMap<FastifyRequest, Span>();

/** Route hooks that trace each request of the route as one server span. */
export function tracedRoute(tracer: Tracer | null, name: string) {
  return {
    onRequest: async (request: FastifyRequest): Promise<void> => {
      if (tracer === null) return;
      spans.set(request, tracer.startSpan(name, { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method, 'http.route': request.routeOptions.url ?? '' } }));
    },
    onResponse: async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
      const span = spans.get(request);
      if (span === undefined) return;
      spans.delete(request);
      span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    },
  };
}

/** The traceparent of a request's span, or null when it is not traced. */
export function requestTraceparent(request: FastifyRequest): string | null {
  return traceparentOf(spans.get(request));
}
