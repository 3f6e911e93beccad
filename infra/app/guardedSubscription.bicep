targetScope = 'subscription'

metadata description = 'A further subscription the guard watches (GUARDRAIL_SWEEP_SUBSCRIPTIONS, without a management group): the guard\'s role assigned here (defined once in the home subscription, assignable here), and this subscription\'s system topic with the guard\'s filtered, dead-lettered event subscription. Role writes stay with the home subscription, where the JIT requester role lives.'

import { deadLetterTarget, guardedSubscriptionEvents, resourceTags } from 'types.bicep'

param location string
param tags resourceTags

@description('Principal id of the guard app\'s identity.')
param guardPrincipalId string

@description('Name (GUID) of the guard\'s custom role: defined in the home subscription, assignable here, and named here by this subscription\'s id for it.')
param guardRoleDefinitionName string

var guardRoleDefinitionId = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', guardRoleDefinitionName)

@description('The user-assigned identity every system topic carries to write dead letters.')
param eventsIdentityId string

@description('Home subscription of the function apps.')
param functionAppSubscriptionId string

@description('Resource group of the function apps in the home subscription.')
param functionAppResourceGroup string

param guardAppName string
param reconcilerAppName string
param guardDeadLetter deadLetterTarget
param reconcilerDeadLetter deadLetterTarget

@description('Create the event subscription: only once the code is deployed (the postdeploy hook).')
param deployEventSubscription bool

resource guardRoleAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, guardPrincipalId, guardRoleDefinitionId)
  properties: {
    roleDefinitionId: guardRoleDefinitionId
    principalId: guardPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource eventsResourceGroup 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: guardedSubscriptionEvents.resourceGroup
  location: location
  tags: tags
}

module topic 'systemTopic.bicep' = {
  name: 'guardrail-system-topic'
  scope: eventsResourceGroup
  params: {
    name: guardedSubscriptionEvents.systemTopic
    tags: tags
    identityId: eventsIdentityId
  }
}

module events 'guardEvents.bicep' = if (deployEventSubscription) {
  name: 'guardrail-events'
  scope: eventsResourceGroup
  dependsOn: [topic]
  params: {
    systemTopicName: guardedSubscriptionEvents.systemTopic
    functionAppSubscriptionId: functionAppSubscriptionId
    functionAppResourceGroup: functionAppResourceGroup
    routeRoleWrites: false
    guardAppName: guardAppName
    reconcilerAppName: reconcilerAppName
    deliveryIdentityId: eventsIdentityId
    guardDeadLetter: guardDeadLetter
    reconcilerDeadLetter: reconcilerDeadLetter
  }
}
