/** The next time (after `from`) an NCRONTAB expression with seconds fires; UTC, as the Functions host. */
export function nextOccurrence(expression: string, from: Date): Date {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 6) throw new Error(`'${expression}' is not a six-field NCRONTAB expression`);
  const [sec, min, hour, day, month, dow] = [
    parseField(fields[0]!, 0, 59),
    parseField(fields[1]!, 0, 59),
    parseField(fields[2]!, 0, 23),
    parseField(fields[3]!, 1, 31),
    parseField(fields[4]!, 1, 12),
    parseField(fields[5]!, 0, 6),
  ];
  const t = new Date(Math.floor(from.getTime() / 1000) * 1000 + 1000);
  // Bounded: a valid expression fires within a year; step a minute at a time when seconds cannot match.
  for (let steps = 0; steps < 600_000; steps++) {
    const ok =
      month.has(t.getUTCMonth() + 1) &&
      day.has(t.getUTCDate()) &&
      dow.has(t.getUTCDay()) &&
      hour.has(t.getUTCHours()) &&
      min.has(t.getUTCMinutes());
    if (ok) {
      const second = [...sec].sort((a, b) => a - b).find((s) => s >= t.getUTCSeconds());
      if (second !== undefined) {
        t.setUTCSeconds(second);
        return t;
      }
    }
    t.setUTCSeconds(0);
    t.setTime(t.getTime() + 60_000);
  }
  throw new Error(`'${expression}' never fires`);
}

function parseField(text: string, low: number, high: number): Set<number> {
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const [range = '*', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    let [from, to] = [low, high];
    if (range !== '*') {
      const [a, b] = range.split('-').map(Number);
      from = a!;
      to = b ?? (stepText === undefined ? a! : high);
    }
    if (![from, to, step].every(Number.isInteger) || step < 1 || from < low || to > high) {
      throw new Error(`NCRONTAB field '${text}' is out of range ${low}-${high}`);
    }
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return values;
}
