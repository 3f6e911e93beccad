targetScope = 'subscription'

metadata description = 'jit-guardrail: removes Defender for Cloud JIT rules opened to the internet, alerts Teams, and owns the JIT requester role.'

import { resourceTags } from 'app/types.bicep'

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
@description('GUARDRAIL_MODE: enforce deletes wildcard JIT rules; report only alerts. Kept in the azd environment so a deploy never changes it.')
param guardrailMode string

@description('GUARDRAIL_ROLE_ASSIGNABLE_SCOPES: comma-separated assignable scopes of the JIT requester role; empty means this subscription.')
param roleAssignableScopes string = ''

@description('GUARDRAIL_ROLE_NAME: name of the JIT requester role; empty means the app default.')
param roleName string = ''

@description('GUARDRAIL_RECONCILE_SCHEDULE: NCRONTAB schedule of the role reconcile; empty means every 15 minutes.')
param reconcileSchedule string = ''

@description('GUARDRAIL_SWEEP_SCHEDULE: NCRONTAB schedule of the sweep for missed events; empty means hourly.')
param sweepSchedule string = ''

@description('GUARDRAIL_EXISTING_SYSTEM_TOPIC: name of this subscription\'s existing Microsoft.Resources.Subscriptions system topic to reuse (Azure allows one per subscription); empty creates one. The topic must carry the guardrail identity (see docs/deploy.md).')
param existingSystemTopicName string = ''

@description('GUARDRAIL_EXISTING_SYSTEM_TOPIC_RESOURCE_GROUP: resource group of that existing topic.')
param existingSystemTopicResourceGroup string = ''

@minValue(1)
@maxValue(999)
@description('GUARDRAIL_KEY_VAULT_GENERATION: part of the Key Vault name; the postdown hook raises it, because `azd down` leaves the purge-protected vault soft-deleted and its name taken.')
param keyVaultGeneration int = 1

@description('Create the guard\'s Event Grid subscription. Only the postdeploy hook sets it, once the guard function is deployed (Event Grid checks that the function exists).')
param deployEventSubscription bool = false

var tags resourceTags = { 'azd-env-name': environmentName, application: 'jit-guardrail' }
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var functionAppName = 'func-guardrail-${resourceToken}'
var reuseSystemTopic = !empty(existingSystemTopicName)

resource resourceGroup 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module app 'app/resources.bicep' = {
  name: 'guardrail-resources'
  scope: resourceGroup
  params: {
    location: location
    tags: tags
    resourceToken: resourceToken
    functionAppName: functionAppName
    keyVaultName: 'kv-${resourceToken}-g${keyVaultGeneration}'
    teamsWebhookUrl: teamsWebhookUrl
    guardrailMode: guardrailMode
    roleAssignableScopes: empty(roleAssignableScopes) ? subscription().id : roleAssignableScopes
    roleName: roleName
    reconcileSchedule: reconcileSchedule
    sweepSchedule: sweepSchedule
  }
}

module guardrailRole 'app/guardrailRole.bicep' = {
  name: 'guardrail-role'
  params: {
    // The assignment's name must come from the principal: `azd down` keeps subscription-scope
    // assignments, and a new identity under an old name is refused (RoleAssignmentUpdateNotPermitted).
    // What-If cannot predict it before the identity exists, which is what this rule warns of.
    #disable-next-line what-if-short-circuiting
    principalId: app.outputs.identityPrincipalId
    resourceToken: resourceToken
  }
}

module systemTopic 'app/systemTopic.bicep' = if (!reuseSystemTopic) {
  name: 'guardrail-system-topic'
  scope: resourceGroup
  params: {
    resourceToken: resourceToken
    tags: tags
    identityId: app.outputs.identityId
  }
}

module guardEvents 'app/guardEvents.bicep' = if (deployEventSubscription) {
  name: 'guardrail-events'
  scope: az.resourceGroup(reuseSystemTopic ? existingSystemTopicResourceGroup : resourceGroup.name)
  dependsOn: [systemTopic]
  params: {
    systemTopicName: reuseSystemTopic ? existingSystemTopicName : 'evgt-guardrail-${resourceToken}'
    functionAppName: functionAppName
    functionAppResourceGroup: resourceGroup.name
    identityId: app.outputs.identityId
    deadLetterStorageId: app.outputs.storageId
    deadLetterContainer: app.outputs.deadLetterContainer
  }
}

output AZURE_RESOURCE_GROUP string = resourceGroup.name
output AZURE_FUNCTION_APP_NAME string = functionAppName
output GUARDRAIL_IDENTITY_CLIENT_ID string = app.outputs.identityClientId
output GUARDRAIL_IDENTITY_RESOURCE_ID string = app.outputs.identityId
output GUARDRAIL_ROLE_ID string = guardrailRole.outputs.roleDefinitionId
output GUARDRAIL_SYSTEM_TOPIC string = reuseSystemTopic ? existingSystemTopicName : 'evgt-guardrail-${resourceToken}'
