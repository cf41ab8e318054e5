// Geometry of the dashboard's small time-series charts, in SVG user units: the points of a line,
// the bars of per-interval amounts, and the value axis's top (a rounded-up maximum). Values are
// integers of minor units; only the drawing is scaled.

export interface SeriesPoint {
  readonly atMs: number;
  readonly value: number;
}

export interface ChartBox {
  readonly width: number;
  readonly height: number;
}

/** The smallest 1, 2 or 5 × 10^k at or above the largest value (at least 1), so the axis reads round. */
export function axisTop(values: readonly number[]): number {
  const largest = Math.max(1, ...values);
  let step = 1;
  for (;;) {
    for (const factor of [1, 2, 5]) if (factor * step >= largest) return factor * step;
    step *= 10;
  }
}

function xOf(point: SeriesPoint, first: number, last: number, box: ChartBox): number {
  return last === first ? box.width : ((point.atMs - first) / (last - first)) * box.width;
}

/** The `points` attribute of an SVG polyline through the series (time left to right, value bottom to top). */
export function linePoints(points: readonly SeriesPoint[], box: ChartBox, top = axisTop(points.map((point) => point.value))): string {
  if (points.length === 0) return '';
  const first = (points[0] as SeriesPoint).atMs;
  const last = (points[points.length - 1] as SeriesPoint).atMs;
  return points
    .map((point) => `${round(xOf(point, first, last, box))},${round(box.height - (point.value / top) * box.height)}`)
    .join(' ');
}

export interface Bar {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly point: SeriesPoint;
}

/** One bar per point, side by side across the width, each as tall as its share of the axis. */
export function bars(points: readonly SeriesPoint[], box: ChartBox, top = axisTop(points.map((point) => point.value))): Bar[] {
  if (points.length === 0) return [];
  const slot = box.width / points.length;
  const width = Math.max(1, slot * 0.8);
  return points.map((point, index) => {
    const height = (point.value / top) * box.height;
    return { x: round(index * slot + (slot - width) / 2), y: round(box.height - height), width: round(width), height: round(height), point };
  });
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
