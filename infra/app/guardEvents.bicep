metadata description = 'The guard function\'s subscription to the subscription system topic, filtered on src/config/watched-operations.json, retried and dead-lettered.'

@description('Name of the system topic (ours, or an existing one being reused) in this module\'s resource group.')
param systemTopicName string

@description('The function app whose guard function receives the events, and its resource group.')
param functionAppName string
param functionAppResourceGroup string

@description('User-assigned identity that writes dead letters; the topic must carry it.')
param identityId string

param deadLetterStorageId string
param deadLetterContainer string

var watched = loadJsonContent('../../src/config/watched-operations.json')

resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' existing = {
  name: systemTopicName
}

resource guardSubscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = {
  parent: topic
  name: 'jit-guardrail-guard'
  properties: {
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: resourceId(
          functionAppResourceGroup,
          'Microsoft.Web/sites/functions',
          functionAppName,
          'guard'
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
          values: concat(watched.nsgOperations, watched.roleOperations)
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
        userAssignedIdentity: identityId
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: deadLetterStorageId
          blobContainerName: deadLetterContainer
        }
      }
    }
  }
}

output eventSubscriptionId string = guardSubscription.id
