export interface BucketLimits {
  readonly capacity: number;
  readonly refillPerSecond: number;
}

/** ARM's published limits: per principal and region, 250 reads (25/s) and 200 writes or deletes (10/s). */
export const ARM_LIMITS = {
  reads: { capacity: 250, refillPerSecond: 25 },
  writes: { capacity: 200, refillPerSecond: 10 },
} as const satisfies Record<string, BucketLimits>;

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export type Admission =
  | { readonly admitted: true; readonly remaining: number }
  | { readonly admitted: false; readonly retryAfterSeconds: number };

/** Token buckets keyed by principal and kind of call, as ARM throttles. */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly limits: { reads: BucketLimits; writes: BucketLimits },
    private readonly clock: () => number = Date.now,
  ) {}

  admit(principal: string, kind: 'reads' | 'writes'): Admission {
    const limits = this.limits[kind];
    const key = `${principal}|${kind}`;
    const now = this.clock();
    const bucket = this.buckets.get(key) ?? { tokens: limits.capacity, updatedAt: now };
    bucket.tokens = Math.min(
      limits.capacity,
      bucket.tokens + ((now - bucket.updatedAt) / 1000) * limits.refillPerSecond,
    );
    bucket.updatedAt = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { admitted: true, remaining: Math.floor(bucket.tokens) };
    }
    return {
      admitted: false,
      retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / limits.refillPerSecond)),
    };
  }
}
