// Azure side of GPU partition automation for one Azure Local cluster: storage, Service Bus, the Flex Consumption
// Function App (control plane), monitoring, the Event Grid subscription for VM instance writes, and least-privilege
// role assignments for the Function App and each node's Arc machine identity. Deploy at resource group scope.

targetScope = 'resourceGroup'

import { flexRuntime } from 'modules/functionApp.bicep'

@description('Short prefix for resource names (letters, digits, hyphens).')
@minLength(3)
@maxLength(16)
param namePrefix string

@description('Region of every regional resource.')
param location string = resourceGroup().location

@description('Cluster name exactly as the host runners report it.')
@minLength(1)
@maxLength(63)
param clusterName string

@description('The cluster nodes: [{ name: node name as the host runner reports it, principalId: object id of the Arc machine\'s system-assigned managed identity }].')
@minLength(1)
param nodes array

@description('Service Bus tier: Standard or Premium (isolated capacity). Message size is the same on both: the codec (src/Contracts Message.MaxEncodedBytes) caps every message at 256 KiB, the Standard limit, and the queues do not set maxMessageSizeInKilobytes (a Premium queue keeps its default).')
@allowed([
  'Standard'
  'Premium'
])
param serviceBusSku string = 'Standard'

@description('Labs only: keep SAS authentication on the namespace. Production leaves it off (Entra ID only).')
param allowServiceBusSas bool = false

@description('Where VM instance writes are watched: this resource group or the whole subscription.')
@allowed([
  'resourceGroup'
  'subscription'
])
param eventScope string = 'resourceGroup'

@description('A system topic in this resource group that already watches that scope (Event Grid allows one per resource group or subscription); empty creates one.')
param existingEventTopicName string = ''

@description('Create the Event Grid subscription to VmLifecycleEvents. Needs the app package published first (Event Grid checks the function exists).')
param subscribeVmLifecycleEvents bool = false

@description('Application (client) id of the Entra app registration holding the GpuAutomation.Reader and GpuAutomation.Operator app roles (infra/app-roles.json).')
@minLength(36)
@maxLength(36)
param apiClientId string

@description('Resource group of the Arc machines of the cluster\'s Azure Local VMs; the app gets the built-in Reader role there to read their machines, VM instances and tags. Empty: VMs are matched by name only and tag rules see no tags.')
param vmResourceGroupName string = ''

@description('Unauthenticated requests: RedirectToLoginPage lets operators sign in to the portal in a browser (callers sending X-Requested-With: XMLHttpRequest still get 401); Return401 for API-only installs.')
@allowed([
  'RedirectToLoginPage'
  'Return401'
])
param unauthenticatedClientAction string = 'RedirectToLoginPage'

@description('NCRONTAB schedule of the compliance scan.')
param complianceScanSchedule string = '0 0 */6 * * *'

@description('NCRONTAB schedule of the outbox sweep (re-publishes commands a crash left unsent).')
param outboxSweepSchedule string = '0 */2 * * * *'

// Flex Consumption runs the package as a custom handler: the `custom` stack, version 1.0 as the Flex stacks API lists
// it (Azure/azure-powershell Get-AzFunctionAppFlexConsumptionRuntime.md: "Supported runtimes include ... custom";
// audit fidelity-azure 1.2). `dotnet-isolated` is not offered: Flex's zip deploy refuses a custom-handler package
// without .azurefunctions/ and the host flags the language mismatch (audit 1.3). Check the region before deploying:
// `az functionapp list-flexconsumption-runtimes -l <region> --runtime custom` or
// `Get-AzFunctionAppFlexConsumptionRuntime -Location <region> -Runtime custom`; pass a version exactly as listed.
@description('Flex Consumption runtime stack: { name: \'custom\', version } with the version exactly as the region lists it.')
param functionRuntime flexRuntime = {
  name: 'custom'
  version: '1.0'
}

@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Flex Consumption scale-out limit (the platform accepts 1 to 1000: learn.microsoft.com/azure/azure-functions/flex-consumption-plan, "The lowest maximum scale is currently 1").')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@minValue(30)
param logRetentionInDays int = 30

param tags object = {
  workload: 'gpu-partition-automation'
}

// Commands: the host runner records a command in its journal, then settles it, so a lock of one minute is plenty and a
// lost lock comes back quickly. The control plane re-publishes from its outbox with the same message-id (the command
// id), so duplicate detection drops re-sends within an hour. A command nobody picked up within a day is stale
// (its envelope expires too) and is kept in the dead-letter queue for the operator, not delivered late. Five
// deliveries: a command that fails five times is poison.
var commandQueue = {
  lockDuration: 'PT1M'
  maxDeliveryCount: 5
  defaultMessageTimeToLive: 'P1D'
  requiresDuplicateDetection: true
  duplicateDetectionHistoryTimeWindow: 'PT1H'
}

// Reports: the Functions host renews locks (up to 5 minutes) while a report is handled and completes it on success.
// Handling is idempotent (ETags, command ids), and snapshots/events from one node may share no id, so duplicate
// detection stays off rather than risk dropping a distinct report. Ten deliveries before the dead-letter queue.
var reportsQueue = {
  lockDuration: 'PT1M'
  maxDeliveryCount: 10
  defaultMessageTimeToLive: 'P7D'
  requiresDuplicateDetection: false
  duplicateDetectionHistoryTimeWindow: 'PT10M'
}

var suffix = uniqueString(resourceGroup().id, namePrefix)
var deploymentContainerName = 'app-package'

// Names are fixed here, before anything is deployed, so role assignments and What-If see them up front.
var storageAccountName = take('st${toLower(replace(namePrefix, '-', ''))}${suffix}', 24)
var serviceBusName = '${namePrefix}-bus-${suffix}'
var functionAppName = '${namePrefix}-${suffix}-func'
var insightsName = '${namePrefix}-insights'

// The names src/Messaging/Topology/QueueNames.cs derives: Reports, and Commands(cluster, node) in lower case.
var reportsQueueName = 'gpu-reports'
var commandQueueNames = [for node in nodes: toLower('gpu-commands.${clusterName}.${node.name}')]

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: storageAccountName
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
  }
}

module serviceBus 'modules/serviceBus.bicep' = {
  name: 'serviceBus'
  params: {
    name: serviceBusName
    location: location
    tags: tags
    sku: serviceBusSku
    reportsQueueName: reportsQueueName
    commandQueueNames: commandQueueNames
    allowLocalAuth: allowServiceBusSas
    commandQueue: commandQueue
    reportsQueue: reportsQueue
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    namePrefix: namePrefix
    insightsName: insightsName
    location: location
    tags: tags
    retentionInDays: logRetentionInDays
  }
}

module functionApp 'modules/functionApp.bicep' = {
  name: 'functionApp'
  params: {
    name: functionAppName
    location: location
    tags: tags
    storageAccountName: storage.outputs.name
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    tableServiceUri: storage.outputs.tableEndpoint
    serviceBusNamespace: serviceBus.outputs.fullyQualifiedNamespace
    insightsConnectionString: monitoring.outputs.connectionString
    complianceScanSchedule: complianceScanSchedule
    outboxSweepSchedule: outboxSweepSchedule
    runtime: functionRuntime
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    apiClientId: apiClientId
    unauthenticatedClientAction: unauthenticatedClientAction
  }
}

module access 'modules/access.bicep' = {
  name: 'access'
  params: {
    namespaceName: serviceBusName
    reportsQueueName: reportsQueueName
    commandQueueNames: commandQueueNames
    nodes: nodes
    storageAccountName: storageAccountName
    insightsName: insightsName
    functionAppName: functionAppName
    // Through the principal id, this also waits for storage, the bus and monitoring, which the app depends on.
    functionAppPrincipalId: functionApp.outputs.principalId
  }
}

// Event Grid provisioning reads the Arc machine (kind, tags) and VM instance (vmId); without this resource group it
// matches VMs by name and tag rules see no tags (name and notes rules still work).
module vmTagReader 'modules/vmTagReader.bicep' = if (!empty(vmResourceGroupName)) {
  name: 'vmTagReader'
  scope: resourceGroup(vmResourceGroupName)
  params: {
    functionAppPrincipalId: functionApp.outputs.principalId
    functionAppResourceId: resourceId('Microsoft.Web/sites', functionAppName)
  }
}

module vmLifecycleEvents 'modules/vmLifecycleEvents.bicep' = {
  name: 'vmLifecycleEvents'
  params: {
    namePrefix: namePrefix
    tags: tags
    scope: eventScope
    subscribe: subscribeVmLifecycleEvents
    existingTopicName: existingEventTopicName
    functionAppName: functionAppName
  }
  dependsOn: [
    functionApp
  ]
}

output functionAppName string = functionAppName
output functionAppHostName string = functionApp.outputs.defaultHostName
output storageAccountName string = storageAccountName
output deploymentContainerUrl string = storage.outputs.deploymentContainerUrl
output tableServiceUri string = storage.outputs.tableEndpoint
output serviceBusNamespace string = serviceBus.outputs.fullyQualifiedNamespace
output reportsQueueName string = reportsQueueName
output commandQueueNames array = commandQueueNames
output eventTopicName string = vmLifecycleEvents.outputs.topicName

@description('What each node\'s HostRunner needs: its cluster and node names, the namespace, and its two queues.')
output hostRunners array = [
  for (node, i) in nodes: {
    clusterName: clusterName
    nodeName: node.name
    serviceBusNamespace: serviceBus.outputs.fullyQualifiedNamespace
    commandQueue: commandQueueNames[i]
    reportsQueue: reportsQueueName
  }
]
