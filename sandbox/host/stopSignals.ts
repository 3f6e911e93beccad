import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isProcessAlive } from './sandboxState.js';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const PARENT_CHECK_MS = 500;

/** A request to stop, once one comes; cancel() stops watching (for a start that gave up). */
export interface StopWatch {
  readonly requested: Promise<string>;
  cancel(): void;
}

/**
 * Watches for the sandbox being told to stop — Ctrl-C, SIGTERM or SIGHUP, or the process that
 * started it gone — and resolves with what it was. The last matters under `npm start`: npm runs the
 * script through `sh -c`, and neither passes every signal on, so killing npm alone would otherwise
 * leave this process listening. Started before anything listens, so a signal during start-up is
 * not lost; repeated signals are swallowed while the sandbox stops (they stay handled until exit).
 */
export function watchForStop(env: Readonly<Record<string, string | undefined>>): StopWatch {
  let watch: NodeJS.Timeout | undefined;
  const requested = new Promise<string>((resolve) => {
    let stopped = false;
    const stop = (reason: string) => {
      if (stopped) return;
      stopped = true;
      clearInterval(watch);
      resolve(reason);
    };
    for (const signal of STOP_SIGNALS) process.on(signal, () => stop(signal));
    const watched = ancestorsToWatch(env);
    const firstParent = process.ppid;
    watch = setInterval(() => {
      const gone = watched.find((pid) => !isProcessAlive(pid));
      if (process.ppid !== firstParent)
        stop(`the process that started it (npm or its shell, pid ${firstParent}) is gone`);
      else if (gone !== undefined) stop(`the process that started it (pid ${gone}) is gone`);
    }, PARENT_CHECK_MS);
  });
  return { requested, cancel: () => clearInterval(watch) };
}

/** The parent, and under an npm script the grandparent too (npm → sh -c → node). */
function ancestorsToWatch(env: Readonly<Record<string, string | undefined>>): number[] {
  const parent = process.ppid;
  if (env.npm_lifecycle_event === undefined) return [parent];
  const grandparent = parentOf(parent);
  return grandparent === undefined || grandparent <= 1 ? [parent] : [parent, grandparent];
}

/** The parent of another process: /proc on Linux, ps elsewhere on POSIX; undefined when unknown. */
function parentOf(pid: number): number | undefined {
  if (process.platform === 'win32') return undefined;
  try {
    const text =
      process.platform === 'linux'
        ? readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\)\s+\S+\s+/s, '')
        : execFileSync('ps', ['-o', 'ppid=', '-p', String(pid)], { encoding: 'utf8' });
    const ppid = Number.parseInt(text.trim(), 10);
    return Number.isInteger(ppid) && ppid > 0 ? ppid : undefined;
  } catch {
    return undefined;
  }
}
