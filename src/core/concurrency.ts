/** Paces calls to at most `perSecond` on average, with bursts up to `burst` (ARM's token bucket, from our side). */
export interface RateLimiter {
  acquire(): Promise<void>;
}

export function createRateLimiter(
  perSecond: number,
  burst: number,
  clock: () => number = Date.now,
): RateLimiter {
  let tokens = burst;
  let updatedAt = clock();
  let queue: Promise<void> = Promise.resolve();
  const take = async () => {
    for (;;) {
      const now = clock();
      tokens = Math.min(burst, tokens + ((now - updatedAt) / 1000) * perSecond);
      updatedAt = now;
      if (tokens >= 1) {
        tokens -= 1;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.ceil(((1 - tokens) / perSecond) * 1000)));
    }
  };
  return {
    acquire() {
      // One waiter at a time keeps the order fair and the arithmetic simple.
      const turn = queue.then(take);
      queue = turn.catch(() => undefined);
      return turn;
    },
  };
}

/** Runs `work` over `items` with at most `limit` in flight; results keep the input order. */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
