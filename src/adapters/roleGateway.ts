import { AuthorizationManagementClient, type RoleDefinition } from '@azure/arm-authorization';
import type { TokenCredential } from '@azure/core-auth';
import type { GuardrailConfig } from '../config/settings.js';
import { dedupe, type RoleShape } from '../lib/role/roleDefinition.js';
import { statusOf, toArmCallError } from './armCallError.js';
import { armClientOptions } from './armClientOptions.js';

export interface FoundRole extends RoleShape {
  readonly id: string;
  /** Object id of whoever last changed it, when ARM says. */
  readonly updatedBy: string | undefined;
}

/** Role definition reads and writes through `@azure/arm-authorization`. */
export interface RoleGateway {
  /** Every role definition with this name that is assignable at the scope (one list call). */
  findByName(scope: string, roleName: string): Promise<FoundRole[]>;
  /** The definition with this GUID, or undefined when ARM answers 404. */
  getById(scope: string, guid: string): Promise<FoundRole | undefined>;
  /**
   * Creates or replaces the definition with this GUID at the scope. ARM answers 201 either way, and
   * its answer cannot tell which it was: recorded, an update answers `createdOn` = `updatedOn`.
   */
  put(
    scope: string,
    guid: string,
    role: RoleShape & { roleName: string; assignableScopes: readonly string[] },
  ): Promise<void>;
}

export function createRoleGateway(config: GuardrailConfig, credential: TokenCredential): RoleGateway {
  const client = new AuthorizationManagementClient(
    credential,
    config.role.subscriptionId,
    armClientOptions(config),
  );
  return {
    async findByName(scope, roleName) {
      const found: FoundRole[] = [];
      try {
        const filter = `roleName eq '${roleName.replace(/'/g, "''")}'`;
        for await (const definition of client.roleDefinitions.list(scope, { filter }))
          found.push(toFoundRole(definition));
      } catch (error) {
        throw toArmCallError('list role definitions', `${scope} (roleName '${roleName}')`, error);
      }
      return found;
    },

    async getById(scope, guid) {
      try {
        return toFoundRole(await client.roleDefinitions.get(scope, guid));
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw toArmCallError(
          'read role definition',
          `${scope}/providers/Microsoft.Authorization/roleDefinitions/${guid}`,
          error,
        );
      }
    },

    async put(scope, guid, role) {
      try {
        await client.roleDefinitions.createOrUpdate(scope, guid, {
          roleName: role.roleName,
          description: role.description ?? '',
          roleType: 'CustomRole',
          permissions: [
            {
              actions: [...role.actions],
              notActions: [...role.notActions],
              dataActions: [...role.dataActions],
              notDataActions: [...role.notDataActions],
            },
          ],
          assignableScopes: [...role.assignableScopes],
        });
      } catch (error) {
        throw toArmCallError(
          'write role definition',
          `${scope}/providers/Microsoft.Authorization/roleDefinitions/${guid}`,
          error,
        );
      }
    },
  };
}

function toFoundRole(definition: RoleDefinition): FoundRole {
  const permissions = definition.permissions ?? [];
  const union = (pick: (p: (typeof permissions)[number]) => string[] | undefined) =>
    dedupe(permissions.flatMap((p) => pick(p) ?? []));
  return {
    id: definition.id ?? '',
    roleName: definition.roleName,
    description: definition.description,
    actions: union((p) => p.actions),
    notActions: union((p) => p.notActions),
    dataActions: union((p) => p.dataActions),
    notDataActions: union((p) => p.notDataActions),
    assignableScopes: definition.assignableScopes ?? [],
    // Real ARM sends null for roles it has no writer for (the Cloud Custodian recording).
    updatedBy: definition.updatedBy ?? undefined,
  };
}
