targetScope = 'subscription'

metadata description = 'jit-guardrail: removes Defender for Cloud JIT rules opened to the internet, alerts Teams, and owns the JIT requester role.'

@minLength(1)
@maxLength(64)
@description('azd environment name; names and tags every resource.')
param environmentName string

@minLength(1)
@description('Region of the resource group and its resources.')
param location string

@secure()
@description('Teams Workflows "When a Teams webhook request is received" URL. Stored in Key Vault only.')
param teamsWebhookUrl string

@allowed(['enforce', 'report'])
@description('enforce deletes wildcard JIT rules; report only alerts.')
param guardrailMode string = 'enforce'

@description('Assignable scopes of the JIT requester role; empty means this subscription.')
param roleAssignableScopes array = []

@description('Create the Event Grid subscription. False on the first provision: the guard function must be deployed first (the postdeploy hook sets it).')
param deployEventSubscription bool = false

var tags = { 'azd-env-name': environmentName, application: 'jit-guardrail' }
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))

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
    teamsWebhookUrl: teamsWebhookUrl
    guardrailMode: guardrailMode
    roleAssignableScopes: empty(roleAssignableScopes) ? [subscription().id] : roleAssignableScopes
  }
}

module guardrailRole 'app/guardrailRole.bicep' = {
  name: 'guardrail-role'
  params: {
    principalId: app.outputs.identityPrincipalId
    resourceToken: resourceToken
  }
}

module events 'app/eventgrid.bicep' = if (deployEventSubscription) {
  name: 'guardrail-events'
  scope: resourceGroup
  params: {
    resourceToken: resourceToken
    tags: tags
    functionAppName: app.outputs.functionAppName
    identityId: app.outputs.identityId
    deadLetterStorageId: app.outputs.storageId
    deadLetterContainer: app.outputs.deadLetterContainer
  }
}

output AZURE_RESOURCE_GROUP string = resourceGroup.name
output AZURE_FUNCTION_APP_NAME string = app.outputs.functionAppName
output GUARDRAIL_IDENTITY_CLIENT_ID string = app.outputs.identityClientId
output GUARDRAIL_ROLE_ID string = guardrailRole.outputs.roleDefinitionId
