// Types of scripts/prepare.mjs for the tests that call it.
export const BUILD_INPUTS: string[];
export function buildInputsFingerprint(root?: string): string;
export function stampFor(root?: string, inputs?: string): string;
export function distIsCurrent(root?: string): boolean;
