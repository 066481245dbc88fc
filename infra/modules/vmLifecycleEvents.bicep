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

var vmInstanceWrite = 'Microsoft.AzureStackHCI/virtualMachineInstances/write'

resource topic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: '${namePrefix}-resource-events'
  // System topics for resource groups and subscriptions are global resources.
  location: 'global'
  tags: tags
  properties: {
    source: scope == 'subscription' ? subscription().id : resourceGroup().id
    topicType: scope == 'subscription' ? 'Microsoft.Resources.Subscriptions' : 'Microsoft.Resources.ResourceGroups'
  }
}

// An Azure Local VM instance is an extension resource under a HybridCompute machine, so the subject starts with the
// machine's path: filter on data.operationName (StringIn compares case-insensitively), not on the subject.
resource vmInstanceWrites 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = if (subscribe) {
  parent: topic
  name: 'vm-instance-writes'
  properties: {
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
}

output topicName string = topic.name
