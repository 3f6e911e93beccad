/** What a CLI command may touch of the outside world; tests give their own. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Writes as is (no newline added): progress bars. */
  readonly progress: (text: string) => void;
  readonly now: () => Date;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Whether standard error is a terminal (progress bars redraw in place). */
  readonly isTty: boolean;
  /** Standard input; the process's own when absent (optional so test doubles that never read it may leave it out). */
  readonly stdin?: AsyncIterable<Uint8Array | string>;
  /** Whether standard input is a terminal, i.e. nothing was piped in and a read waits for typing. */
  readonly stdinIsTty?: boolean;
}
