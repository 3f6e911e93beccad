metadata description = 'The guardrail\'s subscriptions to a subscription system topic, each filtered on its half of src/config/watched-operations.json, retried and dead-lettered: NSG writes to the guard app\'s guard function and, where the JIT requester role lives, role-definition writes to the reconciler app\'s roleEvents function.'

import { deadLetterTarget, guardedSubscriptionEvents } from 'types.bicep'

@description('Name of the system topic (ours, or an existing one being reused) in this module\'s resource group.')
param systemTopicName string

@description('Subscription of both function apps: this one, or the deployment\'s home when this topic is a further guarded subscription\'s.')
param functionAppSubscriptionId string = subscription().subscriptionId

@description('Resource group of both function apps and their storage accounts.')
param functionAppResourceGroup string

@description('Route role-definition writes to the reconciler too: only in the subscription where the JIT requester role lives.')
param routeRoleWrites bool = true

@description('The app whose guard function receives NSG writes.')
param guardAppName string

@description('The app whose roleEvents function receives role-definition writes.')
param reconcilerAppName string

@description('The system topic\'s own user-assigned identity, which writes dead letters; the topic must carry it.')
param deliveryIdentityId string

param guardDeadLetter deadLetterTarget
param reconcilerDeadLetter deadLetterTarget

var watched = loadJsonContent('../../src/config/watched-operations.json')

var guardRoute = [
  {
    name: guardedSubscriptionEvents.eventSubscription
    app: guardAppName
    function: 'guard'
    operations: watched.nsgOperations
    deadLetter: guardDeadLetter
  }
]
var roleRoute = [
  {
    name: 'jit-guardrail-roles'
    app: reconcilerAppName
    function: 'roleEvents'
    operations: watched.roleOperations
    deadLetter: reconcilerDeadLetter
  }
]
var routes = concat(guardRoute, routeRoleWrites ? roleRoute : [])

resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' existing = {
  name: systemTopicName
}

resource subscriptions 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = [
  for route in routes: {
    parent: topic
    name: route.name
    properties: {
      destination: {
        endpointType: 'AzureFunction'
        properties: {
          resourceId: resourceId(
            functionAppSubscriptionId,
            functionAppResourceGroup,
            'Microsoft.Web/sites/functions',
            route.app,
            route.function
          )
          maxEventsPerBatch: 1
          preferredBatchSizeInKilobytes: 64
        }
      }
      eventDeliverySchema: 'EventGridSchema'
      filter: {
        includedEventTypes: watched.eventTypes
        advancedFilters: [
          {
            operatorType: 'StringIn'
            key: 'data.operationName'
            values: route.operations
          }
        ]
      }
      retryPolicy: {
        maxDeliveryAttempts: 30
        eventTimeToLiveInMinutes: 1440
      }
      deadLetterWithResourceIdentity: {
        identity: {
          type: 'UserAssigned'
          userAssignedIdentity: deliveryIdentityId
        }
        deadLetterDestination: {
          endpointType: 'StorageBlob'
          properties: {
            resourceId: resourceId(
              functionAppSubscriptionId,
              functionAppResourceGroup,
              'Microsoft.Storage/storageAccounts',
              route.deadLetter.storageAccountName
            )
            blobContainerName: route.deadLetter.container
          }
        }
      }
    }
  }
]

output eventSubscriptionIds string[] = [for (route, i) in routes: subscriptions[i].id]
