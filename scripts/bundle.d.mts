// Types of scripts/bundle.mjs for the tests that call it.
export const BUNDLE: string;
export const DEPLOY_DIR: string;
export function bundle(outdir?: string): Promise<{ entryBytes: number; totalBytes: number; files: number }>;
export function deployManifest(source: Record<string, unknown>): Record<string, unknown>;
export function stageDeployment(
  bundleDir?: string,
  outdir?: string,
): { files: { path: string; bytes: number }[]; bytes: number };
export function filesUnder(dir: string): { path: string; bytes: number }[];
