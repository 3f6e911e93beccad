import { PERMISSION_FIELDS, type RoleField, type RoleShape } from './roleDefinition.js';

export interface FieldChange {
  readonly field: RoleField;
  /** In the actual role, not in the desired one (first spelling seen). */
  readonly extra: readonly string[];
  /** In the desired role, missing from the actual one. */
  readonly missing: readonly string[];
}

export interface RoleDiff {
  readonly inSync: boolean;
  readonly changes: readonly FieldChange[];
}

/**
 * Compares permissions as case-insensitive sets (order and case are not drift), and assignable
 * scopes only when the desired role names them.
 */
export function diffRole(actual: RoleShape, desired: RoleShape): RoleDiff {
  const changes: FieldChange[] = [];
  for (const field of PERMISSION_FIELDS) {
    const change = diffSet(field, actual[field], desired[field]);
    if (change) changes.push(change);
  }
  if (desired.assignableScopes !== undefined) {
    const normalise = (scopes: readonly string[]) => scopes.map((s) => s.replace(/(.)\/+$/, '$1'));
    const change = diffSet(
      'assignableScopes',
      normalise(actual.assignableScopes ?? []),
      normalise(desired.assignableScopes),
    );
    if (change) changes.push(change);
  }
  return { inSync: changes.length === 0, changes };
}

function diffSet(
  field: RoleField,
  actual: readonly string[],
  desired: readonly string[],
): FieldChange | undefined {
  const lower = (values: readonly string[]) => new Set(values.map((v) => v.toLowerCase()));
  const actualSet = lower(actual);
  const desiredSet = lower(desired);
  const extra = unique(actual.filter((v) => !desiredSet.has(v.toLowerCase())));
  const missing = unique(desired.filter((v) => !actualSet.has(v.toLowerCase())));
  return extra.length === 0 && missing.length === 0 ? undefined : { field, extra, missing };
}

function unique(values: readonly string[]): string[] {
  const seen = new Set<string>();
  return values.filter((v) => !seen.has(v.toLowerCase()) && seen.add(v.toLowerCase()));
}

export type Severity = 'critical' | 'warning' | 'info';

export interface ClassifiedChange extends FieldChange {
  /** critical: the role grants more than it should; warning: requesters may be blocked. */
  readonly severity: Severity;
  readonly meaning: string;
}

/** What each change means for security: more power is critical, less power is a warning. */
export function classifyChanges(changes: readonly FieldChange[]): ClassifiedChange[] {
  return changes.map((change) => {
    const grantsMore =
      ((change.field === 'actions' ||
        change.field === 'dataActions' ||
        change.field === 'assignableScopes') &&
        change.extra.length > 0) ||
      ((change.field === 'notActions' || change.field === 'notDataActions') && change.missing.length > 0);
    if (grantsMore)
      return {
        ...change,
        severity: 'critical',
        meaning: 'privilege escalation: the role grants more than least privilege',
      };
    return {
      ...change,
      severity: 'warning',
      meaning: 'requesters may be blocked: the role grants less than they need',
    };
  });
}

export function worstSeverity(changes: readonly { readonly severity: Severity }[]): Severity {
  if (changes.some((c) => c.severity === 'critical')) return 'critical';
  if (changes.some((c) => c.severity === 'warning')) return 'warning';
  return 'info';
}
