import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import guardPermissions from '../../src/config/guard-permissions.json' with { type: 'json' };
import watched from '../../src/config/watched-operations.json' with { type: 'json' };
import reconcilerPermissions from '../../src/config/reconciler-permissions.json' with { type: 'json' };
import { evaluate, resourcesOf, type JsonObject } from '../support/armTemplate.js';

type Json = JsonObject[string];

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const template = JSON.parse(readFileSync(join(ROOT, 'infra/tenant/main.json'), 'utf8')) as JsonObject;
const variables = template.variables as JsonObject;
const resources = resourcesOf(template);
const ofType = (type: string) => resources.filter((r) => r.type === type);
const at = (value: Json, mode: 'enforce' | 'report' = 'enforce') =>
  evaluate(value, {
    parameters: { guardrailMode: mode },
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
    expect(JSON.stringify(role!.properties)).toContain('management group)');
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
    expect(reconciler.condition).toBe("[not(empty(parameters('reconcilerPrincipalId')))]");
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
    const assignment = ofType('Microsoft.Authorization/policyAssignments')[0]!.raw;
    expect(assignment.identity).toEqual({ type: 'SystemAssigned' });
  });
});
