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
  /** The iteration of a `copy` loop being evaluated, for copyIndex(). */
  readonly copyIndex?: number;
  /** Lambda parameters in scope, for lambdaVariables('<name>'). */
  readonly lambdaVariables?: Record<string, Json>;
  /** The template's user-defined functions (Bicep's `func`, compiled into namespace `__bicep`). */
  readonly functions?: Json;
}

/** A stand-in tenant, management group and cloud, as tenant(), managementGroup() and environment() give them. */
export const TENANT_ID = '72f988bf-0000-0000-0000-000000000000';
export const MANAGEMENT_GROUP = 'mg-guarded';
const ENVIRONMENT = {
  name: 'AzureCloud',
  authentication: { loginEndpoint: 'https://login.microsoftonline.com/' },
};

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

/** An expression, parsed: evaluated later, so `if` and `lambda` evaluate only what they must. */
type Node =
  | { readonly kind: 'literal'; readonly value: Json }
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly Node[] }
  | { readonly kind: 'property'; readonly target: Node; readonly name: string }
  | { readonly kind: 'index'; readonly target: Node; readonly index: Node };

/** A lambda, as filter() and map() receive it. */
interface Lambda {
  readonly lambda: { readonly parameters: readonly string[]; readonly body: Node; readonly scope: Scope };
}

const isLambda = (value: unknown): value is Lambda =>
  typeof value === 'object' && value !== null && 'lambda' in value;

function invoke(fn: unknown, args: Json[]): Json {
  if (!isLambda(fn)) throw new Error('expected a lambda');
  const { parameters, body, scope } = fn.lambda;
  const bound = Object.fromEntries(parameters.map((p, i) => [p, args[i]!]));
  return evalNode(body, { ...scope, lambdaVariables: { ...scope.lambdaVariables, ...bound } });
}

const str = (v: Json) => String(v);

const FUNCTIONS: Record<string, (scope: Scope, args: Json[]) => Json> = {
  parameters: (s, [n]) => {
    if (!(str(n!) in s.parameters)) throw new Error(`parameter ${str(n!)} not given`);
    return s.parameters[str(n!)]!;
  },
  variables: (s, [n]) => evaluate(s.variables[str(n!)] ?? fail(`variable ${str(n!)}`), s),
  lambdaVariables: (s, [n]) => {
    const name = str(n!);
    if (!s.lambdaVariables || !(name in s.lambdaVariables)) throw new Error(`lambda variable ${name}`);
    return s.lambdaVariables[name]!;
  },
  copyIndex: (s, [offset]) => {
    if (s.copyIndex === undefined) throw new Error('copyIndex() outside a copy loop');
    return s.copyIndex + (typeof offset === 'number' ? offset : 0);
  },
  filter: (_, [array, fn]) => (array as Json[]).filter((item) => invoke(fn, [item]) === true),
  map: (_, [array, fn]) => (array as Json[]).map((item) => invoke(fn, [item])),
  not: (_, [v]) => !v,
  or: (_, args) => args.some(Boolean),
  and: (_, args) => args.every(Boolean),
  empty: (_, [v]) =>
    v === null ||
    v === '' ||
    (Array.isArray(v) ? v.length === 0 : typeof v === 'object' && !Object.keys(v!).length),
  equals: (_, [a, b]) => JSON.stringify(a) === JSON.stringify(b),
  length: (_, [v]) => (Array.isArray(v) || typeof v === 'string' ? v.length : Object.keys(v ?? {}).length),
  format: (_, [f, ...args]) => str(f!).replace(/\{(\d+)\}/g, (_m, n: string) => str(args[Number(n)]!)),
  concat: (_, args) => (args.every(Array.isArray) ? (args as Json[][]).flat() : args.map(str).join('')),
  createObject: (_, args) => {
    const o: JsonObject = {};
    for (let i = 0; i < args.length; i += 2) o[str(args[i]!)] = args[i + 1]!;
    return o;
  },
  createArray: (_, args) => args,
  toLower: (_, [v]) => str(v!).toLowerCase(),
  trim: (_, [v]) => str(v!).trim(),
  endsWith: (_, [v, end]) => str(v!).toLowerCase().endsWith(str(end!).toLowerCase()),
  startsWith: (_, [v, start]) => str(v!).toLowerCase().startsWith(str(start!).toLowerCase()),
  take: (_, [v, n]) => str(v!).slice(0, Number(n)),
  // A stand-in: deterministic and 13 characters, like ARM's.
  uniqueString: (_, args) => hash13(args.map(str).join('|')),
  guid: (_, args) => `guid(${args.map(str).join(',')})`,
  subscription: (s) => ({
    id: `/subscriptions/${s.subscriptionId}`,
    subscriptionId: s.subscriptionId,
    tenantId: TENANT_ID,
  }),
  tenant: () => ({ tenantId: TENANT_ID }),
  managementGroup: () => ({
    id: `/providers/Microsoft.Management/managementGroups/${MANAGEMENT_GROUP}`,
    name: MANAGEMENT_GROUP,
    type: 'Microsoft.Management/managementGroups',
  }),
  environment: () => ENVIRONMENT,
  // A module's outputs when stubbed; otherwise a placeholder that property access extends.
  reference: (s, [symbol]) =>
    s.outputs?.[str(symbol!)]
      ? {
          outputs: Object.fromEntries(
            Object.entries(s.outputs[str(symbol!)]!).map(([k, v]) => [k, { value: v }]),
          ),
        }
      : `<reference(${str(symbol!)})>`,
  resourceId: (_, args) => `<resourceId(${args.map(str).join(',')})>`,
  // As ARM builds it, in the subscription being deployed to unless one is given first.
  subscriptionResourceId: (s, args) => {
    const explicit = !str(args[0]!).includes('/');
    const [subscriptionId, type, ...names] = explicit ? args.map(str) : [s.subscriptionId, ...args.map(str)];
    const [provider, ...types] = type!.split('/');
    const path = types.flatMap((t, i) => [t, names[i] ?? fail(`name for ${t}`)]).join('/');
    return `/subscriptions/${subscriptionId}/providers/${provider}.${path}`.replace(
      `providers/${provider}.`,
      `providers/${provider}/`,
    );
  },
  extensionResourceId: (_, args) => `<extensionResourceId(${args.map(str).join(',')})>`,
  // Arrays: every distinct value, in order of first appearance; objects: later keys win.
  union: (_, args) =>
    args.every(Array.isArray)
      ? (args as Json[][])
          .flat()
          .filter((v, i, all) => all.findIndex((w) => JSON.stringify(w) === JSON.stringify(v)) === i)
      : Object.assign({}, ...(args as JsonObject[])),
  replace: (_, [v, from, to]) => str(v!).split(str(from!)).join(str(to!)),
  split: (_, [v, separator]) => str(v!).split(str(separator!)),
  join: (_, [array, separator]) => (array as Json[]).map(str).join(str(separator!)),
};

function fail(what: string): never {
  throw new Error(`unknown ${what}`);
}

function hash13(text: string): string {
  let h = 2166136261;
  for (const ch of text) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return (h.toString(36) + 'abcdefghijklm').slice(0, 13);
}

function parseExpression(tokens: Token[]): Node {
  let pos = 0;
  const next = () => tokens[pos++] ?? fail('end of expression');
  const expect = (text: string) => {
    const t = next();
    if (t.text !== text) throw new Error(`expected ${text}, got ${t.text}`);
  };
  const primary = (): Node => {
    const t = next();
    let node: Node;
    if (t.kind === 'string') node = { kind: 'literal', value: t.text };
    else if (t.kind === 'number') node = { kind: 'literal', value: Number(t.text) };
    else if (t.kind === 'name' && (t.text === 'true' || t.text === 'false')) {
      node = { kind: 'literal', value: t.text === 'true' };
      // Both spellings: a bare literal, and the functions true() and false().
      if (tokens[pos]?.text === '(' && tokens[pos + 1]?.text === ')') pos += 2;
    } else if (t.kind === 'name') {
      let name = t.text;
      // A user-defined function: namespace.member(...).
      if (tokens[pos]?.text === '.' && tokens[pos + 2]?.text === '(') {
        pos++;
        name = `${name}.${next().text}`;
      }
      expect('(');
      const args: Node[] = [];
      while (tokens[pos]?.text !== ')') {
        args.push(primary());
        if (tokens[pos]?.text === ',') pos++;
      }
      expect(')');
      node = { kind: 'call', name, args };
    } else throw new Error(`unexpected ${t.text}`);
    while (tokens[pos]?.text === '.' || tokens[pos]?.text === '[') {
      if (next().text === '.') node = { kind: 'property', target: node, name: next().text };
      else {
        const index = primary();
        expect(']');
        node = { kind: 'index', target: node, index };
      }
    }
    return node;
  };
  const node = primary();
  if (pos !== tokens.length) throw new Error(`trailing tokens after ${tokens[pos - 1]?.text}`);
  return node;
}

function evalNode(node: Node, scope: Scope): Json {
  switch (node.kind) {
    case 'literal':
      return node.value;
    case 'property': {
      const value = evalNode(node.target, scope);
      return typeof value === 'string' && value.startsWith('<')
        ? `${value.slice(0, -1)}.${node.name}>`
        : (((value as JsonObject) ?? {})[node.name] ?? null);
    }
    case 'index': {
      const value = evalNode(node.target, scope);
      const index = evalNode(node.index, scope);
      return (value as Record<string, Json>)[str(index)] ?? null;
    }
    case 'call': {
      // Lazy, as ARM is: only the branch taken is evaluated; a lambda's body waits for its arguments.
      if (node.name === 'if') {
        const [condition, whenTrue, whenFalse] = node.args;
        return evalNode(evalNode(condition!, scope) ? whenTrue! : whenFalse!, scope);
      }
      if (node.name === 'lambda') {
        const parameters = node.args.slice(0, -1).map((a) => str(evalNode(a, scope)));
        const lambda: Lambda = { lambda: { parameters, body: node.args.at(-1)!, scope } };
        return lambda as unknown as Json;
      }
      const args = node.args.map((a) => evalNode(a, scope));
      if (node.name.includes('.')) return callUserFunction(node.name, args, scope);
      return (FUNCTIONS[node.name] ?? fail(`function ${node.name}()`))(scope, args);
    }
  }
}

/**
 * A user-defined function, as ARM runs one: its output evaluated with its own parameters bound and
 * nothing else of the template in sight (no template parameters or variables).
 */
function callUserFunction(qualified: string, args: Json[], scope: Scope): Json {
  const [namespace, member] = qualified.split('.') as [string, string];
  const groups = (scope.functions ?? []) as JsonObject[];
  const declaration = (groups.find((g) => g.namespace === namespace)?.members as JsonObject | undefined)?.[
    member
  ] as JsonObject | undefined;
  if (!declaration) fail(`function ${qualified}()`);
  const parameters = (declaration.parameters as JsonObject[]).map((p) => String(p.name));
  if (parameters.length !== args.length)
    throw new Error(`${qualified}() takes ${parameters.length} arguments`);
  const bound = Object.fromEntries(parameters.map((p, i) => [p, args[i]!]));
  return evaluate((declaration.output as JsonObject).value!, {
    parameters: bound,
    variables: {},
    subscriptionId: scope.subscriptionId,
    functions: scope.functions,
  });
}

/** Evaluates ARM expressions ("[...]") anywhere in a value; "[[" escapes a literal bracket. */
export function evaluate(value: Json, scope: Scope): Json {
  if (typeof value === 'string') {
    if (value.startsWith('[[')) return value.slice(1);
    if (value.startsWith('[') && value.endsWith(']'))
      return evalNode(parseExpression(tokenize(value.slice(1, -1))), scope);
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
  const base = {
    variables: (template.variables as JsonObject) ?? {},
    subscriptionId,
    functions: template.functions ?? [],
  };
  return evaluate(value, { ...base, parameters: bindParameters(template, planned.parameters, base) });
}

/**
 * A resource inside a module as it would deploy: every copy of a `copy` loop (each evaluated with its
 * copyIndex()), or the one resource; with the module's planned parameters.
 */
export function evaluateResourceInModule(
  module: ArmResource,
  planned: PlannedModule,
  resource: ArmResource,
  subscriptionId: string,
): JsonObject[] {
  const template = innerTemplate(module);
  const base = {
    variables: (template.variables as JsonObject) ?? {},
    subscriptionId,
    functions: template.functions ?? [],
  };
  const scope: Scope = { ...base, parameters: bindParameters(template, planned.parameters, base) };
  const copy = resource.raw.copy as JsonObject | undefined;
  const count = copy ? Number(evaluate(copy.count!, scope)) : 1;
  const raw = Object.fromEntries(Object.entries(resource.raw).filter(([key]) => key !== 'copy'));
  return Array.from(
    { length: count },
    (_, i) => evaluate(raw, copy ? { ...scope, copyIndex: i } : scope) as JsonObject,
  );
}

export interface PlannedModule {
  readonly symbol: string;
  readonly deploys: boolean;
  readonly resourceGroup: string | null;
  readonly parameters: Record<string, Json>;
  /** Where each copy deploys: one for a plain module, one per iteration of a `copy` loop. */
  readonly copies: readonly { readonly subscriptionId: string | null }[];
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
  const base = {
    variables: (template.variables as JsonObject) ?? {},
    functions: template.functions ?? [],
    ...options,
  };
  const scope: Scope = { ...base, parameters: bindParameters(template, given, base) };
  return resourcesOf(template)
    .filter((r) => r.type === 'Microsoft.Resources/deployments')
    .map((r) => {
      const props = r.raw.properties as JsonObject;
      const rawParameters = evaluate(props.parameters ?? {}, scope) as Record<string, JsonObject>;
      const copy = r.raw.copy as JsonObject | undefined;
      const count = copy ? Number(evaluate(copy.count!, scope)) : 1;
      const copies = Array.from({ length: count }, (_, i) => ({
        subscriptionId:
          r.raw.subscriptionId === undefined
            ? null
            : String(evaluate(r.raw.subscriptionId, copy ? { ...scope, copyIndex: i } : scope)),
      }));
      return {
        copies,
        symbol: r.symbol,
        deploys: r.raw.condition === undefined ? true : Boolean(evaluate(r.raw.condition, scope)),
        resourceGroup:
          r.raw.resourceGroup === undefined ? null : String(evaluate(r.raw.resourceGroup, scope)),
        parameters: Object.fromEntries(Object.entries(rawParameters).map(([k, v]) => [k, v.value ?? null])),
      };
    });
}
