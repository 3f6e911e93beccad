import { UsageError } from './readInput.js';

/** The options a command takes: switches stand alone, valued flags take `--name VALUE` or `--name=VALUE`. */
export interface FlagSpec {
  readonly switches: readonly string[];
  readonly valued: readonly string[];
  /** Valued flags that may be given more than once. */
  readonly repeatable?: readonly string[];
}

export interface Flags {
  has(name: string): boolean;
  value(name: string): string | undefined;
  values(name: string): readonly string[];
}

/** Parses options by one rule for every command. */
export function parseFlags(args: readonly string[], spec: FlagSpec): Flags {
  const switches = new Set<string>();
  const values = new Map<string, string[]>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const equals = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = equals > 0 ? arg.slice(0, equals) : arg;
    const inline = equals > 0 ? arg.slice(equals + 1) : undefined;
    if (spec.switches.includes(name)) {
      const given =
        inline !== undefined
          ? `=${inline}`
          : args[i + 1]?.startsWith('-') === false
            ? args[i + 1]
            : undefined;
      if (given !== undefined) throw new UsageError(`${name} takes no value; drop '${given}'`);
      switches.add(name);
    } else if (spec.valued.includes(name)) {
      const value = inline ?? args[++i];
      if (value === undefined || value === '' || (inline === undefined && value.startsWith('--')))
        throw new UsageError(`${name} needs a value`);
      const earlier = values.get(name) ?? [];
      if (earlier.length > 0 && !spec.repeatable?.includes(name))
        throw new UsageError(`${name} is given twice; give it once`);
      values.set(name, [...earlier, value]);
    } else if (arg.startsWith('-')) throw new UsageError(`unknown option ${name}`);
    else throw new UsageError(`unexpected argument '${arg}'`);
  }
  return {
    has: (name) => switches.has(name),
    value: (name) => values.get(name)?.[0],
    values: (name) => values.get(name) ?? [],
  };
}
