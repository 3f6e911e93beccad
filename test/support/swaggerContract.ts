import Ajv from 'ajv';
import { fixture } from './fixtures.js';

type Json = Record<string, unknown>;

/** Swagger files by the names their `$ref`s use, mapped to our fixture copies. */
const FILES: Record<string, string> = {
  'networkSecurityGroup.json': 'arm/network/networkSecurityGroup.2026-01-01.json',
  'network.json': 'arm/network/network.2026-01-01.json',
  'jitNetworkAccessPolicies.json': 'arm/security/jitNetworkAccessPolicies.2020-01-01.json',
  'authorization-RoleDefinitionsCalls.json':
    'arm/authorization/authorization-RoleDefinitionsCalls.2022-04-01.json',
  'common/v1/types.json': 'arm/security/common-v1-types.json',
  'common-types/resource-management/v2/types.json':
    'arm/common/common-types-resource-management-v2-types.json',
};

const documents = new Map<string, Json>();
function document(name: string): Json | undefined {
  const path = FILES[name];
  if (path === undefined) return undefined;
  let doc = documents.get(name);
  if (!doc) {
    doc = fixture<Json>(path);
    documents.set(name, doc);
  }
  return doc;
}

function fileOfRef(ref: string, currentFile: string): string {
  const [file] = ref.split('#');
  if (!file) return currentFile;
  const known = Object.keys(FILES).find((name) => file.endsWith(name));
  return known ?? file;
}

/**
 * Turns a swagger schema into a self-contained JSON Schema: `$ref`s inlined (across files), `allOf`
 * merged, and `additionalProperties: false` on objects, so a field the emulator invents is caught.
 * References to files we do not hold (other Microsoft.Network types) accept anything.
 */
function inline(schema: unknown, file: string, stack: string[] = []): Json {
  if (typeof schema !== 'object' || schema === null) return {};
  const s = schema as Json;
  if (typeof s.$ref === 'string') {
    const target = fileOfRef(s.$ref, file);
    const doc = document(target);
    const pointer = s.$ref.split('#')[1] ?? '';
    const key = `${target}#${pointer}`;
    if (!doc || stack.includes(key)) return {};
    const resolved = pointer
      .split('/')
      .filter(Boolean)
      .reduce<unknown>((node, part) => (node as Json | undefined)?.[part], doc);
    return inline(resolved, target, [...stack, key]);
  }
  const out: Json = {};
  for (const [k, v] of Object.entries(s)) {
    if (k.startsWith('x-') || k === 'discriminator' || k === 'example' || k === 'description') continue;
    if (k === 'properties') {
      out.properties = Object.fromEntries(
        Object.entries(v as Json).map(([name, sub]) => [
          name,
          nullableWhereArmSendsNull(name, inline(sub, file, stack)),
        ]),
      );
    } else if (k === 'items' || k === 'additionalProperties') {
      out[k] = typeof v === 'boolean' ? v : inline(v, file, stack);
    } else if (k !== 'allOf') {
      out[k] = v;
    }
  }
  if (Array.isArray(s.allOf)) {
    for (const part of s.allOf) {
      const merged = inline(part, file, stack);
      out.properties = {
        ...(merged.properties as Json | undefined),
        ...(out.properties as Json | undefined),
      };
      out.required = [
        ...new Set([
          ...((merged.required as string[] | undefined) ?? []),
          ...((out.required as string[] | undefined) ?? []),
        ]),
      ];
      if (merged.type && !out.type) out.type = merged.type;
    }
  }
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  if (Array.isArray(out.required) && out.required.length === 0) delete out.required;
  return out;
}

/**
 * Real ARM sends a role definition's `createdBy`/`updatedBy` as null where the spec says string (the
 * Azure CLI and Cloud Custodian recordings under arm/recordings): reality wins, for those two only.
 */
function nullableWhereArmSendsNull(name: string, schema: Json): Json {
  return (name === 'createdBy' || name === 'updatedBy') && schema.type === 'string'
    ? { ...schema, type: ['string', 'null'] }
    : schema;
}

const ajv = new Ajv.default({ strict: false, allErrors: true, validateFormats: false });

export interface ContractCheck {
  readonly operationId: string;
  readonly errors: string[];
}

/**
 * Checks one emulator answer against the published operation: the status must be one the
 * operation declares (errors may use `default`), and the body must match that response's schema.
 */
export function checkAgainstSwagger(
  swaggerFile: keyof typeof FILES,
  method: string,
  path: string,
  status: number,
  body: unknown,
): ContractCheck {
  const doc = document(swaggerFile)!;
  const paths = doc.paths as Record<string, Record<string, Json>>;
  const template = Object.keys(paths).find((t) =>
    new RegExp(`^${t.replace(/\{[^}]+\}/g, '[^/]+')}$`, 'i').test(path),
  );
  if (!template) return { operationId: '?', errors: [`no swagger path matches ${path}`] };
  const operation = paths[template]![method.toLowerCase()];
  if (!operation) return { operationId: '?', errors: [`${method} is not an operation of ${template}`] };
  const responses = operation.responses as Record<string, Json>;
  const declared = responses[String(status)] ?? (status >= 400 ? responses.default : undefined);
  const operationId = String(operation.operationId);
  if (!declared)
    return {
      operationId,
      errors: [`status ${status} is not declared (declared: ${Object.keys(responses).join(', ')})`],
    };
  if (!declared.schema) {
    return {
      operationId,
      errors:
        body === undefined
          ? []
          : [`status ${status} declares no body, got ${JSON.stringify(body).slice(0, 80)}`],
    };
  }
  const validate = ajv.compile(inline(declared.schema, swaggerFile));
  if (validate(body)) return { operationId, errors: [] };
  return {
    operationId,
    errors: (validate.errors ?? []).map(
      (e) =>
        `${e.instancePath || '/'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`,
    ),
  };
}

/** The schema of a named definition, for checking documents that are not an operation's answer. */
export function definitionValidator(swaggerFile: keyof typeof FILES, definition: string) {
  return ajv.compile(inline({ $ref: `#/definitions/${definition}` }, swaggerFile));
}
