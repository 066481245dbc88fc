using GpuAutomation.Testing;

namespace GpuAutomation.Infra.Tests;

/// <summary>
/// A scratch copy of infra/ (bicep writes its outputs next to its inputs, and tests add their own parameter files),
/// deleted when the test class is done.
/// </summary>
public sealed class InfraFolder : IDisposable
{
    public InfraFolder()
    {
        Root = Path.Combine(Path.GetTempPath(), "gpuauto-infra-tests", Guid.NewGuid().ToString("N"));
        Copy(RepositoryPaths.Combine("infra"), Root);
    }

    public string Root { get; }

    public string PathOf(string relative) => Path.Combine(Root, relative);

    public void Dispose()
    {
        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
    }

    private static void Copy(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }

        foreach (var directory in Directory.GetDirectories(source))
        {
            Copy(directory, Path.Combine(target, Path.GetFileName(directory)));
        }
    }
}
