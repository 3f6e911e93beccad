targetScope = 'subscription'

metadata description = 'Defence in depth: an Azure Policy that refuses any write of a guardrail-owned role definition granting an action outside that role\'s allow-list, or any data action. Roles are matched by roleName, and by their definition name (GUID) where the template knows it, so a rename in the same write does not slip past.'

import { ownedRole } from 'types.bicep'

param resourceToken string

@minLength(1)
param ownedRoles ownedRole[]

var roleName = 'Microsoft.Authorization/roleDefinitions/roleName'
var actions = 'Microsoft.Authorization/roleDefinitions/permissions[*].actions[*]'
var dataActions = 'Microsoft.Authorization/roleDefinitions/permissions[*].dataActions[*]'

// Policy compares strings without regard to case, as ARM matches actions.
var widenings = map(ownedRoles, role => {
  allOf: [
    {
      anyOf: concat(
        [{ field: roleName, equals: role.roleName }],
        empty(role.definitionName) ? [] : [{ field: 'name', equals: role.definitionName }]
      )
    }
    {
      anyOf: [
        {
          count: { field: actions, where: { field: actions, notIn: role.actions } }
          greater: 0
        }
        {
          count: { field: dataActions }
          greater: 0
        }
      ]
    }
  ]
})

resource definition 'Microsoft.Authorization/policyDefinitions@2023-04-01' = {
  name: 'jit-guardrail-owned-roles-${resourceToken}'
  properties: {
    policyType: 'Custom'
    mode: 'All'
    displayName: 'jit-guardrail: its own roles grant nothing beyond their allow-lists (${resourceToken})'
    description: 'Denies a write of the guard, reconciler or JIT requester role definition that grants an action outside that role\'s allow-list, or any data action.'
    metadata: { category: 'jit-guardrail' }
    policyRule: {
      if: {
        allOf: [
          { field: 'type', equals: 'Microsoft.Authorization/roleDefinitions' }
          { anyOf: widenings }
        ]
      }
      then: { effect: 'deny' }
    }
  }
}

resource assignment 'Microsoft.Authorization/policyAssignments@2023-04-01' = {
  name: 'jit-guardrail-owned-roles-${resourceToken}'
  properties: {
    displayName: 'jit-guardrail: its own roles grant nothing beyond their allow-lists (${resourceToken})'
    policyDefinitionId: definition.id
    enforcementMode: 'Default'
    nonComplianceMessages: [
      {
        message: 'jit-guardrail owns this role: it may grant only the actions in its allow-list (see docs/deploy.md).'
      }
    ]
  }
}

output policyDefinitionId string = definition.id
output policyAssignmentId string = assignment.id
