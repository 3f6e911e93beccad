/** A setting is missing or wrong; the message names every bad setting at once. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`jit-guardrail configuration is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }

  /** Every problem on one line, for a CLI's one-line error. */
  get oneLine(): string {
    return this.problems.join('; ');
  }
}
