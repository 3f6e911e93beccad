import { ConfigError } from './configError.js';
import { dutyFrom, type GuardrailDuty } from './duty.js';
import { outboxScheduleFrom, reconcileScheduleFrom, sweepScheduleFrom } from './schedules.js';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DEFAULT_EXEMPTION_MAX_DAYS } from '../lib/nsg/exemption.js';
import { DEFAULT_ROLE_NAME, defaultDesiredRole } from '../lib/role/desiredRole.js';
import { parseRoleDefinition, type RoleShape } from '../lib/role/roleDefinition.js';
import type { StorageTarget } from '../adapters/tableStorage.js';

/** Every app setting the guardrail reads, by its environment variable name. */
export const SETTING_NAMES = [
  'GUARDRAIL_SUBSCRIPTION_ID',
  'GUARDRAIL_TEAMS_WEBHOOK_URL',
  'GUARDRAIL_MODE',
  'GUARDRAIL_ARM_ENDPOINT',
  'GUARDRAIL_ARM_CA_FILE',
  'AZURE_CLIENT_ID',
  'GUARDRAIL_ARM_MAX_RETRIES',
  'GUARDRAIL_ARM_RETRY_DELAY_MS',
  'GUARDRAIL_LRO_POLL_INTERVAL_MS',
  'GUARDRAIL_TEAMS_MAX_ATTEMPTS',
  'GUARDRAIL_TEAMS_TIMEOUT_MS',
  'GUARDRAIL_TEAMS_RETRY_DELAY_MS',
  'GUARDRAIL_PORTAL_URL',
  'GUARDRAIL_ROLE_NAME',
  'GUARDRAIL_ROLE_ASSIGNABLE_SCOPES',
  'GUARDRAIL_ROLE_MANAGEMENT_GROUP',
  'GUARDRAIL_GUARDED_MANAGEMENT_GROUP',
  'GUARDRAIL_ROLE_DESIRED_FILE',
  'GUARDRAIL_ROLE_SETTLE_SECONDS',
  'GUARDRAIL_RECONCILE_SCHEDULE',
  'GUARDRAIL_SWEEP_SCHEDULE',
  'GUARDRAIL_SWEEP_SUBSCRIPTIONS',
  'GUARDRAIL_STORAGE_CONNECTION_STRING',
  'AzureWebJobsStorage',
  'AzureWebJobsStorage__tableServiceUri',
  'GUARDRAIL_AUDIT_TABLE',
  'GUARDRAIL_OUTBOX_TABLE',
  'GUARDRAIL_OUTBOX_SCHEDULE',
  'GUARDRAIL_ADMIN_APP_ROLE',
  'GUARDRAIL_DUTY',
  'GUARDRAIL_EXEMPTION_MAX_DAYS',
] as const;

export type SettingName = (typeof SETTING_NAMES)[number];

export type GuardrailMode = 'enforce' | 'report';

export interface GuardrailConfig {
  /**
   * Workflows "When a Teams webhook request is received" URL. Holds a signature: never log it.
   * Only the CLI may run without one (it then prints alerts instead).
   */
  readonly teamsWebhookUrl: string | undefined;
  readonly mode: GuardrailMode;
  readonly arm: {
    readonly endpoint: string;
    /** PEM text of an extra CA to trust (the local emulator's self-signed certificate). */
    readonly ca: string | undefined;
    /** True when the endpoint is on this machine: the emulator, which takes its own tokens. */
    readonly isLoopback: boolean;
    readonly maxRetries: number;
    readonly retryDelayMs: number;
    readonly lroPollIntervalMs: number | undefined;
  };
  readonly managedIdentityClientId: string | undefined;
  readonly teams: {
    readonly maxAttempts: number;
    readonly timeoutMs: number;
    readonly retryDelayMs: number;
  };
  readonly portalUrl: string;
  readonly role: {
    /** The subscription the guardrail is deployed for; the role lives at its scope. */
    readonly subscriptionId: string;
    /** Where the role definition is read and written: `/subscriptions/<id>`. */
    readonly scope: string;
    /** The desired role, assignable scopes included. */
    readonly desired: RoleShape & { readonly roleName: string; readonly assignableScopes: readonly string[] };
    /** How long after its own write a stale read counts as "pending", not as drift. */
    readonly settleMs: number;
  };
  /** App role an Entra-authenticated caller needs for `POST /api/reconcile`. */
  readonly adminAppRole: string;
  /** Subscriptions this deployment guards: the sweep lists NSGs in them, and events of others are ignored. */
  readonly guardedSubscriptions: readonly string[];
  /**
   * A management group whose every subscription is guarded (tenant scale): its events are acted on
   * whatever the list above says, and the sweep finds its subscriptions through Resource Graph.
   */
  readonly guardedManagementGroup: string | undefined;
  /** How far ahead a `jit-guardrail-exempt-until` tag may end and still exempt (0: no exemptions). */
  readonly exemptionMaxDays: number;
  /** Which functions this app hosts (src/config/duty.ts). */
  readonly duty: GuardrailDuty;
  /** Table Storage for the audit trail and the alert outbox; undefined keeps them in memory (sandbox, CLI). */
  readonly storage: StorageTarget | undefined;
  readonly tables: { readonly audit: string; readonly outbox: string };
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

function isLoopbackUrl(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname);
}

const emptyAsUndefined = (value: unknown) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

const urlSetting = (what: string, allowLoopbackHttp: boolean) =>
  z.string({ error: `is required: ${what}` }).superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: `must be an absolute URL (${what})` });
      return;
    }
    const plainHttpAllowed = allowLoopbackHttp && url.protocol === 'http:' && isLoopbackUrl(url);
    if (url.protocol !== 'https:' && !plainHttpAllowed) {
      ctx.addIssue({
        code: 'custom',
        message: `must use https${allowLoopbackHttp ? ' (plain http only for 127.0.0.1/localhost)' : ''}`,
      });
    }
  });

const integerSetting = (min: number, max: number, fallback: number) =>
  z.preprocess(
    emptyAsUndefined,
    z.coerce
      .number({ error: `must be a whole number from ${min} to ${max}` })
      .int({ error: `must be a whole number from ${min} to ${max}` })
      .min(min, { error: `must be at least ${min}` })
      .max(max, { error: `must be at most ${max}` })
      .default(fallback),
  );

/** A subscription, tenant or client id. */
export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const TABLE_NAME = /^[A-Za-z][A-Za-z0-9]{2,62}$/;

const STORAGE_EXAMPLES =
  "use 'UseDevelopmentStorage=true' for Azurite, or 'DefaultEndpointsProtocol=https;AccountName=<account>;AccountKey=<key>;EndpointSuffix=core.windows.net'";

/**
 * Why Table Storage would refuse this connection string, or undefined when it is usable. Checked
 * here because the SDK fails late and obscurely (a part without '=' crashes it). The value holds
 * an account key: no part of it is ever echoed.
 */
export function storageConnectionStringProblem(value: string): string | undefined {
  // Azurite's shorthand only as the whole value: the SDK would otherwise switch to Azurite silently.
  if (/^\s*UseDevelopmentStorage=true\s*;?\s*$/i.test(value)) return undefined;
  if (/UseDevelopmentStorage=/i.test(value))
    return `holds UseDevelopmentStorage with other parts: use 'UseDevelopmentStorage=true' alone for Azurite, or an account string without it`;
  if (isAbsoluteUrl(value))
    return 'holds a URL, not a connection string: for a managed identity set AzureWebJobsStorage__tableServiceUri to that URL instead';
  const parts = connectionStringParts(value);
  if (parts === undefined)
    return `is not a storage connection string (Key=Value pairs separated by ';'): ${STORAGE_EXAMPLES}`;
  const gap =
    parts.has('defaultendpointsprotocol') && parts.has('accountkey') ? accountKeyGap(parts) : sasGap(parts);
  return gap === undefined
    ? undefined
    : `is not a usable storage connection string (${gap}): ${STORAGE_EXAMPLES}`;
}

/** The parts by lower-cased key (keys are case-insensitive); undefined unless every part is `Key=Value`. */
function connectionStringParts(value: string): Map<string, string> | undefined {
  const parts = new Map<string, string>();
  for (const part of value.split(';').map((p) => p.trim())) {
    if (part === '') continue;
    const equals = part.indexOf('=');
    if (equals <= 0) return undefined;
    parts.set(part.slice(0, equals).trim().toLowerCase(), part.slice(equals + 1).trim());
  }
  return parts.size === 0 ? undefined : parts;
}

function accountKeyGap(parts: ReadonlyMap<string, string>): string | undefined {
  if (!parts.get('accountname')) return 'AccountName is missing';
  if (!parts.get('accountkey')) return 'AccountKey is empty';
  const tableEndpoint = parts.get('tableendpoint');
  if (tableEndpoint)
    return isAbsoluteUrl(tableEndpoint) ? plainHttpProblem(tableEndpoint) : 'TableEndpoint is not a URL';
  if (!/^https?$/i.test(parts.get('defaultendpointsprotocol') ?? ''))
    return "DefaultEndpointsProtocol must be 'https' or 'http'";
  if (/^http$/i.test(parts.get('defaultendpointsprotocol') ?? ''))
    return "DefaultEndpointsProtocol must be 'https': the account key signs requests that would cross the network in clear";
  return parts.get('endpointsuffix') ? undefined : 'EndpointSuffix (or TableEndpoint) is missing';
}

/** Without DefaultEndpointsProtocol and AccountKey the SDK reads a shared access signature string. */
function sasGap(parts: ReadonlyMap<string, string>): string | undefined {
  if (parts.has('accountkey')) return 'DefaultEndpointsProtocol is missing';
  const tableEndpoint = parts.get('tableendpoint');
  if (!tableEndpoint)
    return 'it names no account: AccountName and AccountKey, or TableEndpoint and SharedAccessSignature';
  if (!isAbsoluteUrl(tableEndpoint)) return 'TableEndpoint is not a URL';
  const clear = plainHttpProblem(tableEndpoint);
  if (clear !== undefined) return clear;
  if (!namesAccount(new URL(tableEndpoint)))
    return 'TableEndpoint names no account: https://<account>.table.core.windows.net';
  return parts.get('sharedaccesssignature') ? undefined : 'SharedAccessSignature is missing';
}

/** Plain http only on this machine (Azurite): elsewhere a key or signature would travel in clear. */
function plainHttpProblem(endpoint: string): string | undefined {
  const url = new URL(endpoint.trim());
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname.toLowerCase());
  return url.protocol === 'http:' && !loopback
    ? 'TableEndpoint uses http: use https (plain http only for Azurite on this machine)'
    : undefined;
}

/** As the SDK finds the account: `<account>.table.<suffix>`, else the first path segment (Azurite). */
function namesAccount(url: URL): boolean {
  return url.hostname.split('.')[1] === 'table' || url.pathname.split('/')[1] !== '';
}

function isAbsoluteUrl(value: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(value.trim()).protocol);
  } catch {
    return false;
  }
}

const storageConnectionStringSetting = z.preprocess(
  emptyAsUndefined,
  z
    .string()
    .superRefine((value, ctx) => {
      const problem = storageConnectionStringProblem(value);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
);

/** A management group id: its name, as ARM's path spells it. */
const managementGroupSetting = z.preprocess(
  emptyAsUndefined,
  z
    .string()
    .regex(/^[\w().-]{1,90}$/, {
      error:
        'must be a management group id (its name, as in /providers/Microsoft.Management/managementGroups/<id>)',
    })
    .optional(),
);

const settingsSchema = (requireTeamsWebhook: boolean) =>
  z.object({
    GUARDRAIL_SUBSCRIPTION_ID: z.preprocess(
      emptyAsUndefined,
      z
        .string({ error: 'is required: the id of the subscription the guardrail protects' })
        .regex(GUID, { error: 'must be a subscription id (a GUID)' }),
    ),
    GUARDRAIL_TEAMS_WEBHOOK_URL: z.preprocess(
      emptyAsUndefined,
      requireTeamsWebhook
        ? urlSetting('the Teams Workflows webhook URL that receives alerts', true)
        : urlSetting('the Teams Workflows webhook URL that receives alerts', true).optional(),
    ),
    GUARDRAIL_MODE: z.preprocess(
      (v) => (typeof v === 'string' ? emptyAsUndefined(v.trim().toLowerCase()) : v),
      z.enum(['enforce', 'report'], { error: "must be 'enforce' or 'report'" }).default('enforce'),
    ),
    GUARDRAIL_ARM_ENDPOINT: z.preprocess(
      emptyAsUndefined,
      urlSetting('the Azure Resource Manager endpoint', false).default('https://management.azure.com'),
    ),
    GUARDRAIL_ARM_CA_FILE: z.preprocess(emptyAsUndefined, z.string().optional()),
    AZURE_CLIENT_ID: z.preprocess(
      emptyAsUndefined,
      z
        .string()
        .regex(GUID, { error: 'must be the client id (a GUID) of the user-assigned managed identity' })
        .optional(),
    ),
    GUARDRAIL_ARM_MAX_RETRIES: integerSetting(0, 10, 3),
    GUARDRAIL_ARM_RETRY_DELAY_MS: integerSetting(1, 60_000, 800),
    GUARDRAIL_LRO_POLL_INTERVAL_MS: z.preprocess(
      emptyAsUndefined,
      z.coerce
        .number({ error: 'must be a whole number of milliseconds' })
        .int({ error: 'must be a whole number of milliseconds' })
        .min(1, { error: 'must be at least 1' })
        .max(60_000, { error: 'must be at most 60000' })
        .optional(),
    ),
    GUARDRAIL_TEAMS_MAX_ATTEMPTS: integerSetting(1, 10, 5),
    GUARDRAIL_TEAMS_TIMEOUT_MS: integerSetting(100, 120_000, 10_000),
    GUARDRAIL_TEAMS_RETRY_DELAY_MS: integerSetting(1, 60_000, 1000),
    GUARDRAIL_PORTAL_URL: z.preprocess(
      emptyAsUndefined,
      urlSetting('the Azure portal base URL used in alert links', false).default('https://portal.azure.com'),
    ),
    GUARDRAIL_ROLE_NAME: z.preprocess(emptyAsUndefined, z.string().trim().min(1).max(512).optional()),
    GUARDRAIL_ROLE_ASSIGNABLE_SCOPES: z.preprocess(
      (v) => (typeof v === 'string' && v.trim() !== '' ? v.split(/[\s,]+/).filter(Boolean) : undefined),
      z
        .array(
          z
            .string()
            .regex(/^\/(subscriptions|providers\/Microsoft\.Management\/managementGroups)\/[^\s]+$/i, {
              error:
                'each scope must look like /subscriptions/<id>[/resourceGroups/<name>] or a management group',
            }),
        )
        .optional(),
    ),
    GUARDRAIL_GUARDED_MANAGEMENT_GROUP: managementGroupSetting,
    GUARDRAIL_ROLE_MANAGEMENT_GROUP: managementGroupSetting,
    GUARDRAIL_ROLE_DESIRED_FILE: z.preprocess(emptyAsUndefined, z.string().optional()),
    GUARDRAIL_ROLE_SETTLE_SECONDS: integerSetting(0, 7200, 600),
    GUARDRAIL_EXEMPTION_MAX_DAYS: integerSetting(0, 365, DEFAULT_EXEMPTION_MAX_DAYS),
    GUARDRAIL_RECONCILE_SCHEDULE: z.preprocess(emptyAsUndefined, z.string().optional()),
    GUARDRAIL_SWEEP_SCHEDULE: z.preprocess(emptyAsUndefined, z.string().optional()),
    GUARDRAIL_SWEEP_SUBSCRIPTIONS: z.preprocess(
      // Separators alone (" , ") name no subscription: unset, so the guard keeps its own.
      (v) => {
        const ids = typeof v === 'string' ? v.split(/[\s,]+/).filter(Boolean) : [];
        return ids.length > 0 ? ids : undefined;
      },
      z
        .array(
          z.string().regex(GUID, {
            error: (issue) =>
              `'${String(issue.input).slice(0, 60)}' is not a subscription id (a GUID); separate ids with commas or spaces`,
          }),
        )
        .optional(),
    ),
    GUARDRAIL_ADMIN_APP_ROLE: z.preprocess(
      emptyAsUndefined,
      z.string().trim().min(1).default('Guardrail.Admin'),
    ),
    GUARDRAIL_STORAGE_CONNECTION_STRING: storageConnectionStringSetting,
    // The host's own setting, in forms the host accepts and Table Storage may not: checked only
    // when the tables would use it (see storageTarget).
    AzureWebJobsStorage: z.preprocess(emptyAsUndefined, z.string().optional()),
    AzureWebJobsStorage__tableServiceUri: z.preprocess(
      emptyAsUndefined,
      urlSetting('the Table Storage endpoint', true).optional(),
    ),
    GUARDRAIL_AUDIT_TABLE: z.preprocess(
      emptyAsUndefined,
      z
        .string()
        .regex(TABLE_NAME, { error: 'must be a table name: 3-63 letters and digits, starting with a letter' })
        .default('GuardrailAudit'),
    ),
    GUARDRAIL_OUTBOX_TABLE: z.preprocess(
      emptyAsUndefined,
      z
        .string()
        .regex(TABLE_NAME, { error: 'must be a table name: 3-63 letters and digits, starting with a letter' })
        .default('GuardrailOutbox'),
    ),
    GUARDRAIL_OUTBOX_SCHEDULE: z.preprocess(emptyAsUndefined, z.string().optional()),
  });

/**
 * Reads and validates the app settings once. Throws ConfigError naming each bad setting; the
 * Teams webhook URL is never echoed back, since it carries a signature.
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  options: { readonly requireTeamsWebhook?: boolean } = {},
): GuardrailConfig {
  const parsed = settingsSchema(options.requireTeamsWebhook ?? true).safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${String(issue.path[0] ?? 'settings')}: ${issue.message}`),
    );
  }
  const s = parsed.data;
  const ca = readCaFile(s.GUARDRAIL_ARM_CA_FILE);
  const duty = dutyFrom(env);
  reconcileScheduleFrom(env);
  sweepScheduleFrom(env);
  outboxScheduleFrom(env);
  // The requester role lives in the subscription, or once at a management group for every
  // subscription below it.
  const scope =
    s.GUARDRAIL_ROLE_MANAGEMENT_GROUP === undefined
      ? `/subscriptions/${s.GUARDRAIL_SUBSCRIPTION_ID}`
      : `/providers/Microsoft.Management/managementGroups/${s.GUARDRAIL_ROLE_MANAGEMENT_GROUP}`;
  const desired = desiredRoleFrom(
    s.GUARDRAIL_ROLE_DESIRED_FILE,
    s.GUARDRAIL_ROLE_NAME,
    s.GUARDRAIL_ROLE_ASSIGNABLE_SCOPES ?? [scope],
  );
  if (s.GUARDRAIL_ROLE_MANAGEMENT_GROUP !== undefined) managementGroupRoleProblems(scope, desired);
  const armUrl = new URL(s.GUARDRAIL_ARM_ENDPOINT);
  return Object.freeze({
    teamsWebhookUrl: s.GUARDRAIL_TEAMS_WEBHOOK_URL,
    mode: s.GUARDRAIL_MODE,
    arm: Object.freeze({
      endpoint: armUrl.origin,
      ca,
      isLoopback: isLoopbackUrl(armUrl),
      maxRetries: s.GUARDRAIL_ARM_MAX_RETRIES,
      retryDelayMs: s.GUARDRAIL_ARM_RETRY_DELAY_MS,
      lroPollIntervalMs: s.GUARDRAIL_LRO_POLL_INTERVAL_MS,
    }),
    managedIdentityClientId: s.AZURE_CLIENT_ID,
    teams: Object.freeze({
      maxAttempts: s.GUARDRAIL_TEAMS_MAX_ATTEMPTS,
      timeoutMs: s.GUARDRAIL_TEAMS_TIMEOUT_MS,
      retryDelayMs: s.GUARDRAIL_TEAMS_RETRY_DELAY_MS,
    }),
    portalUrl: s.GUARDRAIL_PORTAL_URL.replace(/\/+$/, ''),
    role: Object.freeze({
      subscriptionId: s.GUARDRAIL_SUBSCRIPTION_ID,
      scope,
      desired,
      settleMs: s.GUARDRAIL_ROLE_SETTLE_SECONDS * 1000,
    }),
    adminAppRole: s.GUARDRAIL_ADMIN_APP_ROLE,
    exemptionMaxDays: s.GUARDRAIL_EXEMPTION_MAX_DAYS,
    duty,
    guardedSubscriptions: Object.freeze(s.GUARDRAIL_SWEEP_SUBSCRIPTIONS ?? [s.GUARDRAIL_SUBSCRIPTION_ID]),
    guardedManagementGroup: s.GUARDRAIL_GUARDED_MANAGEMENT_GROUP,
    storage: storageTarget(
      s.GUARDRAIL_STORAGE_CONNECTION_STRING,
      s.AzureWebJobsStorage,
      s.AzureWebJobsStorage__tableServiceUri,
    ),
    tables: Object.freeze({ audit: s.GUARDRAIL_AUDIT_TABLE, outbox: s.GUARDRAIL_OUTBOX_TABLE }),
  });
}

/**
 * Our own connection string first; else the function app's storage: `AzureWebJobsStorage` (a
 * connection string, validated by the schema), or its identity-based table endpoint (managed identity in Azure).
 */
function storageTarget(
  own: string | undefined,
  webJobs: string | undefined,
  tableServiceUri: string | undefined,
): StorageTarget | undefined {
  if (own !== undefined) return { kind: 'connection-string', value: own };
  const webJobsProblem = webJobs === undefined ? undefined : storageConnectionStringProblem(webJobs);
  if (webJobs !== undefined && webJobsProblem === undefined)
    return { kind: 'connection-string', value: webJobs };
  if (tableServiceUri !== undefined) return { kind: 'endpoint', url: tableServiceUri };
  if (webJobsProblem !== undefined)
    throw new ConfigError([
      `AzureWebJobsStorage: ${webJobsProblem}; or set GUARDRAIL_STORAGE_CONNECTION_STRING for the guardrail's tables`,
    ]);
  return undefined;
}

/** ARM's rules for a role defined at a management group, checked before any write is tried. */
function managementGroupRoleProblems(scope: string, desired: GuardrailConfig['role']['desired']): void {
  const problems: string[] = [];
  const scopes = desired.assignableScopes ?? [];
  if (scopes.length !== 1 || scopes[0]!.toLowerCase() !== scope.toLowerCase())
    problems.push(
      `GUARDRAIL_ROLE_ASSIGNABLE_SCOPES: with GUARDRAIL_ROLE_MANAGEMENT_GROUP the role is assignable at that management group only (${scope}); unset it`,
    );
  if (desired.dataActions.length > 0)
    problems.push(
      'GUARDRAIL_ROLE_MANAGEMENT_GROUP: a role with data actions cannot be defined at a management group; remove them from GUARDRAIL_ROLE_DESIRED_FILE',
    );
  if (problems.length > 0) throw new ConfigError(problems);
}

function desiredRoleFrom(
  file: string | undefined,
  roleName: string | undefined,
  assignableScopes: readonly string[],
): GuardrailConfig['role']['desired'] {
  if (file === undefined) {
    return {
      ...defaultDesiredRole(roleName ?? DEFAULT_ROLE_NAME),
      roleName: roleName ?? DEFAULT_ROLE_NAME,
      assignableScopes,
    };
  }
  let role: RoleShape;
  try {
    role = parseRoleDefinition(JSON.parse(readFileSync(file, 'utf8')));
  } catch (error) {
    const reason =
      error instanceof Error && 'code' in error
        ? String(error.code)
        : error instanceof Error
          ? error.message
          : String(error);
    throw new ConfigError([
      `GUARDRAIL_ROLE_DESIRED_FILE: '${file}' is not a usable role definition (${reason})`,
    ]);
  }
  if (roleName !== undefined && role.roleName !== undefined && role.roleName !== roleName) {
    throw new ConfigError([
      `GUARDRAIL_ROLE_NAME: '${roleName}' differs from the roleName '${role.roleName}' in GUARDRAIL_ROLE_DESIRED_FILE; set one of them`,
    ]);
  }
  const name = roleName ?? role.roleName ?? DEFAULT_ROLE_NAME;
  return {
    ...role,
    roleName: name,
    description: role.description ?? defaultDesiredRole(name).description,
    assignableScopes: role.assignableScopes ?? assignableScopes,
  };
}

function readCaFile(path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
    throw new ConfigError([`GUARDRAIL_ARM_CA_FILE: cannot read '${path}' (${reason})`]);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ConfigError([`GUARDRAIL_ARM_CA_FILE: '${path}' holds no PEM certificate`]);
  }
  return text;
}

export { ConfigError } from './configError.js';
export {
  DEFAULT_OUTBOX_SCHEDULE,
  DEFAULT_RECONCILE_SCHEDULE,
  DEFAULT_SWEEP_SCHEDULE,
  outboxScheduleFrom,
  reconcileScheduleFrom,
  sweepScheduleFrom,
} from './schedules.js';
