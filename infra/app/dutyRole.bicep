targetScope = 'subscription'

metadata description = 'One app identity\'s own least-privilege custom role and its assignment. main.bicep gives the actions from src/config/guard-permissions.json or src/config/reconciler-permissions.json (the code is tested against the same files), reads only in report mode.'

@description('Principal id of the app\'s user-assigned managed identity.')
param principalId string

@description('Name (a GUID) of the role definition; main.bicep derives it from the environment.')
param roleDefinitionName string

param roleName string
param roleDescription string

@minLength(1)
param actions string[]

@description('Further subscriptions (ids) where the role may be assigned, besides this one.')
param furtherAssignableSubscriptions string[] = []

resource role 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: roleDefinitionName
  properties: {
    roleName: roleName
    description: roleDescription
    type: 'CustomRole'
    permissions: [
      {
        actions: actions
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
    assignableScopes: concat([subscription().id], map(furtherAssignableSubscriptions, id => '/subscriptions/${id}'))
  }
}

resource assignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, principalId, role.id)
  properties: {
    roleDefinitionId: role.id
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

output roleDefinitionId string = role.id
