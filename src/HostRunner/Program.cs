using Microsoft.Extensions.Hosting;

var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddWindowsService(options => options.ServiceName = "GpuAutomation HostRunner");
using var host = builder.Build();
await host.RunAsync();
