// Lets the Function App read the Arc machines behind Azure Local VMs and their VM instances: an Event Grid event
// carries neither the instance's vmId (matched against the hosts' inventory) nor the machine's kind and tags (which
// provisioning rules on Azure tags need). The built-in Reader role (actions `*/read`: machines/read,
// virtualMachineInstances/read) on the resource group of those machines only: assigning a
// built-in role needs roleAssignments/write there (Role Based Access Control Administrator suffices), whereas a custom
// role would need roleDefinitions/write, which neither Contributor nor that administrator role holds
// (learn.microsoft.com/azure/role-based-access-control/built-in-roles/privileged; audit fidelity-azure 6.3).
targetScope = 'resourceGroup'

param functionAppPrincipalId string

@description('The Function App\'s resource id: names the assignment deterministically (the principal id exists only at deployment).')
param functionAppResourceId string

// Reader (learn.microsoft.com/azure/role-based-access-control/built-in-roles/general#reader).
var readerRoleId = 'acdd72a7-3385-48ef-bd42-f606fba81ae7'

resource readTags 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(resourceGroup().id, functionAppResourceId, readerRoleId)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', readerRoleId)
    principalId: functionAppPrincipalId
    principalType: 'ServicePrincipal'
  }
}
