// Types of scripts/bicep.mjs for the tests that call it.
export interface BicepDiagnostic {
  readonly level: 'error' | 'warning' | 'note' | 'none';
  readonly rule: string;
  readonly where: string;
  readonly message: string;
}
export interface BicepCheck {
  readonly version: string;
  readonly files: number;
  readonly errors: number;
  readonly warnings: number;
  readonly notes: number;
  readonly diagnostics: readonly BicepDiagnostic[];
  readonly compiledIsCurrent: boolean;
}
export const ROOT: string;
export const ENTRY: string;
export const COMPILED: string;
export function pinnedVersion(): string;
export function restore(): string;
export function findBicep(options?: { restore?: boolean }): string | undefined;
export function versionOf(bicep: string): string;
export function bicepFiles(): string[];
export function build(bicep: string, outfile?: string): BicepDiagnostic[];
export function lint(bicep: string): BicepDiagnostic[];
export function withoutGeneratorStamp<T>(value: T): T;
export function compiledIsCurrent(bicep: string): { same: boolean; diagnostics: BicepDiagnostic[] };
export function check(bicep: string): BicepCheck;
