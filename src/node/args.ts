// Command-line options of the Node commands: `--name value`, `--name=value` and on/off switches
// (`--augment` / `--no-augment`). Every mistake is a UsageError that says which option and what it takes.

export class UsageError extends Error {
  override name = 'UsageError';
}

type Kind = 'string' | 'number' | 'int' | 'switch';

export interface OptionSpec {
  kind: Kind;
  /** Shown in --help: what the value is. */
  help: string;
  /** Allowed values of a string option. */
  choices?: readonly string[];
  /** The value when the option is not given (also shown in --help). */
  default?: string | number | boolean;
}

export type Specs = Record<string, OptionSpec>;
export type Parsed = Record<string, string | number | boolean | undefined>;

/**
 * Parses `argv` against `specs`, starting from the specs' defaults; `--help` / `-h` sets parsed.help.
 * Positional arguments are refused.
 */
export function parseArgs(argv: readonly string[], specs: Specs, command: string): Parsed {
  const out: Parsed = Object.fromEntries(Object.entries(specs).map(([k, s]) => [k, s.default]));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      out.help = true;
      continue;
    }
    if (!arg.startsWith('--')) throw new UsageError(`${command}: unexpected argument '${arg}' (options start with --; see --help)`);
    const eq = arg.indexOf('=');
    let name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    let negated = false;
    if (!(name in specs) && name.startsWith('no-') && specs[name.slice(3)]?.kind === 'switch') {
      name = name.slice(3);
      negated = true;
    }
    const spec = specs[name];
    if (!spec) {
      const close = Object.keys(specs).filter((k) => k.startsWith(name.slice(0, 3)));
      throw new UsageError(
        `${command}: unknown option --${name}${close.length ? ` (did you mean ${close.map((k) => `--${k}`).join(', ')}?)` : ''}; see --help`,
      );
    }
    if (spec.kind === 'switch') {
      if (eq > 0) throw new UsageError(`${command}: --${name} is a switch and takes no value (use --${name} or --no-${name})`);
      out[name] = !negated;
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || (eq < 0 && value.startsWith('--')))
      throw new UsageError(`${command}: --${name} needs a value: ${spec.help}`);
    out[name] = convert(command, name, spec, value);
  }
  return out;
}

function convert(command: string, name: string, spec: OptionSpec, value: string): string | number {
  if (spec.kind === 'string') {
    if (spec.choices && !spec.choices.includes(value))
      throw new UsageError(`${command}: --${name} must be one of ${spec.choices.join(', ')}, not '${value}'`);
    return value;
  }
  const n = value.trim() === '' ? NaN : Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`${command}: --${name} must be a number, not '${value}'`);
  if (spec.kind === 'int' && !Number.isInteger(n)) throw new UsageError(`${command}: --${name} must be a whole number, not '${value}'`);
  return n;
}

/** The --help text: usage line, then one line per option. */
export function helpText(usage: string, specs: Specs, footer = ''): string {
  const rows = Object.entries(specs).map(([name, s]) => {
    const flag =
      s.kind === 'switch' ? `--[no-]${name}` : `--${name} ${s.choices ? s.choices.join('|') : s.kind === 'string' ? 'VALUE' : 'N'}`;
    const dflt = s.default === undefined ? '' : ` (default ${s.default})`;
    return `  ${flag.padEnd(34)}${s.help}${dflt}`;
  });
  return [usage, '', ...rows, ...(footer ? ['', footer] : [])].join('\n') + '\n';
}
