metadata description = 'Types shared by the modules.'

@export()
@description('Tags: names to string values.')
type resourceTags = {
  *: string
}
