// Prints the one-line reliability summary from the facts the reliability tests recorded.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const file = join(process.cwd(), 'node_modules/.cache/jit-guardrail/reliability.jsonl');
if (!existsSync(file)) {
  console.error('no reliability facts recorded: did the reliability tests run?');
  process.exit(1);
}
const facts = readFileSync(file, 'utf8')
  .trim()
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line));
const faults = facts.filter((f) => f.kind === 'fault');
const events = facts.filter((f) => f.kind === 'fuzz-events');
const nsgs = facts.filter((f) => f.kind === 'fuzz-nsgs');
const sum = (list, key) => list.reduce((total, f) => total + f[key], 0);
const survived = faults.filter((f) => f.survived).length;
const summary = {
  faults: faults.length,
  survived,
  fuzzedEvents: sum(events, 'count'),
  crashes: sum(events, 'crashes'),
  armCalls: sum(events, 'armCalls'),
  generatedNsgs: sum(nsgs, 'count'),
  wrongVerdicts: sum(nsgs, 'wrongVerdicts'),
  alertsLost: sum(faults, 'alertsLost'),
  duplicateAlerts: sum(faults, 'duplicateAlerts'),
};
console.log(
  `faults survived: ${summary.survived}/${summary.faults}, fuzzed events: ${summary.fuzzedEvents} (crashes ${summary.crashes}, ARM calls ${summary.armCalls}), generated NSGs: ${summary.generatedNsgs} (wrong verdicts ${summary.wrongVerdicts}), alerts lost: ${summary.alertsLost}, duplicate alerts: ${summary.duplicateAlerts}`,
);
const bad =
  summary.survived !== summary.faults ||
  summary.faults === 0 ||
  summary.crashes ||
  summary.armCalls ||
  summary.wrongVerdicts ||
  summary.alertsLost ||
  summary.duplicateAlerts;
process.exit(bad ? 1 : 0);
