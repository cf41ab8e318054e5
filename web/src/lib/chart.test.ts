import { describe, expect, it } from 'vitest';
import { axisTop, bars, linePoints } from './chart';

describe('chart geometry', () => {
  it('rounds the axis up to 1, 2 or 5 times a power of ten', () => {
    expect(axisTop([])).toBe(1);
    expect(axisTop([0, 0])).toBe(1);
    expect(axisTop([3])).toBe(5);
    expect(axisTop([7, 12])).toBe(20);
    expect(axisTop([20_00])).toBe(20_00);
    expect(axisTop([20_01])).toBe(50_00);
  });

  it('draws a line from the first time at the left to the last at the right, values from the bottom', () => {
    const points = [{ atMs: 1_000, value: 0 }, { atMs: 2_000, value: 5 }, { atMs: 3_000, value: 10 }];
    expect(linePoints(points, { width: 100, height: 50 })).toBe('0,50 50,25 100,0');
    expect(linePoints([{ atMs: 5, value: 2 }], { width: 100, height: 50 }, 4)).toBe('100,25');
    expect(linePoints([], { width: 100, height: 50 })).toBe('');
  });

  it('gives each interval a bar as tall as its share of the axis', () => {
    const drawn = bars([{ atMs: 0, value: 10 }, { atMs: 1, value: 0 }, { atMs: 2, value: 5 }, { atMs: 3, value: 20 }], { width: 100, height: 40 });
    expect(drawn.map((bar) => bar.height)).toEqual([20, 0, 10, 40]);
    expect(drawn.map((bar) => bar.y)).toEqual([20, 40, 30, 0]);
    expect(drawn.map((bar) => bar.x)).toEqual([2.5, 27.5, 52.5, 77.5]);
    expect(drawn.every((bar) => bar.width === 20)).toBe(true);
  });
});
