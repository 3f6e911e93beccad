metadata description = 'The subscription\'s Event Grid system topic, created when no existing one is reused (Azure allows one per source).'

@description('The topic\'s name.')
param name string

param tags resourceTags

@description('The topic\'s own user-assigned identity, which writes dead letters and holds nothing else.')
param identityId string

import { resourceTags } from 'types.bicep'

resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: name
  location: 'global'
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    source: subscription().id
    topicType: 'Microsoft.Resources.Subscriptions'
  }
}

output name string = topic.name
