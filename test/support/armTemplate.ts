import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Reads the compiled ARM template (infra/main.json, what the real Bicep compiler made) and evaluates
 * the small part of the ARM expression language it uses, so tests can ask what a deployment with
 * given parameters would create: which modules run, where, and with which values.
 */
const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface ArmResource {
  readonly symbol: string;
  readonly type: string;
  readonly apiVersion: string;
  readonly raw: JsonObject;
}

export function compiledTemplate(): JsonObject {
  return JSON.parse(readFileSync(join(ROOT, 'infra/main.json'), 'utf8')) as JsonObject;
}

/** Resources of one template level, by symbolic name (languageVersion 2.0) or index. */
export function resourcesOf(template: JsonObject): ArmResource[] {
  const resources = template.resources as JsonObject | Json[];
  const entries = Array.isArray(resources)
    ? resources.map((r, i) => [String(i), r] as const)
    : Object.entries(resources);
  return entries.map(([symbol, raw]) => {
    const r = raw as JsonObject;
    return { symbol, type: r.type as string, apiVersion: r.apiVersion as string, raw: r };
  });
}

/** Every resource at every depth (modules are nested deployments). */
export function allResources(template: JsonObject): ArmResource[] {
  return resourcesOf(template).flatMap((r) =>
    r.type === 'Microsoft.Resources/deployments'
      ? [r, ...allResources(((r.raw.properties as JsonObject).template as JsonObject) ?? {})]
      : [r],
  );
}

export function moduleNamed(template: JsonObject, symbol: string): ArmResource {
  const found = resourcesOf(template).find((r) => r.symbol === symbol);
  if (!found || found.type !== 'Microsoft.Resources/deployments') throw new Error(`no module ${symbol}`);
  return found;
}

export function innerTemplate(module: ArmResource): JsonObject {
  return (module.raw.properties as JsonObject).template as JsonObject;
}

export function onlyResourceOfType(template: JsonObject, type: string): ArmResource {
  const found = allResources(template).filter((r) => r.type === type);
  if (found.length !== 1) throw new Error(`${found.length} resources of type ${type}`);
  return found[0]!;
}

// ---- the expression subset ----

export interface Scope {
  readonly parameters: Record<string, Json>;
  readonly variables: JsonObject;
  readonly subscriptionId: string;
  /** Outputs of sibling modules, for reference('<symbol>').outputs.<name>.value. */
  readonly outputs?: Record<string, Record<string, Json>>;
}

type Token = { kind: 'name' | 'string' | 'number' | 'punct'; text: string };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (/\s/.test(c)) i++;
    else if (c === "'") {
      let text = '';
      i++;
      while (i < source.length) {
        if (source[i] === "'" && source[i + 1] === "'") {
          text += "'";
          i += 2;
        } else if (source[i] === "'") break;
        else text += source[i++];
      }
      i++;
      tokens.push({ kind: 'string', text });
    } else if (/[0-9-]/.test(c)) {
      const m = /^-?\d+/.exec(source.slice(i))!;
      tokens.push({ kind: 'number', text: m[0] });
      i += m[0].length;
    } else if (/[A-Za-z_$]/.test(c)) {
      const m = /^[A-Za-z_$][\w$#]*/.exec(source.slice(i))!;
      tokens.push({ kind: 'name', text: m[0] });
      i += m[0].length;
    } else {
      tokens.push({ kind: 'punct', text: c });
      i++;
    }
  }
  return tokens;
}

const FUNCTIONS: Record<string, (scope: Scope, args: Json[]) => Json> = {
  parameters: (s, [n]) => {
    if (!(String(n) in s.parameters)) throw new Error(`parameter ${String(n)} not given`);
    return s.parameters[String(n)]!;
  },
  variables: (s, [n]) => evaluate(s.variables[String(n)] ?? fail(`variable ${String(n)}`), s),
  not: (_, [v]) => !v,
  empty: (_, [v]) =>
    v === null ||
    v === '' ||
    (Array.isArray(v) ? v.length === 0 : typeof v === 'object' && !Object.keys(v).length),
  if: (_, [c, a, b]) => (c ? a! : b!),
  equals: (_, [a, b]) => JSON.stringify(a) === JSON.stringify(b),
  format: (_, [f, ...args]) => String(f).replace(/\{(\d+)\}/g, (_m, n: string) => String(args[Number(n)])),
  concat: (_, args) =>
    args.every(Array.isArray) ? (args as Json[][]).flat() : args.map((a) => String(a)).join(''),
  createObject: (_, args) => {
    const o: JsonObject = {};
    for (let i = 0; i < args.length; i += 2) o[String(args[i])] = args[i + 1]!;
    return o;
  },
  createArray: (_, args) => args,
  toLower: (_, [v]) => String(v).toLowerCase(),
  take: (_, [v, n]) => String(v).slice(0, Number(n)),
  // A stand-in: deterministic and 13 characters, like ARM's.
  uniqueString: (_, args) => hash13(args.map(String).join('|')),
  guid: (_, args) => `guid(${args.map(String).join(',')})`,
  subscription: (s) => ({ id: `/subscriptions/${s.subscriptionId}`, subscriptionId: s.subscriptionId }),
  // A module's outputs when stubbed; otherwise a placeholder that property access extends.
  reference: (s, [symbol]) =>
    s.outputs?.[String(symbol)]
      ? {
          outputs: Object.fromEntries(
            Object.entries(s.outputs[String(symbol)]!).map(([k, v]) => [k, { value: v }]),
          ),
        }
      : `<reference(${String(symbol)})>`,
  resourceId: (_, args) => `<resourceId(${args.map(String).join(',')})>`,
  subscriptionResourceId: (_, args) => `<subscriptionResourceId(${args.map(String).join(',')})>`,
  union: (_, args) => Object.assign({}, ...(args as JsonObject[])),
};

function fail(what: string): never {
  throw new Error(`unknown ${what}`);
}

function hash13(text: string): string {
  let h = 2166136261;
  for (const ch of text) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return (h.toString(36) + 'abcdefghijklm').slice(0, 13);
}

function parseExpression(tokens: Token[], scope: Scope): Json {
  let pos = 0;
  const next = () => tokens[pos++] ?? fail('end of expression');
  const expect = (text: string) => {
    const t = next();
    if (t.text !== text) throw new Error(`expected ${text}, got ${t.text}`);
  };
  const primary = (): Json => {
    const t = next();
    let value: Json;
    if (t.kind === 'string') value = t.text;
    else if (t.kind === 'number') value = Number(t.text);
    else if (t.kind === 'name' && (t.text === 'true' || t.text === 'false')) value = t.text === 'true';
    else if (t.kind === 'name') {
      expect('(');
      const args: Json[] = [];
      while (tokens[pos]?.text !== ')') {
        args.push(primary());
        if (tokens[pos]?.text === ',') pos++;
      }
      expect(')');
      value = (FUNCTIONS[t.text] ?? fail(`function ${t.text}()`))(scope, args);
    } else throw new Error(`unexpected ${t.text}`);
    while (tokens[pos]?.text === '.' || tokens[pos]?.text === '[') {
      if (next().text === '.') {
        const name = next().text;
        value =
          typeof value === 'string' && value.startsWith('<')
            ? `${value.slice(0, -1)}.${name}>`
            : (((value as JsonObject) ?? {})[name] ?? null);
      } else {
        const index = primary();
        expect(']');
        value = (value as Record<string, Json>)[String(index)] ?? null;
      }
    }
    return value;
  };
  const value = primary();
  if (pos !== tokens.length) throw new Error(`trailing tokens after ${tokens[pos - 1]?.text}`);
  return value;
}

/** Evaluates ARM expressions ("[...]") anywhere in a value; "[[" escapes a literal bracket. */
export function evaluate(value: Json, scope: Scope): Json {
  if (typeof value === 'string') {
    if (value.startsWith('[[')) return value.slice(1);
    if (value.startsWith('[') && value.endsWith(']'))
      return parseExpression(tokenize(value.slice(1, -1)), scope);
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => evaluate(v, scope));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, evaluate(v, scope)]));
  }
  return value;
}

/** Parameter values as ARM binds them: the given ones, else each parameter's default. */
export function bindParameters(
  template: JsonObject,
  given: Record<string, Json>,
  scope: Omit<Scope, 'parameters'>,
) {
  const declared = template.parameters as Record<string, JsonObject>;
  const bound: Record<string, Json> = {};
  for (const [name, declaration] of Object.entries(declared)) {
    if (name in given) bound[name] = given[name]!;
    else if ('defaultValue' in declaration)
      bound[name] = evaluate(declaration.defaultValue!, { ...scope, parameters: bound });
    else throw new Error(`parameter ${name} has no value and no default`);
  }
  for (const name of Object.keys(given)) if (!(name in declared)) throw new Error(`no parameter ${name}`);
  return bound;
}

/** Evaluates a value inside a module with the parameters it was planned with (plus its own defaults). */
export function evaluateInModule(
  module: ArmResource,
  planned: PlannedModule,
  value: Json,
  subscriptionId: string,
): Json {
  const template = innerTemplate(module);
  const base = { variables: (template.variables as JsonObject) ?? {}, subscriptionId };
  return evaluate(value, { ...base, parameters: bindParameters(template, planned.parameters, base) });
}

export interface PlannedModule {
  readonly symbol: string;
  readonly deploys: boolean;
  readonly resourceGroup: string | null;
  readonly parameters: Record<string, Json>;
}

/**
 * What the top level of the template would do with these parameters: for each module, whether its
 * condition holds, where it deploys and the parameter values it receives (module outputs stubbed).
 */
export function planModules(
  template: JsonObject,
  given: Record<string, Json>,
  options: { subscriptionId: string; outputs?: Record<string, Record<string, Json>> },
): PlannedModule[] {
  const base = { variables: (template.variables as JsonObject) ?? {}, ...options };
  const scope: Scope = { ...base, parameters: bindParameters(template, given, base) };
  return resourcesOf(template)
    .filter((r) => r.type === 'Microsoft.Resources/deployments')
    .map((r) => {
      const props = r.raw.properties as JsonObject;
      const rawParameters = evaluate(props.parameters ?? {}, scope) as Record<string, JsonObject>;
      return {
        symbol: r.symbol,
        deploys: r.raw.condition === undefined ? true : Boolean(evaluate(r.raw.condition, scope)),
        resourceGroup:
          r.raw.resourceGroup === undefined ? null : String(evaluate(r.raw.resourceGroup, scope)),
        parameters: Object.fromEntries(Object.entries(rawParameters).map(([k, v]) => [k, v.value ?? null])),
      };
    });
}
