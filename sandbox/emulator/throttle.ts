export interface BucketLimits {
  readonly capacity: number;
  readonly refillPerSecond: number;
}

export type CallKind = 'reads' | 'writes' | 'deletes';

/**
 * ARM's published limits, per subscription, principal and region, each kind of call in a bucket of
 * its own: 250 reads (25/s), 200 writes (10/s), 200 deletes (10/s).
 */
export const ARM_LIMITS = {
  reads: { capacity: 250, refillPerSecond: 25 },
  writes: { capacity: 200, refillPerSecond: 10 },
  deletes: { capacity: 200, refillPerSecond: 10 },
} as const satisfies Record<CallKind, BucketLimits>;

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export type Admission =
  | { readonly admitted: true; readonly remaining: number }
  | { readonly admitted: false; readonly retryAfterSeconds: number };

/** Token buckets keyed by subscription, principal and kind of call, as ARM throttles. */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly limits: Record<CallKind, BucketLimits>,
    private readonly clock: () => number = Date.now,
  ) {}

  admit(subscription: string, principal: string, kind: CallKind): Admission {
    const limits = this.limits[kind];
    const key = `${subscription.toLowerCase()}|${principal}|${kind}`;
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
