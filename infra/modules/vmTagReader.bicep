// Lets the Function App read the tags of the Arc machines behind Azure Local VMs, which provisioning rules on Azure
// tags need (tags live on the machine resource, not in the Event Grid event). The custom role holds one action,
// Microsoft.Resources/tags/read, and is assignable and assigned only on the resource group of those machines.
targetScope = 'resourceGroup'

param functionAppPrincipalId string

@description('The Function App\'s resource id: names the assignment deterministically (the principal id exists only at deployment).')
param functionAppResourceId string

resource tagReader 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, 'gpu-automation-tag-reader')
  properties: {
    roleName: 'GPU partition automation tag reader (${resourceGroup().name})'
    description: 'Reads resource tags and nothing else, for GPU partition provisioning rules.'
    type: 'CustomRole'
    permissions: [
      {
        actions: [
          'Microsoft.Resources/tags/read'
        ]
        notActions: []
      }
    ]
    assignableScopes: [
      resourceGroup().id
    ]
  }
}

resource readTags 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(resourceGroup().id, functionAppResourceId, tagReader.id)
  properties: {
    roleDefinitionId: tagReader.id
    principalId: functionAppPrincipalId
    principalType: 'ServicePrincipal'
  }
}
