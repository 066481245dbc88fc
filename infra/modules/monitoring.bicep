// Application Insights on a Log Analytics workspace. Local (instrumentation key) ingestion is off: the Function App
// publishes telemetry with its managed identity (APPLICATIONINSIGHTS_AUTHENTICATION_STRING=Authorization=AAD).

param namePrefix string

param insightsName string

param location string

param tags object

@minValue(30)
param retentionInDays int

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: '${namePrefix}-logs'
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    features: {
      disableLocalAuth: true
    }
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: insightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: true
    IngestionMode: 'LogAnalytics'
  }
}

// The connection string names the ingestion endpoint and the instrumentation key, which identifies the resource but
// grants nothing while local auth is disabled.
output connectionString string = insights.properties.ConnectionString
