namespace GpuAutomation.HostRunner.Cim;

/// <summary>
/// The host runner's only way to Hyper-V, the failover cluster and PnP. Implemented over MI on Windows
/// (<see cref="Mi.MiCimClient"/>) and by the emulator (<see cref="Simulation.EmulatedCimClient"/>).
/// Every failure is a <see cref="CimException"/>.
/// </summary>
public interface ICimClient
{
    /// <summary>Runs a WQL query built with <see cref="Wql"/> so every value in it is escaped.</summary>
    Task<IReadOnlyList<CimInstance>> QueryAsync(string ns, WqlQuery query, CancellationToken cancellationToken);

    /// <summary>Reads one instance; <see cref="CimErrors.NotFound"/> when it does not exist.</summary>
    Task<CimInstance> GetInstanceAsync(CimInstancePath path, CancellationToken cancellationToken);

    Task<IReadOnlyList<CimInstance>> GetAssociatedAsync(CimInstancePath source, string associationClass, string resultClass, CancellationToken cancellationToken);

    /// <summary>The association instances that reference <paramref name="target"/> (WMI's references-of), e.g. its Msvm_SettingsDefineCapabilities.</summary>
    Task<IReadOnlyList<CimInstance>> GetReferencesAsync(CimInstancePath target, string associationClass, CancellationToken cancellationToken);

    /// <summary>
    /// Writes the changed properties back (read, change with <see cref="CimInstance.With"/>, modify): the keys and
    /// the changed properties go to the provider, nothing else (<see cref="CimInstance.ForModify"/>).
    /// </summary>
    Task ModifyInstanceAsync(CimInstance instance, CancellationToken cancellationToken);

    /// <summary>
    /// The class's declaration (MI's GetClass): <see cref="CimErrors.InvalidNamespace"/> when the namespace does not
    /// exist, <see cref="CimErrors.InvalidClass"/> when the class does not. Read-only; used by <c>check</c>.
    /// </summary>
    Task<CimClassDeclaration> GetClassAsync(string ns, string className, CancellationToken cancellationToken);

    /// <summary>Invokes a method on an instance. A non-zero ReturnValue is not an exception: callers interpret it.</summary>
    Task<CimMethodResult> InvokeMethodAsync(CimInstancePath target, string methodName, IReadOnlyDictionary<string, CimValue?> inParameters, CancellationToken cancellationToken);
}
