/** What a CLI command may touch of the outside world; tests give their own. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Writes as is (no newline added): progress bars. */
  readonly progress: (text: string) => void;
  readonly now: () => Date;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly isTty: boolean;
}
