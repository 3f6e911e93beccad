import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPORT_FILE = join(
  resolve(fileURLToPath(import.meta.url), '../../..'),
  'node_modules/.cache/jit-guardrail/reliability.jsonl',
);

/** Full counts under `npm run test:reliability`; smaller ones inside `npm test`. */
export const FULL = process.env.RELIABILITY_FULL === '1';

export type ReliabilityFact =
  | { kind: 'fault'; name: string; survived: boolean; alertsLost: number; duplicateAlerts: number }
  | { kind: 'fuzz-events'; count: number; crashes: number; armCalls: number }
  | { kind: 'fuzz-nsgs'; count: number; wrongVerdicts: number };

/** Appends one measured fact for the summary line that `npm run test:reliability` prints. */
export function report(fact: ReliabilityFact): void {
  mkdirSync(dirname(REPORT_FILE), { recursive: true });
  appendFileSync(REPORT_FILE, `${JSON.stringify(fact)}\n`);
}
