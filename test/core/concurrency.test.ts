import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRateLimiter, mapWithConcurrency } from '../../src/core/concurrency.js';

describe('createRateLimiter', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('lets a burst through, then paces to the rate', async () => {
    const limiter = createRateLimiter(10, 10, () => Date.now());
    const granted: number[] = [];
    const all = Array.from({ length: 30 }, () => limiter.acquire().then(() => granted.push(Date.now())));
    await vi.advanceTimersByTimeAsync(5_000);
    await Promise.all(all);
    expect(granted).toHaveLength(30);
    expect(granted.slice(0, 10).every((t) => t === 0)).toBe(true);
    // After the burst: never more than 10 grants in any one-second window.
    for (const t of granted)
      expect(granted.filter((u) => u > t - 1000 && u <= t).length).toBeLessThanOrEqual(
        10 + (t < 1000 ? 10 : 0),
      );
    expect(granted.at(-1)).toBeGreaterThanOrEqual(1_900);
  });
});

describe('mapWithConcurrency', () => {
  it('keeps order and never runs more than the limit at once', async () => {
    let inFlight = 0;
    let peak = 0;
    const results = await mapWithConcurrency([5, 1, 4, 2, 3, 6, 7], 3, async (n) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, n));
      inFlight -= 1;
      return n * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30, 60, 70]);
    expect(peak).toBe(3);
  });
});
