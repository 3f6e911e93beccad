targetScope = 'subscription'

metadata description = 'Defence in depth: an Azure Policy that refuses any write of a guardrail-owned role definition granting an action outside that role\'s allow-list, or any data action. Roles are matched by roleName, and by their definition name (GUID) where the template knows it, so a rename in the same write does not slip past.'

import { ownedRole, ownedRolesPolicyRule } from 'types.bicep'

param resourceToken string

@minLength(1)
param ownedRoles ownedRole[]

resource definition 'Microsoft.Authorization/policyDefinitions@2023-04-01' = {
  name: 'jit-guardrail-owned-roles-${resourceToken}'
  properties: {
    policyType: 'Custom'
    mode: 'All'
    displayName: 'jit-guardrail: its own roles grant nothing beyond their allow-lists (${resourceToken})'
    description: 'Denies a write of the guard, reconciler or JIT requester role definition that grants an action outside that role\'s allow-list, or any data action.'
    metadata: { category: 'jit-guardrail' }
    policyRule: ownedRolesPolicyRule(ownedRoles)
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
