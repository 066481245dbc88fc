// Example: a two-node Azure Local cluster. Replace the principal ids with the object ids of each node's Arc machine
// managed identity: az connectedmachine show -g <rg> -n <node> --query identity.principalId -o tsv
using './main.bicep'

param namePrefix = 'gpuauto'
param clusterName = 'HCI-Cluster01'
param nodes = [
  {
    name: 'Node01'
    principalId: '11111111-1111-4111-8111-111111111111'
  }
  {
    name: 'Node02'
    principalId: '22222222-2222-4222-8222-222222222222'
  }
]
param serviceBusSku = 'Standard'
param eventScope = 'resourceGroup'
param subscribeVmLifecycleEvents = false
param apiClientId = '33333333-3333-4333-8333-333333333333'
