import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import guardPermissions from '../../src/config/guard-permissions.json' with { type: 'json' };
import watched from '../../src/config/watched-operations.json' with { type: 'json' };
import reconcilerPermissions from '../../src/config/reconciler-permissions.json' with { type: 'json' };
import jitRequester from '../../src/config/jit-requester-actions.json' with { type: 'json' };
import {
  bindParameters,
  compiledTemplate,
  evaluate,
  MANAGEMENT_GROUP,
  resourcesOf,
  type JsonObject,
} from '../support/armTemplate.js';
import { DEFAULT_ROLE_NAME } from '../../src/lib/role/desiredRole.js';
import { CHOICES, GUID } from './deployment.js';
import { effectOn, fieldsOf, ROLE_DEFINITION_ALIASES, roleDefinitionRequest } from './azurePolicy.js';

type Json = JsonObject[string];

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const template = JSON.parse(readFileSync(join(ROOT, 'infra/tenant/main.json'), 'utf8')) as JsonObject;
const variables = template.variables as JsonObject;
const resources = resourcesOf(template);
const ofType = (type: string) => resources.filter((r) => r.type === type);
const at = (value: Json, mode: 'enforce' | 'report' = 'enforce', given: Record<string, Json> = {}) =>
  evaluate(value, {
    parameters: { guardrailMode: mode, ...given },
    variables,
    subscriptionId: '00000000-0000-0000-0000-000000000000',
  });

/**
 * Tenant scale, as the real Bicep compiler made it (infra/tenant/main.json): checked by compilation
 * and by these tests only; no management group was deployed to.
 */
describe('infra/tenant: one deployment for every subscription below a management group', () => {
  it("defines the guard's role once at the group, from the same file the code is tested against, reads only in report mode", () => {
    const roles = ofType('Microsoft.Authorization/roleDefinitions').map((r) => r.raw);
    const role = roles.find((r) => JSON.stringify(r).includes("variables('guardActions')"));
    const remediation = roles.find((r) => JSON.stringify(r).includes('Events Remediation'));
    expect(at(variables.guardActions!)).toEqual(guardPermissions.actions);
    expect(at(variables.guardActions!, 'report')).toEqual(
      guardPermissions.actions.filter((a) => a.endsWith('/read')),
    );
    expect(JSON.stringify(role)).toContain("variables('guardActions')");
    expect(JSON.stringify(role)).toContain('managementGroup().id');
    // The remediation identity may create the topic and its subscription, and nothing else.
    const actions = ((remediation!.properties as JsonObject).permissions as JsonObject[])[0]!.actions;
    expect(actions).toEqual([
      'Microsoft.Resources/subscriptions/resourceGroups/read',
      'Microsoft.Resources/subscriptions/resourceGroups/write',
      'Microsoft.Resources/deployments/*',
      'Microsoft.EventGrid/systemTopics/read',
      'Microsoft.EventGrid/systemTopics/write',
      'Microsoft.EventGrid/systemTopics/eventSubscriptions/read',
      'Microsoft.EventGrid/systemTopics/eventSubscriptions/write',
      'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action',
    ]);
    // Custom role names are unique in the tenant: never the subscription deployment's.
    expect(
      (
        at(role!.properties!, 'enforce', {
          resourceToken: 't0k',
        }) as JsonObject
      ).roleName,
    ).toBe(`${guardPermissions.roleName} (t0k, management group)`);
  });

  it('assigns the guard its role at the group (inherited below), and the policy identity its own', () => {
    const assignments = ofType('Microsoft.Authorization/roleAssignments').map((r) => JSON.stringify(r.raw));
    expect(assignments).toHaveLength(3);
    expect(assignments.some((a) => a.includes("parameters('guardPrincipalId')"))).toBe(true);
    expect(
      assignments.some((a) => a.includes('eventsPolicyAssignment') || a.includes('policyAssignments')),
    ).toBe(true);
  });

  it('gives the reconciler its own role at the group only when the requester role lives there, from its own file', () => {
    const roles = ofType('Microsoft.Authorization/roleDefinitions').map((r) => r.raw);
    const reconciler = roles.find((r) => JSON.stringify(r).includes("variables('reconcilerActions')"))!;
    expect(at(reconciler.condition!, 'enforce', { reconcilerPrincipalId: '' })).toBe(false);
    expect(at(reconciler.condition!, 'enforce', { reconcilerPrincipalId: 'p' })).toBe(true);
    expect(at(variables.reconcilerActions!)).toEqual(reconcilerPermissions.actions);
    expect(at(variables.reconcilerActions!, 'report')).toEqual([
      'Microsoft.Authorization/roleDefinitions/read',
    ]);
    // The split holds at the group too: neither role holds the other's actions.
    expect(guardPermissions.actions.some((a) => a.startsWith('Microsoft.Authorization/'))).toBe(false);
    expect(reconcilerPermissions.actions.some((a) => a.startsWith('Microsoft.Network/'))).toBe(false);
  });

  it('new and existing subscriptions get the topic and the filtered, dead-lettered event subscription (DeployIfNotExists)', () => {
    const policy = ofType('Microsoft.Authorization/policyDefinitions')[0]!.raw;
    const rule = (policy.properties as JsonObject).policyRule as JsonObject;
    expect(rule.if).toEqual({ field: 'type', equals: 'Microsoft.Resources/subscriptions' });
    const details = (rule.then as JsonObject).details as JsonObject;
    expect((rule.then as JsonObject).effect).toBe('deployIfNotExists');
    expect(details).toMatchObject({
      type: 'Microsoft.EventGrid/systemTopics/eventSubscriptions',
      deploymentScope: 'subscription',
    });
    const text = JSON.stringify(policy);
    // Filtered on the NSG half of the very file the code reads; role writes stay with the reconciler.
    expect(text).toContain(`"values":"[variables('watched').nsgOperations]"`);
    expect(text).not.toContain('roleOperations');
    expect((at(variables.watched!) as JsonObject).nsgOperations).toEqual(watched.nsgOperations);
    expect(text).toContain('deadLetterWithResourceIdentity');
    expect(text).toContain('[[subscription().id]');
    // Compliant only while it still delivers to this guard; the topic is named, not resourceId()'d.
    expect(details.existenceCondition).toEqual({
      allOf: [
        {
          field: 'Microsoft.EventGrid/systemTopics/eventSubscriptions/destination.AzureFunction.resourceId',
          equals: "[parameters('guardFunctionId')]",
        },
      ],
    });
    expect(text).not.toContain("resourceId(''Microsoft.EventGrid/systemTopics''");
    const assignment = ofType('Microsoft.Authorization/policyAssignments').find(
      (r) => r.symbol === 'eventsPolicyAssignment',
    )!.raw;
    expect(assignment.identity).toEqual({ type: 'SystemAssigned' });
    // The guard's own subscription has its topic from infra/main.bicep: a second one would fail there.
    const home = '44444444-0000-4000-8000-000000000004';
    expect(
      at((assignment.properties as JsonObject).notScopes!, 'enforce', {
        guardFunctionId: `/subscriptions/${home}/resourceGroups/rg-x/providers/Microsoft.Web/sites/func-guardrail-x/functions/guard`,
      }),
    ).toEqual([`/subscriptions/${home}`]);
  });

  describe('a Deny policy at the group refuses widening the roles the guardrail owns there', () => {
    const TOKEN = 'abcdefghijklm';
    const deployed = (type: string, given: Record<string, Json>) => {
      const resource = ofType(type).find((r) => r.symbol.startsWith('ownedRolesPolicy'))!;
      return evaluate(resource.raw, {
        parameters: {
          guardrailMode: 'enforce',
          resourceToken: TOKEN,
          reconcilerPrincipalId: '',
          roleName: '',
          ...given,
        },
        variables,
        functions: template.functions ?? [],
        subscriptionId: '00000000-0000-0000-0000-000000000000',
      }) as JsonObject;
    };
    const ruleWith = (given: Record<string, Json> = {}) =>
      (deployed('Microsoft.Authorization/policyDefinitions', given).properties as JsonObject)
        .policyRule as JsonObject;
    const group = `/providers/Microsoft.Management/managementGroups/${MANAGEMENT_GROUP}`;
    const guard = {
      id: `guid(${group},jit-guardrail-guard,${TOKEN})`,
      name: `${guardPermissions.roleName} (${TOKEN}, management group)`,
    };
    const reconciler = {
      id: `guid(${group},jit-guardrail-reconciler,${TOKEN})`,
      name: `${reconcilerPermissions.roleName} (${TOKEN}, management group)`,
    };
    const REQUESTER_ID = '0d0e0f00-0000-5000-8000-000000000001';

    it("names the group's roles as its role resources do, and only published aliases; assigned with Deny in force", () => {
      const roles = ofType('Microsoft.Authorization/roleDefinitions').map(
        (r) =>
          evaluate(r.raw, {
            parameters: {
              guardrailMode: 'enforce',
              resourceToken: TOKEN,
              reconcilerPrincipalId: 'p',
              roleName: '',
            },
            variables,
            subscriptionId: '00000000-0000-0000-0000-000000000000',
          }) as JsonObject,
      );
      const byName = roles.map((r) => [r.name, (r.properties as JsonObject).roleName]);
      expect(byName).toContainEqual([guard.id, guard.name]);
      expect(byName).toContainEqual([reconciler.id, reconciler.name]);
      const rule = ruleWith();
      for (const field of fieldsOf(rule))
        expect(['type', 'name', ...Object.keys(ROLE_DEFINITION_ALIASES)], field).toContain(field);
      expect(rule.then).toEqual({ effect: 'deny' });
      const assignment = deployed('Microsoft.Authorization/policyAssignments', {});
      expect(String(assignment.name).length).toBeLessThanOrEqual(24);
      expect(assignment.properties).toMatchObject({ enforcementMode: 'Default' });
      expect(assignment.properties).toMatchObject({
        policyDefinitionId: expect.stringMatching(
          /policyDefinitions,jit-guardrail-owned-roles-mg-abcdefghijklm\)>$/,
        ),
      });
    });

    it("denies widening the guard's role at the group, by name or by GUID, and allows it as defined or narrowed", () => {
      const rule = ruleWith();
      const effect = (name: string, roleName: string, actions: string[], dataActions: string[] = []) =>
        effectOn(rule, roleDefinitionRequest(name, roleName, [{ actions, dataActions }]));
      expect(effect(guard.id, guard.name, guardPermissions.actions)).toBeUndefined();
      expect(
        effect(
          guard.id,
          guard.name,
          guardPermissions.actions.filter((a) => a.endsWith('/read')),
        ),
      ).toBeUndefined();
      expect(effect(guard.id, guard.name, [...guardPermissions.actions, 'Microsoft.Authorization/*'])).toBe(
        'deny',
      );
      expect(effect(guard.id, 'Harmless Reader', ['*'])).toBe('deny');
      expect(effect(guard.id, guard.name, guardPermissions.actions, ['Microsoft.Storage/*'])).toBe('deny');
      // Without the requester role at the group, the reconciler's and requester's are not this policy's.
      expect(effect(REQUESTER_ID, jitRequester.defaultRoleName, ['*'])).toBeUndefined();
    });

    it("takes the requester role's name from the subscription deployment's output, as the reconciler uses it", () => {
      const subscriptionTemplate = compiledTemplate();
      const output = (given: Record<string, Json>) => {
        const base = {
          variables: subscriptionTemplate.variables as JsonObject,
          functions: subscriptionTemplate.functions ?? [],
          subscriptionId: GUID,
        };
        const parameters = bindParameters(subscriptionTemplate, { ...CHOICES, ...given }, base);
        const outputs = subscriptionTemplate.outputs as Record<string, JsonObject>;
        return evaluate(outputs.GUARDRAIL_REQUESTER_ROLE_NAME!.value!, { ...base, parameters });
      };
      expect(output({})).toBe(DEFAULT_ROLE_NAME);
      expect(output({ roleName: '  JIT requester (contoso) ' })).toBe('JIT requester (contoso)');
    });

    it('with the requester role at the group (reconcilerPrincipalId, GUARDRAIL_ROLE_NAME), covers it and the reconciler role too', () => {
      const rule = ruleWith({ reconcilerPrincipalId: 'p', roleName: '  JIT requester (contoso) ' });
      const effect = (name: string, roleName: string, actions: string[]) =>
        effectOn(rule, roleDefinitionRequest(name, roleName, [{ actions }]));
      expect(effect(reconciler.id, reconciler.name, reconcilerPermissions.actions)).toBeUndefined();
      expect(effect(reconciler.id, reconciler.name, [...reconcilerPermissions.actions, '*'])).toBe('deny');
      expect(effect(reconciler.id, 'Harmless Reader', ['*/write'])).toBe('deny');
      expect(effect(REQUESTER_ID, 'JIT requester (contoso)', jitRequester.actions)).toBeUndefined();
      expect(
        effect(REQUESTER_ID, 'JIT requester (contoso)', [
          ...jitRequester.actions,
          'Microsoft.Security/locations/jitNetworkAccessPolicies/write',
        ]),
      ).toBe('deny');
      expect(effect('99999999-0000-4000-8000-000000000000', 'Contoso Operator', ['*'])).toBeUndefined();
    });
  });
});
