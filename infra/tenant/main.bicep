targetScope = 'managementGroup'

import { guardedSubscriptionEvents, ownedRole, ownedRolesPolicyRule } from '../app/types.bicep'

metadata description = 'Tenant scale: one guardrail deployment guards every subscription below a management group. Deployed after infra/main.bicep (its outputs are the parameters here) with `az deployment mg create`. The guard\'s role is defined and assigned once at the group and inherited below, so nothing per subscription needs role-assignment rights; an Azure Policy (DeployIfNotExists) gives each subscription, present and future, the system topic and the guard\'s filtered, dead-lettered event subscription.'

@description('A short token that makes names unique (the subscription deployment\'s resource token).')
param resourceToken string

@description('Location of the policy assignment\'s identity and of the resources the policy deploys.')
param location string

@allowed(['enforce', 'report'])
@description('GUARDRAIL_MODE: in report mode the guard\'s role holds its reads only.')
param guardrailMode string

@description('GUARDRAIL_GUARD_IDENTITY_PRINCIPAL_ID: the guard app identity\'s principal (object) id.')
param guardPrincipalId string

@description('GUARDRAIL_GUARD_FUNCTION_ID: resource id of the guard app\'s `guard` function (…/sites/<app>/functions/guard).')
param guardFunctionId string

@description('GUARDRAIL_RECONCILER_IDENTITY_PRINCIPAL_ID, when the JIT requester role lives at this group (GUARDRAIL_ROLE_MANAGEMENT_GROUP): the reconciler then gets its own role here; empty gives it nothing at the group.')
param reconcilerPrincipalId string = ''

@description('GUARDRAIL_REQUESTER_ROLE_NAME (an output of the subscription deployment), when the JIT requester role lives at this group: the name the Deny policy protects; empty means the app default.')
param roleName string = ''

@description('GUARDRAIL_EVENTS_IDENTITY_RESOURCE_ID: the user-assigned identity every system topic carries to write dead letters.')
param eventsIdentityId string

@description('GUARDRAIL_GUARD_DEAD_LETTER_STORAGE_ID: resource id of the guard\'s storage account (dead letters).')
param deadLetterStorageId string

@description('GUARDRAIL_GUARD_DEAD_LETTER_CONTAINER: its dead-letter container.')
param deadLetterContainer string

var guardPermissions = loadJsonContent('../../src/config/guard-permissions.json')
var watched = loadJsonContent('../../src/config/watched-operations.json')
var reconcilerPermissions = loadJsonContent('../../src/config/reconciler-permissions.json')
var jitRequester = loadJsonContent('../../src/config/jit-requester-actions.json')
// The JIT requester role lives at this group exactly when the reconciler is given a role here.
var requesterRoleAtGroup = !empty(reconcilerPrincipalId)
var reconcilerActions = guardrailMode == 'report'
  ? filter(reconcilerPermissions.actions, action => endsWith(toLower(action), '/read'))
  : reconcilerPermissions.actions
var guardActions = guardrailMode == 'report'
  ? filter(guardPermissions.actions, action => endsWith(toLower(action), '/read'))
  : guardPermissions.actions

// The subscription the guard lives in has its own topic and event subscriptions already (infra/main.bicep).
var homeSubscriptionId = split(guardFunctionId, '/')[2]

// The names the policy gives each subscription's resources: fixed, so it can tell they exist.
var eventsResourceGroup = guardedSubscriptionEvents.resourceGroup
var topicName = guardedSubscriptionEvents.systemTopic
var eventSubscriptionName = guardedSubscriptionEvents.eventSubscription

// Custom role names are unique in the tenant: the subscription deployment's have the same token.
var guardRoleName = '${guardPermissions.roleName} (${resourceToken}, management group)'
var guardRoleDefinitionName = guid(managementGroup().id, 'jit-guardrail-guard', resourceToken)
var reconcilerRoleName = '${reconcilerPermissions.roleName} (${resourceToken}, management group)'
var reconcilerRoleDefinitionName = guid(managementGroup().id, 'jit-guardrail-reconciler', resourceToken)

// The roles the guardrail owns at this group may never grant more than their files allow: the same
// Deny rule as the subscription's (infra/app/ownedRolesPolicy.bicep), assigned here.
var ownedRoles ownedRole[] = concat(
  [{ roleName: guardRoleName, definitionName: guardRoleDefinitionName, actions: guardPermissions.actions }],
  requesterRoleAtGroup
    ? [
        {
          roleName: reconcilerRoleName
          definitionName: reconcilerRoleDefinitionName
          actions: reconcilerPermissions.actions
        }
        // The reconciler picks this role's GUID in code, so it is matched by name only.
        {
          roleName: empty(trim(roleName)) ? jitRequester.defaultRoleName : trim(roleName)
          definitionName: ''
          actions: jitRequester.actions
        }
      ]
    : []
)

resource guardRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guardRoleDefinitionName
  properties: {
    roleName: guardRoleName
    description: guardPermissions.description
    type: 'CustomRole'
    permissions: [{ actions: guardActions, notActions: [] }]
    assignableScopes: [managementGroup().id]
  }
}

resource guardRoleAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(managementGroup().id, guardPrincipalId, guardRole.id)
  properties: {
    roleDefinitionId: guardRole.id
    principalId: guardPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// The reconciler keeps the JIT requester role when it is defined at this group: its own role here,
// from the same file as in the subscription, the split between the two identities kept.
resource reconcilerRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (requesterRoleAtGroup) {
  name: reconcilerRoleDefinitionName
  properties: {
    roleName: reconcilerRoleName
    description: reconcilerPermissions.description
    type: 'CustomRole'
    permissions: [{ actions: reconcilerActions, notActions: [] }]
    assignableScopes: [managementGroup().id]
  }
}

resource reconcilerRoleAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (requesterRoleAtGroup) {
  name: guid(managementGroup().id, reconcilerPrincipalId, 'jit-guardrail-reconciler', resourceToken)
  properties: {
    roleDefinitionId: reconcilerRole.id
    principalId: reconcilerPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// What the policy's identity needs to put the topic and its event subscription in place: no more.
resource remediationRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(managementGroup().id, 'jit-guardrail-events-remediation', resourceToken)
  properties: {
    roleName: 'JIT Guardrail Events Remediation (${resourceToken})'
    description: 'Lets the jit-guardrail policy create, in each subscription, the resource group, the subscription system topic and the guard\'s event subscription.'
    type: 'CustomRole'
    permissions: [
      {
        actions: [
          'Microsoft.Resources/subscriptions/resourceGroups/read'
          'Microsoft.Resources/subscriptions/resourceGroups/write'
          'Microsoft.Resources/deployments/*'
          'Microsoft.EventGrid/systemTopics/read'
          'Microsoft.EventGrid/systemTopics/write'
          'Microsoft.EventGrid/systemTopics/eventSubscriptions/read'
          'Microsoft.EventGrid/systemTopics/eventSubscriptions/write'
          'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action'
        ]
        notActions: []
      }
    ]
    assignableScopes: [managementGroup().id]
  }
}

resource eventsPolicy 'Microsoft.Authorization/policyDefinitions@2023-04-01' = {
  name: 'jit-guardrail-events-${resourceToken}'
  properties: {
    displayName: 'jit-guardrail: every subscription sends its NSG writes to the guard'
    description: 'Deploys, in each subscription without it, the subscription system topic and the jit-guardrail guard\'s event subscription (filtered on NSG writes, retried, dead-lettered).'
    policyType: 'Custom'
    mode: 'All'
    metadata: { category: 'Security Center' }
    parameters: {}
    policyRule: {
      if: { field: 'type', equals: 'Microsoft.Resources/subscriptions' }
      then: {
        effect: 'deployIfNotExists'
        details: {
          type: 'Microsoft.EventGrid/systemTopics/eventSubscriptions'
          name: '${topicName}/${eventSubscriptionName}'
          resourceGroupName: eventsResourceGroup
          existenceScope: 'resourceGroup'
          // Present is not enough: it must still deliver NSG writes to this guard.
          existenceCondition: {
            allOf: [
              {
                field: 'Microsoft.EventGrid/systemTopics/eventSubscriptions/destination.AzureFunction.resourceId'
                equals: guardFunctionId
              }
            ]
          }
          deploymentScope: 'subscription'
          roleDefinitionIds: [remediationRole.id]
          deployment: {
            location: location
            properties: {
              mode: 'incremental'
              template: {
                '$schema': 'https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#'
                contentVersion: '1.0.0.0'
                resources: [
                  {
                    type: 'Microsoft.Resources/resourceGroups'
                    apiVersion: '2024-03-01'
                    name: eventsResourceGroup
                    location: location
                  }
                  {
                    type: 'Microsoft.Resources/deployments'
                    apiVersion: '2024-03-01'
                    name: 'jit-guardrail-events'
                    resourceGroup: eventsResourceGroup
                    dependsOn: [eventsResourceGroup]
                    properties: {
                      mode: 'Incremental'
                      template: {
                        '$schema': 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#'
                        contentVersion: '1.0.0.0'
                        resources: [
                          {
                            type: 'Microsoft.EventGrid/systemTopics'
                            apiVersion: '2022-06-15'
                            name: topicName
                            location: 'global'
                            identity: {
                              type: 'UserAssigned'
                              userAssignedIdentities: { '${eventsIdentityId}': {} }
                            }
                            properties: {
                              source: '[subscription().id]'
                              topicType: 'Microsoft.Resources.Subscriptions'
                            }
                          }
                          {
                            type: 'Microsoft.EventGrid/systemTopics/eventSubscriptions'
                            apiVersion: '2022-06-15'
                            name: '${topicName}/${eventSubscriptionName}'
                            // By name: the nested template is evaluated in the outer scope, where a
                            // resourceId() would name the subscription level.
                            dependsOn: [topicName]
                            properties: {
                              destination: {
                                endpointType: 'AzureFunction'
                                properties: {
                                  resourceId: guardFunctionId
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
                                    values: watched.nsgOperations
                                  }
                                ]
                              }
                              retryPolicy: { maxDeliveryAttempts: 30, eventTimeToLiveInMinutes: 1440 }
                              deadLetterWithResourceIdentity: {
                                identity: { type: 'UserAssigned', userAssignedIdentity: eventsIdentityId }
                                deadLetterDestination: {
                                  endpointType: 'StorageBlob'
                                  properties: { resourceId: deadLetterStorageId, blobContainerName: deadLetterContainer }
                                }
                              }
                            }
                          }
                        ]
                      }
                    }
                  }
                ]
              }
            }
          }
        }
      }
    }
  }
}

resource eventsPolicyAssignment 'Microsoft.Authorization/policyAssignments@2024-04-01' = {
  name: 'jit-guardrail-${take(resourceToken, 10)}'
  location: location
  identity: { type: 'SystemAssigned' }
  properties: {
    displayName: 'jit-guardrail: NSG writes of every subscription reach the guard'
    policyDefinitionId: eventsPolicy.id
    enforcementMode: 'Default'
    notScopes: ['/subscriptions/${homeSubscriptionId}']
  }
}

resource remediationRoleAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(managementGroup().id, eventsPolicyAssignment.id, remediationRole.id)
  properties: {
    roleDefinitionId: remediationRole.id
    principalId: eventsPolicyAssignment.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource ownedRolesPolicy 'Microsoft.Authorization/policyDefinitions@2023-04-01' = {
  name: 'jit-guardrail-owned-roles-mg-${resourceToken}'
  properties: {
    policyType: 'Custom'
    mode: 'All'
    displayName: 'jit-guardrail: its own roles at the group grant nothing beyond their allow-lists (${resourceToken})'
    description: 'Denies a write of the guard\'s, the reconciler\'s or the JIT requester role definition that grants an action outside that role\'s allow-list, or any data action.'
    metadata: { category: 'jit-guardrail' }
    policyRule: ownedRolesPolicyRule(ownedRoles)
  }
}

resource ownedRolesPolicyAssignment 'Microsoft.Authorization/policyAssignments@2024-04-01' = {
  // A policy assignment's name at a management group has at most 24 characters.
  name: 'jit-owned-roles-${take(resourceToken, 8)}'
  properties: {
    displayName: 'jit-guardrail: its own roles at the group grant nothing beyond their allow-lists (${resourceToken})'
    policyDefinitionId: ownedRolesPolicy.id
    enforcementMode: 'Default'
    nonComplianceMessages: [
      {
        message: 'jit-guardrail owns this role: it may grant only the actions in its allow-list (see docs/deploy.md).'
      }
    ]
  }
}

output GUARDRAIL_GUARD_ROLE_ID string = guardRole.id
output GUARDRAIL_EVENTS_POLICY_ASSIGNMENT_ID string = eventsPolicyAssignment.id
output GUARDRAIL_OWNED_ROLES_POLICY_ASSIGNMENT_ID string = ownedRolesPolicyAssignment.id
