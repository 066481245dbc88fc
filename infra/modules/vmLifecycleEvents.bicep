// Azure resource events into the control plane: an Event Grid system topic on the resource group (or the whole
// subscription) and a subscription that hands Azure Local VM instance writes to the VmLifecycleEvents function.

param namePrefix string

param tags object

@allowed([
  'resourceGroup'
  'subscription'
])
param scope string

@description('Create the event subscription. Event Grid checks that the function exists, so turn this on once the app package is published.')
param subscribe bool

param functionAppName string

@description('Name of a system topic in this resource group that already watches the scope (Event Grid allows one per source); empty creates one.')
param existingTopicName string

// Creating an Azure Local VM writes its Arc machine, then the VM instance (fidelity audit row 4.1); the app handles
// either, whichever arrives first, and provisions once. The machine write also fires when its tags change.
var vmInstanceWrite = 'Microsoft.AzureStackHCI/virtualMachineInstances/write'
var arcMachineWrite = 'Microsoft.HybridCompute/machines/write'
var createTopic = empty(existingTopicName)
// The name predates the machine writes; kept so a redeploy updates the subscription instead of adding a second one.
var subscriptionName = 'vm-instance-writes'

// An Azure Local VM instance is an extension resource under a HybridCompute machine, so the subject starts with the
// machine's path: filter on data.operationName (StringIn compares case-insensitively), not on the subject.
var subscriptionProperties = {
  destination: {
    endpointType: 'AzureFunction'
    properties: {
      resourceId: resourceId('Microsoft.Web/sites/functions', functionAppName, 'VmLifecycleEvents')
      maxEventsPerBatch: 1
      preferredBatchSizeInKilobytes: 64
    }
  }
  eventDeliverySchema: 'EventGridSchema'
  filter: {
    includedEventTypes: [
      'Microsoft.Resources.ResourceWriteSuccess'
    ]
    advancedFilters: [
      {
        operatorType: 'StringIn'
        key: 'data.operationName'
        values: [
          arcMachineWrite
          vmInstanceWrite
        ]
      }
    ]
  }
  retryPolicy: {
    maxDeliveryAttempts: 30
    eventTimeToLiveInMinutes: 1440
  }
}

resource topic 'Microsoft.EventGrid/systemTopics@2025-02-15' = if (createTopic) {
  name: '${namePrefix}-resource-events'
  // System topics for resource groups and subscriptions are global resources.
  location: 'global'
  tags: tags
  properties: {
    source: scope == 'subscription' ? subscription().id : resourceGroup().id
    topicType: scope == 'subscription' ? 'Microsoft.Resources.Subscriptions' : 'Microsoft.Resources.ResourceGroups'
  }
}

resource existingTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' existing = if (!createTopic) {
  name: existingTopicName
}

resource onNewTopic 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = if (subscribe && createTopic) {
  parent: topic
  name: subscriptionName
  properties: subscriptionProperties
}

resource onExistingTopic 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = if (subscribe && !createTopic) {
  parent: existingTopic
  name: subscriptionName
  properties: subscriptionProperties
}

output topicName string = createTopic ? topic.name : existingTopic.name
