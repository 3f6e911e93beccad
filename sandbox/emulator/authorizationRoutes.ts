import {
  armError,
  decode,
  isRecord,
  page,
  route,
  type EmulatorCore,
  type RequestContext,
  type Reply,
  type Route,
} from './routing.js';
import type { ArmJson } from './state.js';

const ROLE_TYPE = 'Microsoft.Authorization/roleDefinitions';
const ONE_ROLE = /^(.*)\/providers\/Microsoft\.Authorization\/roleDefinitions\/([^/]+)\/?$/i;
const ROLE_LIST = /^(.*)\/providers\/Microsoft\.Authorization\/roleDefinitions\/?$/i;
const FILTER_ROLE_NAME = /^\s*roleName\s+eq\s+'((?:[^']|'')*)'\s*$/i;
const FILTER_TYPE = /^\s*type\s+eq\s+'(CustomRole|BuiltInRole)'\s*$/i;

interface RoleVersion {
  readonly visibleAt: number;
  /** Undefined once deleted. */
  readonly doc: ArmJson | undefined;
}

export interface RoleStoreOptions {
  /**
   * How long after a write lists lag it. Recorded (azure-cli `test_custom_role_definition_scenario`,
   * interactions 2–4): a `$filter=roleName eq` list right after the PUT answered `{"value":[]}`, so a
   * list leaves the role out until then. A GET by id (the path the PUT went to) shows the write at
   * once: no recording shows it lagging.
   */
  readonly readLagMs: () => number;
}

/** Role definitions, versioned so that reads can lag writes. */
export class RoleDefinitionStore {
  private readonly roles = new Map<string, RoleVersion[]>();

  constructor(private readonly options: RoleStoreOptions) {}

  /** The latest version, lag or not: what a GET by id shows and a write conflicts with. */
  latest(guid: string): ArmJson | undefined {
    return this.roles.get(guid.toLowerCase())?.at(-1)?.doc;
  }

  allLatest(): ArmJson[] {
    return [...this.roles.values()].flatMap((v) => (v.at(-1)?.doc ? [v.at(-1)!.doc!] : []));
  }

  /** What a list shows: a role written within the lag is left out altogether, as recorded. */
  allListed(now = Date.now()): ArmJson[] {
    return [...this.roles.values()].flatMap((versions) => {
      const latest = versions.at(-1);
      return latest?.doc && latest.visibleAt <= now ? [latest.doc] : [];
    });
  }

  write(guid: string, doc: ArmJson | undefined, lag = this.options.readLagMs()): void {
    const versions = this.roles.get(guid.toLowerCase()) ?? [];
    versions.push({ visibleAt: Date.now() + lag, doc });
    this.roles.set(guid.toLowerCase(), versions);
  }
}

/** Microsoft.Authorization role definitions: get, list with `$filter`, create or update (201), delete. */
export function authorizationRoutes(core: EmulatorCore, roles: RoleDefinitionStore): Route[] {
  return [
    route('GET', ONE_ROLE, (_ctx, [, guid = '']) => {
      const doc = roles.latest(decode(guid));
      return doc
        ? { status: 200, body: doc }
        : armError(
            404,
            'RoleDefinitionDoesNotExist',
            "The specified role definition with ID '" + decode(guid) + "' does not exist.",
          );
    }),
    route('GET', ROLE_LIST, (ctx, [scope = '']) => {
      const filter = ctx.query.get('$filter');
      let matches = roles.allListed().filter((doc) => assignableAt(doc, scope));
      if (filter) {
        const byName = FILTER_ROLE_NAME.exec(filter);
        const byType = FILTER_TYPE.exec(filter);
        if (byName) {
          const wanted = byName[1]!.replace(/''/g, "'").toLowerCase();
          matches = matches.filter((doc) => String(props(doc).roleName).toLowerCase() === wanted);
        } else if (byType) {
          matches = matches.filter(
            (doc) => String(props(doc).type).toLowerCase() === byType[1]!.toLowerCase(),
          );
        } else {
          return armError(
            400,
            'InvalidFilter',
            `The filter '${filter}' is not supported by the emulator (roleName eq '…' or type eq '…').`,
          );
        }
      }
      return page(matches, ctx, core);
    }),
    route('PUT', ONE_ROLE, (ctx, [scope = '', guid = '']) => put(ctx, decode(scope), decode(guid))),
    route('DELETE', ONE_ROLE, (ctx, [scope = '', guid = '']) => {
      const id = decode(guid);
      const doc = roles.latest(id);
      if (!doc) return { status: 204 };
      roles.write(id, undefined);
      core.publishCallerEvent(
        ctx,
        'Microsoft.Resources.ResourceDeleteSuccess',
        subscriptionOf(scope),
        doc.id,
        'Microsoft.Authorization/roleDefinitions/delete',
      );
      return { status: 200, body: doc };
    }),
  ];

  function put(ctx: RequestContext, scope: string, guid: string): Reply {
    const body = ctx.body;
    if (!isRecord(body) || !isRecord(body.properties))
      return armError(400, 'InvalidRequestFormat', 'The request body must have properties.');
    const p = body.properties;
    if (typeof p.roleName !== 'string' || p.roleName.trim() === '')
      return armError(
        400,
        'RoleDefinitionNameNullOrEmpty',
        'The role definition name cannot be null or empty.',
      );
    if (!Array.isArray(p.permissions))
      return armError(400, 'InvalidRoleDefinition', 'properties.permissions is required.');
    if (!Array.isArray(p.assignableScopes) || p.assignableScopes.length === 0) {
      return armError(
        400,
        'InvalidAssignableScopes',
        'The role definition must have at least one assignable scope.',
      );
    }
    // ARM's rules for management groups: one at most among the assignable scopes, and none for a
    // role with data actions.
    const groups = (p.assignableScopes as unknown[]).filter((x) => MANAGEMENT_GROUP.test(String(x)));
    if (groups.length > 1)
      return armError(
        400,
        'InvalidAssignableScopes',
        'Only one management group can be defined in the assignable scopes of a custom role.',
      );
    const hasDataActions = (p.permissions as unknown[]).some(
      (e) => isRecord(e) && Array.isArray(e.dataActions) && e.dataActions.length > 0,
    );
    if (groups.length > 0 && hasDataActions)
      return armError(
        400,
        'InvalidAssignableScopes',
        'A custom role with data actions cannot have a management group as an assignable scope.',
      );
    const sameName = roles
      .allLatest()
      .find(
        (doc) =>
          String(doc.name).toLowerCase() !== guid.toLowerCase() &&
          String(props(doc).roleName).toLowerCase() === String(p.roleName).toLowerCase(),
      );
    if (sameName) {
      return armError(
        409,
        'RoleDefinitionWithSameNameExists',
        `A custom role with the same name already exists in this directory. Use a different name.`,
      );
    }
    const existing = roles.latest(guid);
    const now = new Date().toISOString();
    // Real ARM names the writer by object id (Cloud Custodian's recording has one old role saying a
    // plain name), and an old definition may say null.
    const who = ctx.principal.objectId;
    const doc: ArmJson = {
      id: `${scope}/providers/Microsoft.Authorization/roleDefinitions/${guid}`,
      name: guid,
      type: ROLE_TYPE,
      properties: {
        roleName: p.roleName,
        type: 'CustomRole',
        description: typeof p.description === 'string' ? p.description : '',
        assignableScopes: p.assignableScopes,
        permissions: (p.permissions as unknown[]).map((entry) => {
          const e = isRecord(entry) ? entry : {};
          return {
            actions: arrayOf(e.actions),
            notActions: arrayOf(e.notActions),
            dataActions: arrayOf(e.dataActions),
            notDataActions: arrayOf(e.notDataActions),
          };
        }),
        createdOn: (existing && props(existing).createdOn) ?? now,
        updatedOn: now,
        createdBy: (existing && props(existing).createdBy) ?? who,
        updatedBy: who,
      },
    };
    roles.write(guid, doc);
    // Event Grid's system topics are per subscription: a write at a management group reaches none.
    if (subscriptionOf(scope) !== '')
      core.publishCallerEvent(
        ctx,
        'Microsoft.Resources.ResourceWriteSuccess',
        subscriptionOf(scope),
        doc.id,
        'Microsoft.Authorization/roleDefinitions/write',
      );
    // Recorded: the PUT's answer says `createdBy: null` and `createdOn` = `updatedOn`, update or
    // create alike; reads give the object id and the first creation time.
    return {
      status: 201,
      body: { ...doc, properties: { ...props(doc), createdOn: now, createdBy: null } },
    };
  }
}

const MANAGEMENT_GROUP = /^\/providers\/Microsoft\.Management\/managementGroups\/[^/]+\/?$/i;

function props(doc: ArmJson): Record<string, unknown> {
  return (doc.properties ?? {}) as Record<string, unknown>;
}

function arrayOf(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

/** A role can be assigned at a scope when one of its assignable scopes is that scope or above it. */
function assignableAt(doc: ArmJson, scope: string): boolean {
  const target = `${scope.replace(/\/+$/, '').toLowerCase()}/`;
  const scopes = (props(doc).assignableScopes as string[] | undefined) ?? [];
  return scopes.some((s) => target.startsWith(`${s.replace(/\/+$/, '').toLowerCase()}/`));
}

function subscriptionOf(scope: string): string {
  return /\/subscriptions\/([^/]+)/i.exec(scope)?.[1] ?? '';
}
