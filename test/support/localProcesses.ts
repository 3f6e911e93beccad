import type { ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';

/** The caller's environment without what would change the sandbox: npm's variables, PORT, app settings. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(npm_|PORT$|GUARDRAIL_|AzureWebJobsStorage)/i.test(name)) env[name] = value;
  }
  return { ...env, ...extra };
}

/** A loopback port nothing listens on (just now). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function isListening(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

/** Stops a sandbox a test started: the `npm start` process, then the sandbox it left running, for sure. */
export async function killSandbox(npm: ChildProcess, sandboxPid: number): Promise<void> {
  if (npm.exitCode === null && npm.signalCode === null) {
    npm.kill('SIGKILL');
    await new Promise((r) => npm.once('exit', r));
  }
  if (sandboxPid > 0 && isAlive(sandboxPid)) process.kill(sandboxPid, 'SIGKILL');
}
