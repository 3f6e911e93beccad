metadata description = 'One duty of the guardrail (guard or reconcile) as its own Flex Consumption app: its identity, its storage (host, deployment package, audit and outbox tables, dead letters) and its settings. The same package runs in both; GUARDRAIL_DUTY picks the functions it registers.'

import { appSetting, resourceTags } from 'types.bicep'

param location string
param tags resourceTags

@allowed(['guard', 'reconcile'])
@description('GUARDRAIL_DUTY of this app (src/config/duty.ts).')
param duty string

@description('azd service (azure.yaml) this app is deployed as.')
param serviceName string

param functionAppName string
param identityName string
param planName string

@minLength(3)
@maxLength(24)
param storageName string

@description('Shared resources in this resource group (infra/app/shared.bicep).')
param insightsName string
param keyVaultName string
param webhookSecretName string

@allowed(['enforce', 'report'])
param guardrailMode string

@description('Settings only this duty reads, after the ones every duty reads.')
param dutySettings appSetting[]

@description('Principal id of the system topic\'s identity, which writes this app\'s dead letters.')
param deadLetterWriterPrincipalId string

@description('Put App Service Authentication (Entra ID) in front of every route but the Event Grid webhook.')
param requireEntraAuth bool = false

@description('Client id of the admin app registration; empty leaves the provider off, so every authenticated route answers 401.')
param adminClientId string = ''

var deploymentContainer = 'deploymentpackage'
var deadLetterContainer = 'eventgrid-deadletter'

// Built-in roles given on this app's own resources (by id, so they never drift). test/infra keeps a
// table of what each grants.
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: identityName
  location: location
  tags: tags
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: storageName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    defaultToOAuthAuthentication: true
    publicNetworkAccess: 'Enabled'
  }

  resource blobs 'blobServices' = {
    name: 'default'

    resource deployment 'containers' = {
      name: deploymentContainer
    }

    resource deadLetter 'containers' = {
      name: deadLetterContainer
    }
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: insightsName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName

  resource webhook 'secrets' existing = {
    name: webhookSecretName
  }
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { name: 'FC1', tier: 'FlexConsumption' }
  properties: { reserved: true }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: functionAppName
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identity.id}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identity.id
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainer}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.id
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: 40
        instanceMemoryMB: 2048
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      appSettings: concat(
        [
          // The host's own storage, by identity (no keys anywhere): this app's account only.
          { name: 'AzureWebJobsStorage__accountName', value: storage.name }
          { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
          { name: 'AzureWebJobsStorage__clientId', value: identity.properties.clientId }
          { name: 'AzureWebJobsStorage__tableServiceUri', value: storage.properties.primaryEndpoints.table }
          { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: insights.properties.ConnectionString }
          { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'ClientId=${identity.properties.clientId};Authorization=AAD' }
          // What every duty reads (src/config/settings.ts validates them at first use).
          { name: 'GUARDRAIL_DUTY', value: duty }
          { name: 'AZURE_CLIENT_ID', value: identity.properties.clientId }
          { name: 'GUARDRAIL_SUBSCRIPTION_ID', value: subscription().subscriptionId }
          { name: 'GUARDRAIL_TEAMS_WEBHOOK_URL', value: '@Microsoft.KeyVault(SecretUri=${vault::webhook.properties.secretUri})' }
          { name: 'GUARDRAIL_MODE', value: guardrailMode }
        ],
        dutySettings
      )
    }
  }
}

// Easy Auth in front of the admin endpoint: a bearer token for the admin app registration, or 401.
// Event Grid delivers to /runtime/webhooks/eventgrid with the extension's system key and no token,
// so that path alone is left to the Functions host's key check.
resource auth 'Microsoft.Web/sites/config@2024-04-01' = if (requireEntraAuth) {
  parent: functionApp
  name: 'authsettingsV2'
  properties: {
    platform: { enabled: true }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'Return401'
      excludedPaths: ['/runtime/webhooks/eventgrid', '/runtime/webhooks/EventGrid']
    }
    httpSettings: { requireHttps: true }
    login: { tokenStore: { enabled: false } }
    identityProviders: {
      azureActiveDirectory: empty(adminClientId)
        ? { enabled: false }
        : {
            enabled: true
            registration: {
              clientId: adminClientId
              openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
            }
            validation: {
              allowedAudiences: ['api://${adminClientId}', adminClientId]
            }
          }
    }
  }
}

resource storageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in [roles.storageBlobDataOwner, roles.storageQueueDataContributor, roles.storageTableDataContributor]: {
    name: guid(storage.id, identity.id, role)
    scope: storage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
      principalId: identity.properties.principalId
      principalType: 'ServicePrincipal'
    }
  }
]

// The webhook secret only, not the vault: Key Vault RBAC accepts a secret as the scope.
resource secretRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault::webhook.id, identity.id, roles.keyVaultSecretsUser)
  scope: vault::webhook
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource insightsRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(insights.id, identity.id, roles.monitoringMetricsPublisher)
  scope: insights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// The system topic's identity writes this app's dead letters: that container and nothing else.
resource deadLetterRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage::blobs::deadLetter.id, deadLetterWriterPrincipalId, roles.storageBlobDataContributor)
  scope: storage::blobs::deadLetter
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: deadLetterWriterPrincipalId
    principalType: 'ServicePrincipal'
  }
}

output name string = functionApp.name
output defaultHostName string = functionApp.properties.defaultHostName
output identityId string = identity.id
output identityClientId string = identity.properties.clientId
output identityPrincipalId string = identity.properties.principalId
output storageName string = storage.name
output deadLetterContainer string = deadLetterContainer
