import { expect } from 'vitest';
import { runCli } from '../../src/cli/main.js';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly progress: string;
}

/** Runs the CLI in process with captured output. */
export async function runCliCaptured(
  args: readonly string[],
  options: { env?: Record<string, string | undefined>; now?: Date; isTty?: boolean } = {},
): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  let progress = '';
  const code = await runCli(args, {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    progress: (t) => (progress += t),
    now: () => options.now ?? new Date('2026-11-25T12:00:00Z'),
    env: options.env ?? {},
    isTty: options.isTty ?? false,
  });
  return { code, stdout: out.join('\n'), stderr: err.join('\n'), progress };
}

/** A CLI error is one line on stderr: exactly this text, or matching this pattern. */
export function expectOneLine(stderr: string, line: string | RegExp): void {
  const lines = stderr.replace(/\n$/, '').split('\n');
  expect(lines).toHaveLength(1);
  if (typeof line === 'string') expect(lines[0]).toBe(line);
  else expect(lines[0]).toMatch(line);
}
