export const EXEMPTION_TAG = 'jit-guardrail-exempt-until';

export type Exemption =
  | { readonly status: 'none' }
  | { readonly status: 'active' | 'expired'; readonly tagValue: string; readonly until: string }
  | { readonly status: 'invalid'; readonly tagValue: string; readonly problem: string };

/** How far ahead an exemption may end unless GUARDRAIL_EXEMPTION_MAX_DAYS says otherwise. */
export const DEFAULT_EXEMPTION_MAX_DAYS = 30;

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Reads the `jit-guardrail-exempt-until` tag (tag names are case-insensitive in ARM). A date alone
 * exempts through the end of that day, UTC; a date-time exempts until that instant. An end more
 * than `maxDays` ahead exempts nothing (a tag is cheap to set — Tag Contributor is enough — so it
 * must not switch the guard off for good), and neither does anything that is not a date: both are
 * reported as invalid.
 */
export function readExemption(
  tags: Readonly<Record<string, unknown>> | undefined,
  now: Date,
  maxDays: number = DEFAULT_EXEMPTION_MAX_DAYS,
): Exemption {
  if (tags === undefined) return { status: 'none' };
  const key = Object.keys(tags).find((k) => k.toLowerCase() === EXEMPTION_TAG);
  if (key === undefined) return { status: 'none' };
  const raw = tags[key];
  const tagValue = typeof raw === 'string' ? raw : JSON.stringify(raw);
  const value = typeof raw === 'string' ? raw.trim() : '';
  const end = exemptionEnd(value);
  if (end === undefined) {
    const problem = /^\d{4}-\d{2}-\d{2}T[\d:.]+$/.test(value)
      ? 'a date-time without a time zone (end it with Z or ±hh:mm)'
      : 'not an ISO date (YYYY-MM-DD or an ISO date-time with a zone)';
    return { status: 'invalid', tagValue, problem };
  }
  const until = new Date(end).toISOString();
  if (end - now.getTime() > maxDays * DAY_MS) {
    return {
      status: 'invalid',
      tagValue,
      problem: `more than ${maxDays} day(s) ahead (the most GUARDRAIL_EXEMPTION_MAX_DAYS allows)`,
    };
  }
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
