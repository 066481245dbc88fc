// The bus: one command queue per node and the shared reports queue (names from main.bicep, which mirrors
// src/Messaging/Topology/QueueNames.cs).

param name string

param location string

param tags object

@allowed([
  'Standard'
  'Premium'
])
param sku string

param reportsQueueName string

@description('One command queue per node, named by main.bicep.')
param commandQueueNames array

@description('Labs only: keep SAS (local) authentication. Production uses Entra ID tokens only.')
param allowLocalAuth bool

@description('Queue settings, one place: see main.bicep for why each value is what it is.')
param commandQueue object

param reportsQueue object

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: sku
    tier: sku
    capacity: sku == 'Premium' ? 1 : null
  }
  properties: {
    minimumTlsVersion: '1.2'
    disableLocalAuth: !allowLocalAuth
    publicNetworkAccess: 'Enabled'
  }
}

resource reports 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = {
  parent: namespace
  name: reportsQueueName
  properties: {
    lockDuration: reportsQueue.lockDuration
    maxDeliveryCount: reportsQueue.maxDeliveryCount
    defaultMessageTimeToLive: reportsQueue.defaultMessageTimeToLive
    deadLetteringOnMessageExpiration: true
    requiresDuplicateDetection: reportsQueue.requiresDuplicateDetection
    duplicateDetectionHistoryTimeWindow: reportsQueue.requiresDuplicateDetection ? reportsQueue.duplicateDetectionHistoryTimeWindow : null
    requiresSession: false
    enablePartitioning: false
    maxSizeInMegabytes: 1024
  }
}

resource commands 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = [
  for queueName in commandQueueNames: {
    parent: namespace
    name: queueName
    properties: {
      lockDuration: commandQueue.lockDuration
      maxDeliveryCount: commandQueue.maxDeliveryCount
      defaultMessageTimeToLive: commandQueue.defaultMessageTimeToLive
      deadLetteringOnMessageExpiration: true
      requiresDuplicateDetection: commandQueue.requiresDuplicateDetection
      duplicateDetectionHistoryTimeWindow: commandQueue.requiresDuplicateDetection ? commandQueue.duplicateDetectionHistoryTimeWindow : null
      requiresSession: false
      enablePartitioning: false
      maxSizeInMegabytes: 1024
    }
  }
]

// serviceBusEndpoint is https://<namespace>.<cloud's Service Bus suffix>:443/; its host is what identity-based
// connections want, and taking it from the endpoint keeps sovereign clouds right.
@description('Host name for identity-based connections, e.g. contoso-gpu.servicebus.windows.net.')
output fullyQualifiedNamespace string = split(split(split(namespace.properties.serviceBusEndpoint, '//')[1], '/')[0], ':')[0]
