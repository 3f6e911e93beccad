/** A failure the emulator plays instead of (or before) the real answer. */
export type Fault =
  | { readonly kind: 'latency'; readonly ms: number }
  | {
      readonly kind: 'status';
      readonly status: number;
      readonly code?: string;
      readonly message?: string;
      /** Seconds; omitted means no Retry-After header. */
      readonly retryAfter?: number;
    }
  | { readonly kind: 'reset' }
  /** The request is carried out, then the connection drops before the answer: the caller cannot tell. */
  | { readonly kind: 'lost-answer' }
  /** Runs just before the request is answered: someone else changing the subscription at that moment. */
  | { readonly kind: 'before'; readonly run: () => void }
  /** The write is accepted (202) but its long-running operation ends `Failed` and changes nothing. */
  | { readonly kind: 'lro-failed'; readonly code?: string; readonly message?: string };

export interface FaultRule {
  readonly method?: string;
  /** Substring (case-insensitive) or pattern matched against the request path. */
  readonly path?: string | RegExp;
  /** How many requests it hits; default 1. */
  readonly times?: number;
  readonly fault: Fault;
}

interface ActiveRule {
  readonly rule: FaultRule;
  remaining: number;
}

/** Per-route fault injection; each rule fires a bounded number of times. */
export class FaultInjector {
  private readonly rules: ActiveRule[] = [];

  add(rule: FaultRule): void {
    this.rules.push({ rule, remaining: rule.times ?? 1 });
  }

  clear(): void {
    this.rules.length = 0;
  }

  /** The faults that apply to this request, consuming one use of each. */
  take(method: string, path: string): Fault[] {
    const hits: Fault[] = [];
    for (const active of this.rules) {
      if (active.remaining <= 0 || !matches(active.rule, method, path)) continue;
      active.remaining -= 1;
      hits.push(active.rule.fault);
    }
    return hits;
  }
}

function matches(rule: FaultRule, method: string, path: string): boolean {
  if (rule.method !== undefined && rule.method.toUpperCase() !== method.toUpperCase()) return false;
  if (rule.path === undefined) return true;
  if (typeof rule.path === 'string') return path.toLowerCase().includes(rule.path.toLowerCase());
  return rule.path.test(path);
}
