using GpuAutomation.HostRunner.Agent;
using GpuAutomation.HostRunner.Configuration;
using GpuAutomation.HostRunner.Tools;
using Microsoft.Extensions.Hosting;

if (ToolCommand.Handles(args))
{
    return await ToolCommand.RunAsync(args, Console.Out, Console.Error, CancellationToken.None);
}

IHost host;
try
{
    host = HostRunnerApp.Build(args);
}
catch (HostRunnerConfigurationException e)
{
    // No logger exists before the configuration is valid: stderr is where a service manager or operator looks.
    await Console.Error.WriteLineAsync(e.Message);
    return 2;
}

using (host)
{
    await host.RunAsync();
}

return 0;
