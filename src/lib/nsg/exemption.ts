export const EXEMPTION_TAG = 'jit-guardrail-exempt-until';

export type Exemption =
  | { readonly status: 'none' }
  | { readonly status: 'active' | 'expired'; readonly tagValue: string; readonly until: string }
  | { readonly status: 'invalid'; readonly tagValue: string; readonly problem: string };

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Reads the `jit-guardrail-exempt-until` tag (tag names are case-insensitive in ARM). A date alone
 * exempts through the end of that day, UTC; a date-time exempts until that instant. Anything else
 * exempts nothing and is reported as invalid.
 */
export function readExemption(tags: Readonly<Record<string, unknown>> | undefined, now: Date): Exemption {
  if (tags === undefined) return { status: 'none' };
  const key = Object.keys(tags).find((k) => k.toLowerCase() === EXEMPTION_TAG);
  if (key === undefined) return { status: 'none' };
  const raw = tags[key];
  const tagValue = typeof raw === 'string' ? raw : JSON.stringify(raw);
  const end = exemptionEnd(typeof raw === 'string' ? raw.trim() : '');
  if (end === undefined) {
    return { status: 'invalid', tagValue, problem: 'not an ISO date (YYYY-MM-DD or an ISO date-time)' };
  }
  const until = new Date(end).toISOString();
  return { status: now.getTime() < end ? 'active' : 'expired', tagValue, until };
}

function exemptionEnd(value: string): number | undefined {
  const dateOnly = ISO_DATE.exec(value);
  if (dateOnly) {
    const [, y, m, d] = dateOnly;
    const start = Date.UTC(Number(y), Number(m) - 1, Number(d));
    // Reject dates that JavaScript would roll over, such as 2026-02-30.
    if (new Date(start).toISOString().slice(0, 10) !== value) return undefined;
    return start + DAY_MS;
  }
  if (!ISO_DATE_TIME.test(value)) return undefined;
  const instant = Date.parse(value);
  if (Number.isNaN(instant)) return undefined;
  const [datePart] = value.split('T');
  const [y, m, d] = (datePart ?? '').split('-').map(Number);
  const calendarCheck = new Date(Date.UTC(y ?? 0, (m ?? 1) - 1, d ?? 0));
  if (calendarCheck.getUTCDate() !== d) return undefined;
  return instant;
}
