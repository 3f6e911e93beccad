import { z } from 'zod';

export const PERMISSION_FIELDS = ['actions', 'notActions', 'dataActions', 'notDataActions'] as const;
export type PermissionField = (typeof PERMISSION_FIELDS)[number];
export type RoleField = PermissionField | 'assignableScopes';

/** A role definition reduced to what the guardrail compares; permissions are the union of all entries. */
export interface RoleShape {
  readonly id: string | undefined;
  readonly roleName: string | undefined;
  readonly description: string | undefined;
  readonly actions: readonly string[];
  readonly notActions: readonly string[];
  readonly dataActions: readonly string[];
  readonly notDataActions: readonly string[];
  /** Undefined when the document does not name them (then they are not compared). */
  readonly assignableScopes: readonly string[] | undefined;
}

const strings = z.array(z.string({ error: 'must be a list of strings' }), {
  error: 'must be a list of strings',
});

const permissionSchema = z.looseObject({
  actions: strings.optional(),
  notActions: strings.optional(),
  dataActions: strings.optional(),
  notDataActions: strings.optional(),
});

/** As ARM returns it: `{id, name, type, properties: {roleName, permissions: [...], assignableScopes}}`. */
const armRoleSchema = z.looseObject({
  id: z.string().optional(),
  name: z.string().optional(),
  properties: z.looseObject({
    roleName: z.string().optional(),
    description: z.string().optional(),
    permissions: z.array(permissionSchema, { error: 'properties.permissions must be a list' }),
    assignableScopes: strings.optional(),
  }),
});

/** As `az role definition create --role-definition` takes it: PascalCase, one permission set. */
const azCliRoleSchema = z.looseObject({
  Name: z.string().optional(),
  Id: z.string().optional(),
  Description: z.string().optional(),
  Actions: strings,
  NotActions: strings.optional(),
  DataActions: strings.optional(),
  NotDataActions: strings.optional(),
  AssignableScopes: strings.optional(),
});

/** The flat form the guardrail's own desired-role file may use. */
const flatRoleSchema = z.looseObject({
  roleName: z.string().optional(),
  description: z.string().optional(),
  actions: strings,
  notActions: strings.optional(),
  dataActions: strings.optional(),
  notDataActions: strings.optional(),
  assignableScopes: strings.optional(),
});

export class NotARoleDefinitionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotARoleDefinitionError';
  }
}

/**
 * Reads a role definition in any of four shapes: as ARM returns it, flattened as the SDK and
 * `az role definition list` return it, as the Azure CLI's role file, or flat (`{roleName, actions, …}`).
 * The error names what is wrong.
 */
export function parseRoleDefinition(value: unknown): RoleShape {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new NotARoleDefinitionError('not a role definition: expected a JSON object');
  }
  const record = value as Record<string, unknown>;
  if ('properties' in record) {
    const parsed = armRoleSchema.safeParse(value);
    if (!parsed.success) throw fail(parsed.error);
    const p = parsed.data.properties;
    const union = (field: PermissionField) => dedupe(p.permissions.flatMap((entry) => entry[field] ?? []));
    return {
      id: parsed.data.id,
      roleName: p.roleName,
      description: p.description,
      actions: union('actions'),
      notActions: union('notActions'),
      dataActions: union('dataActions'),
      notDataActions: union('notDataActions'),
      assignableScopes: p.assignableScopes,
    };
  }
  if ('permissions' in record && !('properties' in record)) {
    // As the SDK and `az role definition list` return it: `properties` flattened away.
    return parseRoleDefinition({ id: record.id, name: record.name, properties: record });
  }
  if ('Actions' in record) {
    const parsed = azCliRoleSchema.safeParse(value);
    if (!parsed.success) throw fail(parsed.error);
    const d = parsed.data;
    return {
      id: d.Id,
      roleName: d.Name,
      description: d.Description,
      actions: dedupe(d.Actions),
      notActions: dedupe(d.NotActions ?? []),
      dataActions: dedupe(d.DataActions ?? []),
      notDataActions: dedupe(d.NotDataActions ?? []),
      assignableScopes: d.AssignableScopes,
    };
  }
  const parsed = flatRoleSchema.safeParse(value);
  if (!parsed.success) {
    throw new NotARoleDefinitionError(
      'not a role definition: expected properties.permissions (ARM), Actions (Azure CLI) or actions',
    );
  }
  const d = parsed.data;
  return {
    id: undefined,
    roleName: d.roleName,
    description: d.description,
    actions: dedupe(d.actions),
    notActions: dedupe(d.notActions ?? []),
    dataActions: dedupe(d.dataActions ?? []),
    notDataActions: dedupe(d.notDataActions ?? []),
    assignableScopes: d.assignableScopes,
  };
}

function fail(error: z.ZodError): NotARoleDefinitionError {
  const issue = error.issues[0];
  const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
  return new NotARoleDefinitionError(
    `not a role definition: ${issue?.message ?? 'unexpected shape'}${where}`,
  );
}

/** Keeps the first spelling of each value, compared case-insensitively. */
export function dedupe(values: readonly string[]): string[] {
  const seen = new Set<string>();
  return values.filter((v) => {
    const key = v.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
