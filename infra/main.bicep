targetScope = 'subscription'

metadata description = 'jit-guardrail: removes Defender for Cloud JIT rules opened to the internet, alerts Teams, and owns the JIT requester role. Two apps from one package, each with its own identity: the guard (NSG rules, no role writes) and the reconciler (the JIT requester role, no NSG access).'

import { appSetting, ownedRole, resourceTags } from 'app/types.bicep'

@minLength(1)
@maxLength(64)
@description('azd environment name; names and tags every resource.')
param environmentName string

@metadata({ azd: { type: 'location' } })
// Regions with Flex Consumption, as Microsoft's azd quickstart for Node on FC1 lists them;
// `az functionapp list-flexconsumption-locations` gives the live list.
@allowed([
  'australiaeast'
  'australiasoutheast'
  'brazilsouth'
  'canadacentral'
  'centralindia'
  'centralus'
  'eastasia'
  'eastus'
  'eastus2'
  'francecentral'
  'germanywestcentral'
  'italynorth'
  'japaneast'
  'koreacentral'
  'northcentralus'
  'northeurope'
  'norwayeast'
  'southafricanorth'
  'southcentralus'
  'southeastasia'
  'southindia'
  'spaincentral'
  'swedencentral'
  'uaenorth'
  'uksouth'
  'ukwest'
  'westcentralus'
  'westeurope'
  'westus'
  'westus2'
  'westus3'
])
@description('Region of the resource group and its resources: one where Flex Consumption (FC1) function apps run.')
param location string

@secure()
@description('Teams Workflows "When a Teams webhook request is received" URL. Stored in Key Vault only.')
param teamsWebhookUrl string

@allowed(['enforce', 'report'])
@description('GUARDRAIL_MODE: enforce deletes wildcard JIT rules and rewrites a drifted JIT requester role; report only alerts, and neither app\'s role then grants any write or delete. Kept in the azd environment so a deploy never changes it.')
param guardrailMode string

@description('GUARDRAIL_ROLE_ASSIGNABLE_SCOPES: comma-separated assignable scopes of the JIT requester role; empty means this subscription.')
param roleAssignableScopes string = ''

@description('GUARDRAIL_ROLE_MANAGEMENT_GROUP: define the JIT requester role once at this management group (assignable there only) instead of in this subscription; infra/tenant/main.bicep, given reconcilerPrincipalId, lets the reconciler write it there. Empty keeps it here.')
param roleManagementGroup string = ''

@description('GUARDRAIL_ROLE_NAME: name of the JIT requester role; empty means the app default.')
param roleName string = ''

@description('GUARDRAIL_RECONCILE_SCHEDULE: NCRONTAB schedule of the role reconcile; empty means every 15 minutes.')
param reconcileSchedule string = ''

@description('GUARDRAIL_SWEEP_SCHEDULE: NCRONTAB schedule of the sweep for missed events; empty means hourly.')
param sweepSchedule string = ''

@description('GUARDRAIL_SWEEP_SUBSCRIPTIONS: further subscriptions to guard without a management group, their ids separated by commas or spaces; each gets the guard\'s role, a system topic and the guard\'s event subscription (the deployer needs Owner in each). Empty guards this subscription (and, with GUARDRAIL_GUARDED_MANAGEMENT_GROUP, the group\'s).')
param guardedSubscriptions string = ''

@description('GUARDRAIL_GUARDED_MANAGEMENT_GROUP: with infra/tenant/main.bicep deployed at this management group, the guard acts on every subscription below it; empty guards GUARDRAIL_SWEEP_SUBSCRIPTIONS (this subscription by default).')
param guardedManagementGroup string = ''

@description('GUARDRAIL_ALERT_EMAIL: mailbox told of every role-definition write or delete in the subscription; empty creates the alert with no action group (it is then only listed in Azure Monitor > Alerts).')
param alertEmail string = ''

@description('GUARDRAIL_ADMIN_CLIENT_ID: client id of the Entra app registration whose tokens the reconcile endpoint accepts; empty refuses every call to it (401).')
param adminClientId string = ''

@description('GUARDRAIL_ADMIN_APP_ROLE: app role a caller of the reconcile endpoint must hold; empty means the app default (Guardrail.Admin).')
param adminAppRole string = ''

@description('GUARDRAIL_EXISTING_SYSTEM_TOPIC: name of this subscription\'s existing Microsoft.Resources.Subscriptions system topic to reuse (Azure allows one per subscription); empty creates one. The topic must carry the guardrail\'s events identity (see docs/deploy.md).')
param existingSystemTopicName string = ''

@description('GUARDRAIL_EXISTING_SYSTEM_TOPIC_RESOURCE_GROUP: resource group of that existing topic.')
param existingSystemTopicResourceGroup string = ''

@minValue(1)
@maxValue(999)
@description('GUARDRAIL_KEY_VAULT_GENERATION: part of the Key Vault name; the postdown hook raises it, because `azd down` leaves the purge-protected vault soft-deleted and its name taken.')
param keyVaultGeneration int = 1

@description('Create the two Event Grid subscriptions. Only the postdeploy hook sets it, once the code is deployed (Event Grid checks that the guard and roleEvents functions exist).')
param deployEventSubscription bool = false

var tags resourceTags = { 'azd-env-name': environmentName, application: 'jit-guardrail' }
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var reuseSystemTopic = !empty(existingSystemTopicName)
var sharedNames = {
  insights: 'appi-guardrail-${resourceToken}'
  keyVault: 'kv-${resourceToken}-g${keyVaultGeneration}'
  webhookSecret: 'teams-webhook-url'
}
// This subscription is always guarded; the list adds others, each once, in any case or separator.
var furtherSubscriptions = filter(
  union(map(split(replace(guardedSubscriptions, ' ', ','), ','), id => toLower(trim(id))), []),
  id => !empty(id) && id != toLower(subscription().subscriptionId)
)
var systemTopicName = reuseSystemTopic ? existingSystemTopicName : 'evgt-guardrail-${resourceToken}'

// The guard keeps the names the single app had, so an existing deployment becomes the guard in place
// (same identity, same role definition, now without any Microsoft.Authorization action).
var guardNames = {
  app: 'func-guardrail-${resourceToken}'
  identity: 'id-guardrail-${resourceToken}'
  plan: 'plan-guardrail-${resourceToken}'
  storage: 'stguard${resourceToken}'
  roleDefinition: guid(subscription().id, 'jit-guardrail-role', resourceToken)
}
var reconcilerNames = {
  app: 'func-reconciler-${resourceToken}'
  identity: 'id-reconciler-${resourceToken}'
  plan: 'plan-reconciler-${resourceToken}'
  storage: 'strecon${resourceToken}'
  roleDefinition: guid(subscription().id, 'jit-guardrail-reconciler-role', resourceToken)
}

// Each identity's custom role comes from the file the code is tested against. Report mode grants
// reads only: the guard cannot delete a rule, the reconciler cannot write a role.
var guardPermissions = loadJsonContent('../src/config/guard-permissions.json')
var reconcilerPermissions = loadJsonContent('../src/config/reconciler-permissions.json')
var jitRequester = loadJsonContent('../src/config/jit-requester-actions.json')
var grantsWrites = guardrailMode == 'enforce'
var guardRoleName = '${guardPermissions.roleName} (${resourceToken})'
var reconcilerRoleName = '${reconcilerPermissions.roleName} (${resourceToken})'
// The JIT requester role's name as the reconciler uses it: GUARDRAIL_ROLE_NAME, or the app default.
var requesterRoleName = empty(trim(roleName)) ? jitRequester.defaultRoleName : trim(roleName)

var guardSettings appSetting[] = [
  { name: 'GUARDRAIL_SWEEP_SCHEDULE', value: sweepSchedule }
  { name: 'GUARDRAIL_GUARDED_MANAGEMENT_GROUP', value: guardedManagementGroup }
  {
    name: 'GUARDRAIL_SWEEP_SUBSCRIPTIONS'
    value: empty(furtherSubscriptions) ? '' : join(concat([subscription().subscriptionId], furtherSubscriptions), ',')
  }
]
var reconcilerSettings appSetting[] = [
  // At a management group the role is assignable there only: the app takes that default.
  {
    name: 'GUARDRAIL_ROLE_ASSIGNABLE_SCOPES'
    value: empty(roleAssignableScopes) && empty(roleManagementGroup) ? subscription().id : roleAssignableScopes
  }
  { name: 'GUARDRAIL_ROLE_MANAGEMENT_GROUP', value: roleManagementGroup }
  { name: 'GUARDRAIL_ROLE_NAME', value: roleName }
  { name: 'GUARDRAIL_RECONCILE_SCHEDULE', value: reconcileSchedule }
  { name: 'GUARDRAIL_ADMIN_APP_ROLE', value: adminAppRole }
]

// The roles the guardrail owns may never grant more than this (ownedRolesPolicy.bicep).
var ownedRoles ownedRole[] = [
  { roleName: guardRoleName, definitionName: guardNames.roleDefinition, actions: guardPermissions.actions }
  {
    roleName: reconcilerRoleName
    definitionName: reconcilerNames.roleDefinition
    actions: reconcilerPermissions.actions
  }
  // The reconciler picks this role's GUID in code, so it is matched by name only.
  {
    roleName: requesterRoleName
    definitionName: ''
    actions: jitRequester.actions
  }
]

resource resourceGroup 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module shared 'app/shared.bicep' = {
  name: 'guardrail-shared'
  scope: resourceGroup
  params: {
    location: location
    tags: tags
    resourceToken: resourceToken
    insightsName: sharedNames.insights
    keyVaultName: sharedNames.keyVault
    webhookSecretName: sharedNames.webhookSecret
    teamsWebhookUrl: teamsWebhookUrl
    alertEmail: alertEmail
  }
}

module guardApp 'app/functionApp.bicep' = {
  name: 'guardrail-guard-app'
  scope: resourceGroup
  params: {
    location: location
    tags: tags
    duty: 'guard'
    serviceName: 'guard'
    functionAppName: guardNames.app
    identityName: guardNames.identity
    planName: guardNames.plan
    storageName: guardNames.storage
    insightsName: sharedNames.insights
    keyVaultName: sharedNames.keyVault
    webhookSecretName: sharedNames.webhookSecret
    guardrailMode: guardrailMode
    dutySettings: guardSettings
    // Role assignments are named after their principal (see guardRole below).
    #disable-next-line what-if-short-circuiting
    deadLetterWriterPrincipalId: shared.outputs.eventsIdentityPrincipalId
    // No HTTP function runs here: only the Event Grid webhook (system key) and the host's admin API.
    requireEntraAuth: false
  }
}

module reconcilerApp 'app/functionApp.bicep' = {
  name: 'guardrail-reconciler-app'
  scope: resourceGroup
  params: {
    location: location
    tags: tags
    duty: 'reconcile'
    serviceName: 'reconciler'
    functionAppName: reconcilerNames.app
    identityName: reconcilerNames.identity
    planName: reconcilerNames.plan
    storageName: reconcilerNames.storage
    insightsName: sharedNames.insights
    keyVaultName: sharedNames.keyVault
    webhookSecretName: sharedNames.webhookSecret
    guardrailMode: guardrailMode
    dutySettings: reconcilerSettings
    // Role assignments are named after their principal (see guardRole below).
    #disable-next-line what-if-short-circuiting
    deadLetterWriterPrincipalId: shared.outputs.eventsIdentityPrincipalId
    requireEntraAuth: true
    adminClientId: adminClientId
  }
}

module guardRole 'app/dutyRole.bicep' = {
  name: 'guardrail-guard-role'
  params: {
    // The assignment's name must come from the principal: `azd down` keeps subscription-scope
    // assignments, and a new identity under an old name is refused (RoleAssignmentUpdateNotPermitted).
    // What-If cannot predict it before the identity exists, which is what this rule warns of.
    #disable-next-line what-if-short-circuiting
    principalId: guardApp.outputs.identityPrincipalId
    roleDefinitionName: guardNames.roleDefinition
    roleName: guardRoleName
    roleDescription: guardPermissions.description
    actions: filter(guardPermissions.actions, action => grantsWrites || endsWith(toLower(action), '/read'))
    furtherAssignableSubscriptions: furtherSubscriptions
  }
}

module reconcilerRole 'app/dutyRole.bicep' = {
  name: 'guardrail-reconciler-role'
  params: {
    // Named after the principal, as the guard's (see there).
    #disable-next-line what-if-short-circuiting
    principalId: reconcilerApp.outputs.identityPrincipalId
    roleDefinitionName: reconcilerNames.roleDefinition
    roleName: reconcilerRoleName
    roleDescription: reconcilerPermissions.description
    actions: filter(reconcilerPermissions.actions, action => grantsWrites || endsWith(toLower(action), '/read'))
  }
}

module ownedRolesPolicy 'app/ownedRolesPolicy.bicep' = {
  name: 'guardrail-owned-roles-policy'
  params: {
    resourceToken: resourceToken
    ownedRoles: ownedRoles
  }
}

module systemTopic 'app/systemTopic.bicep' = if (!reuseSystemTopic) {
  name: 'guardrail-system-topic'
  scope: resourceGroup
  params: {
    name: systemTopicName
    tags: tags
    identityId: shared.outputs.eventsIdentityId
  }
}

module events 'app/guardEvents.bicep' = if (deployEventSubscription) {
  name: 'guardrail-events'
  scope: az.resourceGroup(reuseSystemTopic ? existingSystemTopicResourceGroup : resourceGroup.name)
  dependsOn: [systemTopic]
  params: {
    systemTopicName: systemTopicName
    functionAppResourceGroup: resourceGroup.name
    guardAppName: guardApp.outputs.name
    reconcilerAppName: reconcilerApp.outputs.name
    deliveryIdentityId: shared.outputs.eventsIdentityId
    guardDeadLetter: {
      storageAccountName: guardApp.outputs.storageName
      container: guardApp.outputs.deadLetterContainer
    }
    reconcilerDeadLetter: {
      storageAccountName: reconcilerApp.outputs.storageName
      container: reconcilerApp.outputs.deadLetterContainer
    }
  }
}

// Each further subscription: the guard's role assigned there, its system topic and the guard's event
// subscription (role writes stay here, with the JIT requester role).
module guardedSubscription 'app/guardedSubscription.bicep' = [
  for id in furtherSubscriptions: {
    name: 'guardrail-guarded-${take(resourceToken, 8)}'
    scope: subscription(id)
    dependsOn: [guardRole]
    params: {
      location: location
      tags: tags
      // Named after the principal, as the guard's role assignment here (see guardRole).
      #disable-next-line what-if-short-circuiting
      guardPrincipalId: guardApp.outputs.identityPrincipalId
      guardRoleDefinitionName: guardNames.roleDefinition
      eventsIdentityId: shared.outputs.eventsIdentityId
      functionAppSubscriptionId: subscription().subscriptionId
      functionAppResourceGroup: resourceGroup.name
      guardAppName: guardApp.outputs.name
      reconcilerAppName: reconcilerApp.outputs.name
      guardDeadLetter: {
        storageAccountName: guardApp.outputs.storageName
        container: guardApp.outputs.deadLetterContainer
      }
      reconcilerDeadLetter: {
        storageAccountName: reconcilerApp.outputs.storageName
        container: reconcilerApp.outputs.deadLetterContainer
      }
      deployEventSubscription: deployEventSubscription
    }
  }
]

output AZURE_RESOURCE_GROUP string = resourceGroup.name
output GUARDRAIL_GUARD_APP_NAME string = guardApp.outputs.name
output GUARDRAIL_RECONCILER_APP_NAME string = reconcilerApp.outputs.name
output GUARDRAIL_GUARD_IDENTITY_CLIENT_ID string = guardApp.outputs.identityClientId
output GUARDRAIL_RECONCILER_IDENTITY_CLIENT_ID string = reconcilerApp.outputs.identityClientId
output GUARDRAIL_GUARD_ROLE_ID string = guardRole.outputs.roleDefinitionId
output GUARDRAIL_RECONCILER_ROLE_ID string = reconcilerRole.outputs.roleDefinitionId
output GUARDRAIL_EVENTS_IDENTITY_RESOURCE_ID string = shared.outputs.eventsIdentityId
// For infra/tenant/main.bicep (tenant scale): the names' token, who the guard is, where its events go,
// where dead letters land.
output GUARDRAIL_RESOURCE_TOKEN string = resourceToken
output GUARDRAIL_GUARD_IDENTITY_PRINCIPAL_ID string = guardApp.outputs.identityPrincipalId
output GUARDRAIL_RECONCILER_IDENTITY_PRINCIPAL_ID string = reconcilerApp.outputs.identityPrincipalId
output GUARDRAIL_GUARD_FUNCTION_ID string = resourceId(
  subscription().subscriptionId,
  resourceGroup.name,
  'Microsoft.Web/sites/functions',
  guardApp.outputs.name,
  'guard'
)
output GUARDRAIL_GUARD_DEAD_LETTER_STORAGE_ID string = resourceId(
  subscription().subscriptionId,
  resourceGroup.name,
  'Microsoft.Storage/storageAccounts',
  guardApp.outputs.storageName
)
output GUARDRAIL_GUARD_DEAD_LETTER_CONTAINER string = guardApp.outputs.deadLetterContainer
// For infra/tenant/main.bicep's Deny policy, when the requester role lives at the group.
output GUARDRAIL_REQUESTER_ROLE_NAME string = requesterRoleName
output GUARDRAIL_SYSTEM_TOPIC string = systemTopicName
output GUARDRAIL_RECONCILE_URL string = 'https://${reconcilerApp.outputs.defaultHostName}/api/reconcile'
