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
@description('A role the guardrail owns, and the only actions it may ever grant.')
type ownedRole = {
  @description('The role\'s roleName.')
  roleName: string
  @description('The role definition\'s name (a GUID) when the template knows it; empty when the code picks it.')
  definitionName: string
  @description('Every action the role may hold; anything else is refused.')
  actions: string[]
}
