metadata description = 'What the guard and reconciler apps share: monitoring, the Key Vault with the Teams webhook URL, the system topic\'s own identity, and the alert that watches every role-definition write from outside the guardrail.'

import { resourceTags } from 'types.bicep'

param location string
param tags resourceTags
param resourceToken string

@description('Names main.bicep gives the shared resources the apps also refer to.')
param insightsName string
param webhookSecretName string

@description('Key Vault name; main.bicep puts a generation number in it so a name left soft-deleted by `azd down` is not reused.')
param keyVaultName string

@secure()
param teamsWebhookUrl string

@description('Mailbox the role-definition alert notifies; empty creates the alert without an action group.')
param alertEmail string

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: 'log-guardrail-${resourceToken}'
  location: location
  tags: tags
  properties: {
    retentionInDays: 30
    sku: { name: 'PerGB2018' }
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: insightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logs.id
    DisableLocalAuth: true
  }
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: keyVaultName
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    enablePurgeProtection: true
  }

  resource webhook 'secrets' = {
    name: webhookSecretName
    properties: {
      value: teamsWebhookUrl
      contentType: 'Teams Workflows webhook URL (carries a signature)'
    }
  }
}

// The system topic's own identity: it writes dead letters and nothing else, so neither app's identity
// has to be on the topic.
resource eventsIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-guardrail-events-${resourceToken}'
  location: location
  tags: tags
}

// The reconciler's identity may write any custom role in the subscription, so every role-definition
// write or delete is reported by Azure Monitor, which that identity cannot change. An action group
// needs no receivers to be valid, but one that notifies nobody is no use: it exists only when there
// is a mailbox, and the alert fires (and is listed in Azure Monitor > Alerts) either way.
resource opsMail 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail)) {
  name: 'ag-guardrail-${resourceToken}'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'guardrail'
    enabled: true
    emailReceivers: [
      {
        name: 'ops'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

resource roleWrites 'Microsoft.Insights/activityLogAlerts@2020-10-01' = {
  name: 'alert-guardrail-role-writes-${resourceToken}'
  location: 'global'
  tags: tags
  properties: {
    description: 'A custom role definition was written or deleted in this subscription (including by the jit-guardrail reconciler, which may write any custom role, and attempts refused by policy).'
    enabled: true
    scopes: [subscription().id]
    condition: {
      allOf: [
        { field: 'category', equals: 'Administrative' }
        {
          anyOf: [
            { field: 'operationName', equals: 'Microsoft.Authorization/roleDefinitions/write' }
            { field: 'operationName', equals: 'Microsoft.Authorization/roleDefinitions/delete' }
          ]
        }
        {
          anyOf: [
            { field: 'status', equals: 'Succeeded' }
            { field: 'status', equals: 'Failed' }
          ]
        }
      ]
    }
    actions: {
      actionGroups: empty(alertEmail) ? [] : [{ actionGroupId: opsMail.id }]
    }
  }
}

output eventsIdentityId string = eventsIdentity.id
output eventsIdentityPrincipalId string = eventsIdentity.properties.principalId
output roleWritesAlertId string = roleWrites.id
