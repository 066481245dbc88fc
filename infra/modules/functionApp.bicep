// The control plane: a Flex Consumption Function App whose handler is the ASP.NET Core app in src/Functions
// (custom handler). Every connection is identity-based; App Service Authentication (Entra ID) fronts the HTTP API.

// The package is a custom handler (host.json customHandler, no .azurefunctions/), so the stack name is fixed to `custom`.
@export()
type flexRuntime = {
  name: 'custom'
  version: string
}

param name string

param location string

param tags object

param storageAccountName string

param deploymentContainerUrl string

param tableServiceUri string

param serviceBusNamespace string

param insightsConnectionString string

@description('NCRONTAB schedules the timer functions read through %ComplianceScanSchedule% and %OutboxSweepSchedule%.')
param complianceScanSchedule string

param outboxSweepSchedule string

@description('Flex Consumption runtime stack: always the custom handler stack; the version as the region lists it.')
param runtime flexRuntime

@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int

@description('Flex Consumption scale-out limit (the platform accepts 1 to 1000).')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int

@description('Application (client) id of the Entra app registration that defines the GpuAutomation.* app roles.')
param apiClientId string

@description('Cluster name exactly as the host runners report it.')
param clusterName string

@description('The cluster nodes: [{ name, principalId }], principalId = object id of the node\'s Arc machine managed identity. Registered with the control plane, which accepts a node\'s reports only with that identity\'s token.')
param nodes array

@description('Entra tenant of the nodes\' managed identities and of the API app registration: reports\' tokens must be issued by it.')
param tenantId string = tenant().tenantId

@description('What an unauthenticated request gets: the portal needs a sign-in redirect; an API-only install can answer 401.')
@allowed([
  'RedirectToLoginPage'
  'Return401'
])
param unauthenticatedClientAction string

// Reports are authenticated (issue 16, item 1): each carries an access token of its node's managed identity for the
// API app (application ID URI api://<client id>; v2.0 tokens name the client id as audience instead).
var reportAuthenticationSettings = [
  {
    name: 'GpuAutomation__ReportAuthentication__TenantId'
    value: tenantId
  }
  {
    name: 'GpuAutomation__ReportAuthentication__Audience'
    value: 'api://${apiClientId}'
  }
  {
    name: 'GpuAutomation__ReportAuthentication__ClientId'
    value: apiClientId
  }
]

// Node registration as a list: app setting names may hold only letters, digits, periods and underscores
// (learn.microsoft.com/azure/app-service/configure-common), so a hyphenated cluster or node name can't be a key.
var nodeSettings = flatten(map(range(0, length(nodes)), i => [
  {
    name: 'GpuAutomation__NodeList__${i}__Cluster'
    value: clusterName
  }
  {
    name: 'GpuAutomation__NodeList__${i}__Node'
    value: nodes[i].name
  }
  {
    name: 'GpuAutomation__NodeList__${i}__PrincipalId'
    value: nodes[i].principalId
  }
]))

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: '${name}-plan'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      http20Enabled: true
      appSettings: concat([
        {
          name: 'AzureWebJobsStorage__accountName'
          value: storageAccountName
        }
        {
          name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
          value: insightsConnectionString
        }
        {
          name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
          value: 'Authorization=AAD'
        }
        {
          name: 'ServiceBusConnection__fullyQualifiedNamespace'
          value: serviceBusNamespace
        }
        {
          name: 'GpuAutomation__Tables__ServiceUri'
          value: tableServiceUri
        }
        {
          name: 'ComplianceScanSchedule'
          value: complianceScanSchedule
        }
        {
          name: 'OutboxSweepSchedule'
          value: outboxSweepSchedule
        }
      ], reportAuthenticationSettings, nodeSettings)
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'SystemAssignedIdentity'
          }
        }
      }
      runtime: runtime
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
    }
  }
}

// Deployment goes through the identity-authenticated blob container; basic (user/password) publishing stays off.
resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

// Easy Auth validates the caller's Entra token and passes its claims (roles included) to the handler in
// X-MS-CLIENT-PRINCIPAL; the API checks GpuAutomation.Reader / GpuAutomation.Operator there. Excluded, and nothing
// else: Event Grid reaches the extension's webhook with the system key instead of a user token, so that path is left
// to the Functions host; /api/health and the OpenAPI document are the handler's anonymous routes (src/Functions
// README), so probes and tooling reach them without a token. The handler refuses /api/* altogether while the platform
// reports authentication off (WEBSITE_AUTH_ENABLED).
resource auth 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: unauthenticatedClientAction
      redirectToProvider: 'azureactivedirectory'
      excludedPaths: [
        '/runtime/webhooks/eventgrid'
        '/api/health'
        '/api/openapi/v1.json'
      ]
    }
    httpSettings: {
      requireHttps: true
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: apiClientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
        }
        validation: {
          allowedAudiences: [
            'api://${apiClientId}'
            apiClientId
          ]
        }
      }
    }
    login: {
      tokenStore: {
        enabled: false
      }
    }
  }
}

output principalId string = site.identity.principalId
output defaultHostName string = site.properties.defaultHostName
