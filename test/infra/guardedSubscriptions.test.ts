import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import watched from '../../src/config/watched-operations.json' with { type: 'json' };
import { loadConfig } from '../../src/config/settings.js';
import {
  evaluate,
  evaluateResourceInModule,
  innerTemplate,
  onlyResourceOfType,
  planModules,
  resourcesOf,
  type ArmResource,
  type JsonObject,
} from '../support/armTemplate.js';
import {
  CHOICES,
  GUID,
  PRINCIPALS,
  STUB_OUTPUTS,
  deployedIn,
  module,
  plan,
  resourceIn,
  settingsOf,
  type Choices,
} from './deployment.js';

/**
 * Further subscriptions without a management group (GUARDRAIL_SWEEP_SUBSCRIPTIONS as a deployment
 * parameter): what infra/main.json, as the real Bicep compiler made it, would deploy in each. Checked
 * by compilation and these tests only; nothing was deployed across subscriptions.
 */
const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const SECOND = '22222222-0000-4000-8000-000000000002';
const THIRD = '33333333-0000-4000-8000-000000000003';
// Mixed case, spaces and commas, the home subscription and a repeat: as an operator may type it.
const LIST = ` ${SECOND.toUpperCase()}, ${THIRD} ${GUID},${SECOND}`;

const guardConfig = (given: Choices) =>
  loadConfig({
    ...settingsOf('guardApp', given),
    AZURE_CLIENT_ID: GUID,
    AzureWebJobsStorage__tableServiceUri: 'https://stguardx.table.core.windows.net/',
    GUARDRAIL_TEAMS_WEBHOOK_URL: CHOICES.teamsWebhookUrl,
  });

/** A module nested in the per-subscription module, planned as ARM would in that subscription. */
function nestedIn(subscriptionId: string, given: Choices) {
  const outer = plan(given).guardedSubscription!;
  const inner = innerTemplate(module('guardedSubscription'));
  const planned = Object.fromEntries(
    planModules(inner, outer.parameters, { subscriptionId }).map((m) => [m.symbol, m]),
  );
  const nested = (symbol: string): ArmResource => resourcesOf(inner).find((r) => r.symbol === symbol)!;
  return { planned, inner, nested };
}

describe('infra: further subscriptions from an explicit list (no management group)', () => {
  it('guards each listed subscription once, besides this one, and tells the guard the same list', () => {
    const planned = plan({ guardedSubscriptions: LIST });
    expect(planned.guardedSubscription!.copies).toEqual([
      { subscriptionId: SECOND },
      { subscriptionId: THIRD },
    ]);
    expect(settingsOf('guardApp', { guardedSubscriptions: LIST }).GUARDRAIL_SWEEP_SUBSCRIPTIONS).toBe(
      `${GUID},${SECOND},${THIRD}`,
    );
    // The app's own schema accepts it: its events and its sweep are those three subscriptions'.
    expect(guardConfig({ guardedSubscriptions: LIST }).guardedSubscriptions).toEqual([GUID, SECOND, THIRD]);
  });

  it('without a list, deploys nothing elsewhere and the guard keeps its default (this subscription)', () => {
    expect(plan().guardedSubscription!.copies).toEqual([]);
    expect(plan({ guardedSubscriptions: ` ${GUID} ` }).guardedSubscription!.copies).toEqual([]);
    expect(settingsOf('guardApp').GUARDRAIL_SWEEP_SUBSCRIPTIONS).toBe('');
    expect(guardConfig({}).guardedSubscriptions).toEqual([GUID]);
  });

  it("defines the guard's role once, here, assignable in each listed subscription", () => {
    const given = { guardedSubscriptions: LIST };
    const [role] = deployedIn(
      'guardRole',
      resourceIn('guardRole', 'Microsoft.Authorization/roleDefinitions'),
      given,
    );
    expect((role!.properties as JsonObject).assignableScopes).toEqual([
      `/subscriptions/${GUID}`,
      `/subscriptions/${SECOND}`,
      `/subscriptions/${THIRD}`,
    ]);
    const [assignment] = deployedIn(
      'guardedSubscription',
      resourceIn('guardedSubscription', 'Microsoft.Authorization/roleAssignments'),
      given,
      SECOND,
    );
    // Named by the listed subscription's id for the same role definition (GUID) the home one has.
    expect(assignment!.properties).toEqual({
      roleDefinitionId: `/subscriptions/${SECOND}/providers/Microsoft.Authorization/roleDefinitions/${String(plan(given).guardRole!.parameters.roleDefinitionName)}`,
      principalId: PRINCIPALS.guard,
      principalType: 'ServicePrincipal',
    });
  });

  it("gives each its system topic, and the guard's event subscription only once the code is deployed", () => {
    for (const deployEventSubscription of [false, true]) {
      const { planned } = nestedIn(SECOND, { guardedSubscriptions: LIST, deployEventSubscription });
      expect(planned.topic).toMatchObject({ deploys: true, parameters: { name: 'evgt-jit-guardrail' } });
      expect(planned.events!.deploys).toBe(deployEventSubscription);
    }
    const given = { guardedSubscriptions: LIST, deployEventSubscription: true };
    const { planned, nested } = nestedIn(SECOND, given);
    const events = nested('events');
    const deployed = evaluateResourceInModule(
      events,
      planned.events!,
      onlyResourceOfType(innerTemplate(events), 'Microsoft.EventGrid/systemTopics/eventSubscriptions'),
      SECOND,
    );
    // NSG writes only, to the guard in the home subscription; role writes stay home, with the role.
    expect(deployed).toHaveLength(1);
    expect(deployed[0]).toMatchObject({
      name: 'evgt-jit-guardrail/jit-guardrail-guard',
      properties: {
        destination: {
          properties: {
            resourceId: `<resourceId(${GUID},rg-guard-prod,Microsoft.Web/sites/functions,${STUB_OUTPUTS.guardApp.name},guard)>`,
          },
        },
        filter: {
          includedEventTypes: watched.eventTypes,
          advancedFilters: [
            { operatorType: 'StringIn', key: 'data.operationName', values: watched.nsgOperations },
          ],
        },
        deadLetterWithResourceIdentity: {
          identity: { userAssignedIdentity: STUB_OUTPUTS.shared.eventsIdentityId },
          deadLetterDestination: {
            properties: {
              resourceId: `<resourceId(${GUID},rg-guard-prod,Microsoft.Storage/storageAccounts,${STUB_OUTPUTS.guardApp.storageName})>`,
            },
          },
        },
      },
    });
  });

  it("deploys what the management group's policy looks for, so the two ways agree on a subscription", () => {
    // What the policy checks for (its existence check), as the tenant template deploys it...
    const tenant = JSON.parse(readFileSync(join(ROOT, 'infra/tenant/main.json'), 'utf8')) as JsonObject;
    const policy = resourcesOf(tenant).find((r) => r.symbol === 'eventsPolicy')!;
    const details = (
      (
        (
          evaluate(policy.raw, {
            parameters: {
              resourceToken: 'abcdefghijklm',
              location: 'westeurope',
              guardFunctionId: 'g',
              eventsIdentityId: 'e',
              deadLetterStorageId: 's',
              deadLetterContainer: 'c',
            },
            variables: tenant.variables as JsonObject,
            subscriptionId: SECOND,
          }) as JsonObject
        ).properties as JsonObject
      ).policyRule as JsonObject
    ).then as JsonObject;
    const looksFor = details.details as JsonObject;
    // ...and what the list deploys in a listed subscription: the same group, topic and event subscription.
    const given = { guardedSubscriptions: LIST, deployEventSubscription: true };
    const { planned, inner, nested } = nestedIn(SECOND, given);
    const group = resourcesOf(inner).find((r) => r.type === 'Microsoft.Resources/resourceGroups')!;
    const groupName = evaluate(group.raw.name!, {
      parameters: {},
      variables: inner.variables as JsonObject,
      subscriptionId: SECOND,
    });
    const events = nested('events');
    const [deployed] = evaluateResourceInModule(
      events,
      planned.events!,
      onlyResourceOfType(innerTemplate(events), 'Microsoft.EventGrid/systemTopics/eventSubscriptions'),
      SECOND,
    );
    expect(looksFor.type).toBe('Microsoft.EventGrid/systemTopics/eventSubscriptions');
    expect([looksFor.resourceGroupName, looksFor.name]).toEqual([groupName, deployed!.name]);
    expect(deployed!.name).toBe('evgt-jit-guardrail/jit-guardrail-guard');
  });
});
