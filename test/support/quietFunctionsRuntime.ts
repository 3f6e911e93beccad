/**
 * Vitest setup file. Outside the Functions host, `@azure/functions` warns on its first `app.*`
 * registration in a process that it "Failed to detect the Azure Functions runtime" and switches to
 * test mode. In tests that is expected and says nothing, and one line per test process buries what
 * matters, so exactly that message is dropped. Every other `console.warn` passes through unchanged.
 */
export const FUNCTIONS_TEST_MODE_WARNING =
  'WARNING: Failed to detect the Azure Functions runtime. Switching "@azure/functions" package to test mode';

/** True only for the package's own test-mode warning: one string argument starting with its text. */
export function isFunctionsTestModeWarning(args: readonly unknown[]): boolean {
  return args.length === 1 && typeof args[0] === 'string' && args[0].startsWith(FUNCTIONS_TEST_MODE_WARNING);
}

const QUIET = Symbol.for('jit-guardrail.quietFunctionsRuntime');
type MaybeQuiet = typeof console.warn & { [QUIET]?: true };

if ((console.warn as MaybeQuiet)[QUIET] !== true) {
  const warn = console.warn;
  const quiet: MaybeQuiet = function (this: unknown, ...args: unknown[]): void {
    if (isFunctionsTestModeWarning(args)) return;
    warn.apply(this === undefined ? console : this, args);
  };
  quiet[QUIET] = true;
  console.warn = quiet;
}
