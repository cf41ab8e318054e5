// Per-op latency: the timed loops store each op's duration (ns) into a preallocated array, and the
// HDR histogram (hdr-histogram-js) is filled afterwards, so recording costs nothing inside the loop.

import { build } from 'hdr-histogram-js';

export interface LatencySummary {
  readonly p50Ns: number;
  readonly p90Ns: number;
  readonly p99Ns: number;
  readonly p999Ns: number;
  readonly maxNs: number;
  readonly count: number;
}

export function summarize(durationsNs: Float64Array, count: number): LatencySummary {
  const histogram = build({
    bitBucketSize: 32,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000_000,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });
  for (let i = 0; i < count; i++) {
    const ns = Math.round(durationsNs[i] as number);
    histogram.recordValue(ns < 1 ? 1 : ns);
  }
  const summary: LatencySummary = {
    p50Ns: histogram.getValueAtPercentile(50),
    p90Ns: histogram.getValueAtPercentile(90),
    p99Ns: histogram.getValueAtPercentile(99),
    p999Ns: histogram.getValueAtPercentile(99.9),
    maxNs: histogram.maxValue,
    count,
  };
  histogram.destroy();
  return summary;
}

/** The cost of the timer itself: two back-to-back performance.now() calls. */
export function timerFloor(samples = 200_000): LatencySummary {
  const durations = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    const t1 = performance.now();
    durations[i] = (t1 - t0) * 1e6;
  }
  return summarize(durations, samples);
}
