/**
 * Just enough of Azure Policy's rule language to ask what the guardrail's own policy does with a
 * role-definition write: allOf / anyOf / not, field conditions (equals, notEquals, in, notIn, exists),
 * and count over an array alias with an optional where. Strings compare without regard to case, as
 * Policy compares them. A reading of the documented language, not Azure's engine.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/**
 * The aliases of Microsoft.Authorization/roleDefinitions this evaluator knows, and the request paths
 * they point at, as the published alias list gives them (what `az provider show --namespace
 * Microsoft.Authorization --expand "resourceTypes/aliases"` returns; not queried live here).
 */
export const ROLE_DEFINITION_ALIASES: Record<string, string> = {
  'Microsoft.Authorization/roleDefinitions/type': 'properties.type',
  'Microsoft.Authorization/roleDefinitions/roleName': 'properties.roleName',
  'Microsoft.Authorization/roleDefinitions/description': 'properties.description',
  'Microsoft.Authorization/roleDefinitions/assignableScopes[*]': 'properties.assignableScopes[*]',
  'Microsoft.Authorization/roleDefinitions/permissions[*]': 'properties.permissions[*]',
  'Microsoft.Authorization/roleDefinitions/permissions[*].actions[*]': 'properties.permissions[*].actions[*]',
  'Microsoft.Authorization/roleDefinitions/permissions[*].notActions[*]':
    'properties.permissions[*].notActions[*]',
  'Microsoft.Authorization/roleDefinitions/permissions[*].dataActions[*]':
    'properties.permissions[*].dataActions[*]',
  'Microsoft.Authorization/roleDefinitions/permissions[*].notDataActions[*]':
    'properties.permissions[*].notDataActions[*]',
};

/** Values at a path; `[*]` fans out over an array. */
function valuesAt(resource: Json, path: string): Json[] {
  let current: Json[] = [resource];
  for (const part of path.split('.')) {
    const many = part.endsWith('[*]');
    const key = many ? part.slice(0, -3) : part;
    const next: Json[] = [];
    for (const value of current) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) continue;
      const child = (value as JsonObject)[key];
      if (child === undefined) continue;
      if (many) next.push(...(Array.isArray(child) ? child : []));
      else next.push(child);
    }
    current = next;
  }
  return current;
}

function pathOf(field: string): string {
  if (field === 'type' || field === 'name') return field;
  const path = ROLE_DEFINITION_ALIASES[field];
  if (!path) throw new Error(`alias not known to this evaluator: ${field}`);
  return path;
}

const lower = (v: Json) => (typeof v === 'string' ? v.toLowerCase() : JSON.stringify(v));

function leaf(condition: JsonObject, value: Json | undefined): boolean {
  if ('equals' in condition) return value !== undefined && lower(value) === lower(condition.equals!);
  if ('notEquals' in condition) return value === undefined || lower(value) !== lower(condition.notEquals!);
  if ('in' in condition)
    return value !== undefined && (condition.in as Json[]).some((v) => lower(v) === lower(value));
  if ('notIn' in condition)
    return value === undefined || !(condition.notIn as Json[]).some((v) => lower(v) === lower(value));
  if ('exists' in condition) return (value !== undefined) === Boolean(condition.exists);
  throw new Error(`condition not known to this evaluator: ${JSON.stringify(condition)}`);
}

function compare(condition: JsonObject, n: number): boolean {
  if ('greater' in condition) return n > Number(condition.greater);
  if ('greaterOrEquals' in condition) return n >= Number(condition.greaterOrEquals);
  if ('less' in condition) return n < Number(condition.less);
  if ('lessOrEquals' in condition) return n <= Number(condition.lessOrEquals);
  if ('equals' in condition) return n === Number(condition.equals);
  throw new Error(`count comparison not known to this evaluator: ${JSON.stringify(condition)}`);
}

/** Does the condition hold for this request body? `current` binds a counted alias to one element. */
export function holds(condition: Json, resource: JsonObject, current: Record<string, Json> = {}): boolean {
  const c = condition as JsonObject;
  if ('allOf' in c) return (c.allOf as Json[]).every((x) => holds(x, resource, current));
  if ('anyOf' in c) return (c.anyOf as Json[]).some((x) => holds(x, resource, current));
  if ('not' in c) return !holds(c.not!, resource, current);
  if ('count' in c) {
    const count = c.count as JsonObject;
    const field = String(count.field);
    const elements = valuesAt(resource, pathOf(field));
    const matching = elements.filter(
      (element) =>
        count.where === undefined || holds(count.where, resource, { ...current, [field]: element }),
    );
    return compare(c, matching.length);
  }
  if ('field' in c) {
    const field = String(c.field);
    if (field in current) return leaf(c, current[field]);
    const values = valuesAt(resource, pathOf(field));
    // Outside a count, an array alias holds only when every element does.
    if (field.includes('[*]')) return values.every((v) => leaf(c, v));
    return leaf(c, values[0]);
  }
  throw new Error(`condition not known to this evaluator: ${JSON.stringify(condition)}`);
}

/** The effect a policy rule has on a request: its `then.effect` when `if` holds, else undefined. */
export function effectOn(policyRule: JsonObject, resource: JsonObject): string | undefined {
  return holds(policyRule.if!, resource) ? String((policyRule.then as JsonObject).effect) : undefined;
}

/** Every field a rule names, aliases and all, so a test can hold them to the known aliases. */
export function fieldsOf(condition: Json): string[] {
  if (Array.isArray(condition)) return condition.flatMap(fieldsOf);
  if (condition === null || typeof condition !== 'object') return [];
  return Object.entries(condition).flatMap(([key, value]) =>
    key === 'field' && typeof value === 'string' ? [value] : fieldsOf(value),
  );
}

/** A role-definition PUT body, as Azure Policy sees the request. */
export function roleDefinitionRequest(
  name: string,
  roleName: string,
  permissions: { actions?: string[]; notActions?: string[]; dataActions?: string[] }[],
): JsonObject {
  return {
    name,
    type: 'Microsoft.Authorization/roleDefinitions',
    properties: {
      roleName,
      type: 'CustomRole',
      permissions: permissions.map((p) => ({
        actions: p.actions ?? [],
        notActions: p.notActions ?? [],
        dataActions: p.dataActions ?? [],
        notDataActions: [],
      })),
      assignableScopes: ['/subscriptions/s'],
    },
  };
}
