targetScope = 'subscription'

metadata description = 'The guardrail identity\'s own least-privilege role, defined from src/config/guardrail-permissions.json (the code is tested against the same file).'

@description('Principal id of the guardrail\'s user-assigned managed identity.')
param principalId string

param resourceToken string

var permissions = loadJsonContent('../../src/config/guardrail-permissions.json')

resource guardrailRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, 'jit-guardrail-role', resourceToken)
  properties: {
    roleName: '${permissions.roleName} (${resourceToken})'
    description: permissions.description
    type: 'CustomRole'
    permissions: [
      {
        actions: permissions.actions
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
    assignableScopes: [subscription().id]
  }
}

resource assignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, principalId, guardrailRole.id)
  properties: {
    roleDefinitionId: guardrailRole.id
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

output roleDefinitionId string = guardrailRole.id
