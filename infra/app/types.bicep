metadata description = 'Types shared by the modules.'

@export()
@description('Tags: names to string values.')
type resourceTags = {
  *: string
}

@export()
@description('One app setting.')
type appSetting = {
  name: string
  value: string
}

@export()
@description('Where an event subscription writes the events it could not deliver.')
type deadLetterTarget = {
  @description('Name of the storage account, in the function apps\' resource group.')
  storageAccountName: string
  @description('Blob container in that account.')
  container: string
}

@export()
@description('Where a guarded subscription\'s NSG writes leave it: fixed names, the same whether an explicit list (guardedSubscription.bicep) or the management group\'s policy (infra/tenant) puts them there, so the two agree.')
var guardedSubscriptionEvents = {
  resourceGroup: 'rg-jit-guardrail-events'
  systemTopic: 'evgt-jit-guardrail'
  eventSubscription: 'jit-guardrail-guard'
}

@export()
@description('A role the guardrail owns, and the only actions it may ever grant.')
type ownedRole = {
  @description('The role\'s roleName.')
  roleName: string
  @description('The role definition\'s name (a GUID) when the template knows it; empty when the code picks it.')
  definitionName: string
  @description('Every action the role may hold; anything else is refused.')
  actions: string[]
}

@export()
@description('The Deny policy\'s rule: refuse a write of one of these roles that grants an action outside its allow-list, or any data action. Roles are matched by roleName, and by definition name (GUID) where known, so a rename in the same write does not slip past. Policy compares strings without regard to case, as ARM matches actions.')
func ownedRolesPolicyRule(roles ownedRole[]) resourceInput<'Microsoft.Authorization/policyDefinitions@2023-04-01'>.properties.policyRule => {
  if: {
    allOf: [
      { field: 'type', equals: 'Microsoft.Authorization/roleDefinitions' }
      {
        anyOf: map(roles, role => {
          allOf: [
            {
              anyOf: concat(
                [{ field: 'Microsoft.Authorization/roleDefinitions/roleName', equals: role.roleName }],
                empty(role.definitionName) ? [] : [{ field: 'name', equals: role.definitionName }]
              )
            }
            {
              anyOf: [
                {
                  count: {
                    field: 'Microsoft.Authorization/roleDefinitions/permissions[*].actions[*]'
                    where: { field: 'Microsoft.Authorization/roleDefinitions/permissions[*].actions[*]', notIn: role.actions }
                  }
                  greater: 0
                }
                {
                  count: { field: 'Microsoft.Authorization/roleDefinitions/permissions[*].dataActions[*]' }
                  greater: 0
                }
              ]
            }
          ]
        })
      }
    ]
  }
  then: { effect: 'deny' }
}
