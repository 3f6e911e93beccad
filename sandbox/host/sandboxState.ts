import { linkSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What a running sandbox tells the commands run beside it (`request-jit`), in <state-dir>/sandbox.json. */
export interface SandboxState {
  /** The sandbox process: the state is stale once it is gone. */
  readonly pid: number;
  readonly armUrl: string;
  readonly caFile: string;
  readonly hostUrl: string;
  readonly functionKey: string;
  /** Signs in to the App Service authentication stand-in as an admin (see LocalFunctionsHost). */
  readonly adminToken: string;
  /** The Event Grid webhook's system key. */
  readonly eventGridKey: string;
  readonly subscriptionId: string;
  /** The app's Table Storage connection string, when the sandbox runs Azurite. */
  readonly storageConnectionString: string | undefined;
  readonly vms: readonly { name: string; resourceGroup: string; vmId: string; jitPorts: readonly number[] }[];
}

/** Another live sandbox holds the folder. */
export interface StateDirBusy {
  readonly pid: number;
  readonly hostUrl: string | undefined;
}

/** True while a process with this id exists (one of another user counts: it is alive). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Makes the folder (this user only) or checks one that exists: a folder another user owns or may
 * write to could hold planted files or links, and the sandbox writes its keys there.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = lstatSync(dir);
  if (!stat.isDirectory())
    throw new Error(`${dir} is not a folder (a link?): pass --state-dir with a folder of your own`);
  const uid = process.getuid?.();
  if ((uid !== undefined && stat.uid !== uid) || (stat.mode & 0o022) !== 0)
    throw new Error(
      `${dir} is not yours alone (owned by another user, or others may write to it): pass --state-dir with a folder of your own`,
    );
}

/**
 * Writes a file readable by this user only, by a new file and a rename: a link planted where the file
 * goes is replaced, never followed.
 */
export function writePrivateFile(path: string, content: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  rmSync(temporary, { force: true });
  writeFileSync(temporary, content, { mode: 0o600, flag: 'wx' });
  renameSync(temporary, path);
}

/** A sandbox's own address: only this machine (a planted state file must not send a request elsewhere). */
function isLoopbackUrl(value: unknown): boolean {
  try {
    return typeof value === 'string' && ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(value).hostname);
  } catch {
    return false;
  }
}

/**
 * One sandbox's folder: `sandbox.pid` claims it (created exclusively, so two sandboxes starting at
 * once cannot both have it), `sandbox.json` describes the running sandbox. A pid that is no longer
 * alive is stale state: a new sandbox takes the folder over, `request-jit` says none is running.
 */
export class SandboxStateDir {
  readonly stateFile: string;
  readonly pidFile: string;

  constructor(readonly dir: string) {
    this.stateFile = join(dir, 'sandbox.json');
    this.pidFile = join(dir, 'sandbox.pid');
  }

  /** Claims the folder for this process; answers who holds it when a live sandbox does. */
  claim(): StateDirBusy | undefined {
    ensurePrivateDir(this.dir);
    for (let attempt = 0; attempt < 2; attempt++) {
      // The pid file appears whole (a link to a file already written): never empty, so a sandbox
      // starting at the same moment cannot read it as stale.
      const written = `${this.pidFile}.${process.pid}.tmp`;
      writeFileSync(written, String(process.pid), { mode: 0o600 });
      try {
        linkSync(written, this.pidFile);
        return undefined;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      } finally {
        rmSync(written, { force: true });
      }
      const holder = this.pidIn(this.pidFile);
      if (holder !== undefined && holder !== process.pid && isProcessAlive(holder)) {
        return { pid: holder, hostUrl: this.readState()?.hostUrl };
      }
      const taken = this.takeStale(holder);
      if (taken !== undefined) return { pid: taken, hostUrl: this.readState()?.hostUrl };
    }
    throw new Error(`cannot claim ${this.dir}: another sandbox keeps taking it`);
  }

  /**
   * Removes a stale claim, moving it aside first: if what was moved is not the stale pid read before
   * (another sandbox claimed the folder meanwhile), it is put back and that sandbox holds the folder.
   */
  private takeStale(stalePid: number | undefined): number | undefined {
    const aside = `${this.pidFile}.${process.pid}.stale`;
    try {
      renameSync(this.pidFile, aside);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const moved = this.pidIn(aside);
    try {
      if (moved !== undefined && moved !== stalePid && isProcessAlive(moved)) {
        try {
          linkSync(aside, this.pidFile);
        } catch {
          // Someone claimed it again in between: they hold it now.
        }
        return moved;
      }
      rmSync(this.stateFile, { force: true });
      return undefined;
    } finally {
      rmSync(aside, { force: true });
    }
  }

  /** Writes the state, readable by this user only: it holds the local function key and admin token. */
  write(state: SandboxState): void {
    writePrivateFile(this.stateFile, JSON.stringify(state, null, 2));
  }

  /** The state of the sandbox running from this folder; undefined when none is (or it is stale). */
  readLive(): SandboxState | undefined {
    const state = this.readState();
    // The state must name the process that claimed the folder, and addresses on this machine.
    return state !== undefined &&
      state.pid === this.pidIn(this.pidFile) &&
      isProcessAlive(state.pid) &&
      isLoopbackUrl(state.armUrl) &&
      isLoopbackUrl(state.hostUrl)
      ? state
      : undefined;
  }

  /** Gives the folder up (only if this process holds it); saved cards stay. Synchronous: safe on exit. */
  release(): void {
    if (this.pidIn(this.pidFile) === process.pid) this.removeStateFiles();
  }

  private removeStateFiles(): void {
    rmSync(this.stateFile, { force: true });
    rmSync(this.pidFile, { force: true });
  }

  private readState(): SandboxState | undefined {
    try {
      const state = JSON.parse(readFileSync(this.stateFile, 'utf8')) as Partial<SandboxState>;
      return typeof state.pid === 'number' ? (state as SandboxState) : undefined;
    } catch {
      return undefined;
    }
  }

  private pidIn(file: string): number | undefined {
    try {
      const pid = Number(readFileSync(file, 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }
}
