import {
  compiledTemplate,
  evaluateInModule,
  evaluateResourceInModule,
  innerTemplate,
  moduleNamed,
  onlyResourceOfType,
  planModules,
  resourcesOf,
  type ArmResource,
  type JsonObject,
  type PlannedModule,
} from '../support/armTemplate.js';

/**
 * The compiled template (what the real Bicep compiler made of infra/; test/infra/bicepCompiler.test.ts
 * keeps it current) and a first provision planned with the operator's choices, module outputs stubbed.
 */
export const template = compiledTemplate();
export const GUID = '11111111-2222-3333-4444-555555555555';
export const SUBSCRIPTION_ID = `/subscriptions/${GUID}`;

/** A first provision with the operator's choices, as main.parameters.json would give them. */
export const CHOICES = {
  environmentName: 'guard-prod',
  location: 'westeurope',
  teamsWebhookUrl:
    'https://prod-00.westeurope.logic.azure.com/workflows/x/triggers/manual/paths/invoke?sig=s',
  guardrailMode: 'report',
};

const RG = '/subscriptions/s/resourceGroups/rg-guard-prod/providers';
/** Three identities, three principals: the guard app's, the reconciler app's, the system topic's. */
export const PRINCIPALS = {
  guard: 'aaaaaaaa-0000-4000-8000-00000000000a',
  reconciler: 'bbbbbbbb-0000-4000-8000-00000000000b',
  events: 'eeeeeeee-0000-4000-8000-00000000000e',
} as const;

const appOutputs = (app: 'guard' | 'reconciler', name: string, storageName: string) => ({
  name,
  defaultHostName: `${name}.azurewebsites.net`,
  identityId: `${RG}/Microsoft.ManagedIdentity/userAssignedIdentities/id-${app}`,
  identityPrincipalId: PRINCIPALS[app],
  identityClientId: PRINCIPALS[app].replace(/^./, 'c'),
  storageName,
  deadLetterContainer: 'eventgrid-deadletter',
});

export const STUB_OUTPUTS = {
  shared: {
    eventsIdentityId: `${RG}/Microsoft.ManagedIdentity/userAssignedIdentities/id-guardrail-events`,
    eventsIdentityPrincipalId: PRINCIPALS.events,
    roleWritesAlertId: `${RG}/Microsoft.Insights/activityLogAlerts/alert`,
  },
  guardApp: appOutputs('guard', 'func-guardrail-x', 'stguardx'),
  reconcilerApp: appOutputs('reconciler', 'func-reconciler-x', 'streconx'),
  guardRole: { roleDefinitionId: '/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/g' },
  reconcilerRole: {
    roleDefinitionId: '/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/r',
  },
};

export type Choices = Record<string, string | number | boolean>;

export const plan = (given: Choices = {}): Record<string, PlannedModule> =>
  Object.fromEntries(
    planModules(template, { ...CHOICES, ...given }, { subscriptionId: GUID, outputs: STUB_OUTPUTS }).map(
      (m) => [m.symbol, m],
    ),
  );

export const module = (symbol: string) => moduleNamed(template, symbol);

/** The one resource of a type inside a module's template. */
export const resourceIn = (symbol: string, type: string): ArmResource =>
  onlyResourceOfType(innerTemplate(module(symbol)), type);

/** A value inside a module, evaluated with the parameters that module is planned with. */
export const evaluateIn = (symbol: string, value: JsonObject[string], given: Choices = {}) =>
  evaluateInModule(module(symbol), plan(given)[symbol]!, value, GUID);

/** A resource of a module as it would deploy (each copy of a loop), evaluated in a subscription. */
export const deployedIn = (
  symbol: string,
  resource: ArmResource,
  given: Choices = {},
  subscriptionId: string = GUID,
) => evaluateResourceInModule(module(symbol), plan(given)[symbol]!, resource, subscriptionId);

export type AppSymbol = 'guardApp' | 'reconcilerApp';
export const APPS: readonly AppSymbol[] = ['guardApp', 'reconcilerApp'];

/** A function app's settings with the given choices, expressions evaluated. */
export const settingsOf = (app: AppSymbol, given: Choices = {}): Record<string, string> => {
  const site = resourceIn(app, 'Microsoft.Web/sites');
  const raw = ((site.raw.properties as JsonObject).siteConfig as JsonObject).appSettings!;
  return Object.fromEntries(
    (evaluateIn(app, raw, given) as { name: string; value: string }[]).map((s) => [s.name, s.value]),
  );
};

/** Role assignments of every module, by module symbol. */
export const roleAssignments = (): { symbol: string; resource: ArmResource }[] =>
  resourcesOf(template)
    .filter((r) => r.type === 'Microsoft.Resources/deployments')
    .flatMap((m) =>
      resourcesOf(innerTemplate(m))
        .filter((r) => r.type === 'Microsoft.Authorization/roleAssignments')
        .map((resource) => ({ symbol: m.symbol, resource })),
    );
