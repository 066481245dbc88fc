// Every role assignment of the deployment, each at the narrowest scope that works:
// - the Function App sends to each command queue, receives from the reports queue, uses the tables and the host's
//   blobs in its storage account, and publishes telemetry to its Application Insights;
// - each node's Arc machine identity receives from its own command queue, sends to the reports queue and publishes its
//   agent's telemetry to the same Application Insights (HOSTRUNNER_Telemetry__Exporter=AzureMonitor), nothing else.

param namespaceName string

param reportsQueueName string

@description('Command queue names, in the order of nodes.')
param commandQueueNames array

@description('The cluster nodes: [{ name, principalId }].')
param nodes array

param storageAccountName string

param insightsName string

param functionAppName string

param functionAppPrincipalId string

// Built-in role definitions (learn.microsoft.com/azure/role-based-access-control/built-in-roles).
var roles = {
  serviceBusDataSender: '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'
  serviceBusDataReceiver: '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: namespaceName
}

resource reportsQueue 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' existing = {
  parent: namespace
  name: reportsQueueName
}

resource commandQueues 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' existing = [
  for queueName in commandQueueNames: {
    parent: namespace
    name: queueName
  }
]

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource insights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: insightsName
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource appSendsCommands 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (queueName, i) in commandQueueNames: {
    name: guid(commandQueues[i].id, functionApp.id, roles.serviceBusDataSender)
    scope: commandQueues[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataSender)
      principalId: functionAppPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource appReceivesReports 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(reportsQueue.id, functionApp.id, roles.serviceBusDataReceiver)
  scope: reportsQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataReceiver)
    principalId: functionAppPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Account scope: the stores create their own tables, and the Functions host creates its own blob containers
// (azure-webjobs-hosts, azure-webjobs-secrets) next to the deployment container.
resource appUsesTables 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, functionApp.id, roles.storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: functionAppPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource appHostStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, functionApp.id, roles.storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: functionAppPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource appPublishesTelemetry 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(insights.id, functionApp.id, roles.monitoringMetricsPublisher)
  scope: insights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: functionAppPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource nodeReceivesOwnCommands 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (node, i) in nodes: {
    name: guid(commandQueues[i].id, node.principalId, roles.serviceBusDataReceiver)
    scope: commandQueues[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataReceiver)
      principalId: node.principalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource nodeSendsReports 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for node in nodes: {
    name: guid(reportsQueue.id, node.principalId, roles.serviceBusDataSender)
    scope: reportsQueue
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataSender)
      principalId: node.principalId
      principalType: 'ServicePrincipal'
    }
  }
]

// The agents export spans and metrics with their Arc identity too (issue 20); Application Insights refuses key-based
// ingestion (monitoring.bicep), so without this grant a node's telemetry would be rejected with 403.
resource nodePublishesTelemetry 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for node in nodes: {
    name: guid(insights.id, node.principalId, roles.monitoringMetricsPublisher)
    scope: insights
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
      principalId: node.principalId
      principalType: 'ServicePrincipal'
    }
  }
]
