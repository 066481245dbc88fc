using System.Globalization;
using GpuAutomation.ControlPlane.Storage;
using Microsoft.Extensions.Options;

namespace GpuAutomation.ControlPlane.Nodes;

/// <summary>
/// Which nodes exist: the deployment configuration's plus those an operator registered (table "nodes", partition key
/// = cluster, row key = node, lower case like the inventory's). Reports are accepted only from registered nodes, so
/// a report can't invent a node or a cluster (issue 16, item 2). The clock skew of a node's last future-dated report
/// is kept on its row so the inventory view can warn about it.
/// </summary>
public sealed class NodeRegistry
{
    public const string TableName = "nodes";

    private readonly IRecordTable _table;
    private readonly NodeRegistryOptions _configured;

    public NodeRegistry(IRecordTableSource tables, IOptions<NodeRegistryOptions> options)
    {
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(options);
        _table = tables.Open(TableName);
        _configured = options.Value;
    }

    public async Task<RegisteredNode?> GetAsync(string cluster, string node, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(node);
        var row = await _table.GetAsync(Key(cluster), Key(node), cancellationToken);
        var configured = Configured(cluster, node);
        return row is null ? configured : Read(row, configured);
    }

    /// <summary>Every registered node of a cluster (configured and operator-registered), ordered by name.</summary>
    public async Task<IReadOnlyList<RegisteredNode>> ListAsync(string cluster, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var nodes = new Dictionary<string, RegisteredNode>(StringComparer.OrdinalIgnoreCase);
        if (ConfiguredCluster(cluster) is { } configured)
        {
            foreach (var name in configured.Keys)
            {
                nodes[name] = Configured(cluster, name)!;
            }
        }

        string? token = null;
        do
        {
            var page = await _table.QueryAsync(new RowQuery(PartitionKey: Key(cluster), PageSize: 1000, ContinuationToken: token), cancellationToken);
            foreach (var row in page.Rows)
            {
                var name = row.GetString("Node") ?? row.RowKey;
                var read = Read(row, Configured(cluster, name));
                if (read is not null)
                {
                    nodes[name] = read;
                }
            }

            token = page.ContinuationToken;
        }
        while (token is not null);

        return nodes.Values.OrderBy(n => n.Node, StringComparer.OrdinalIgnoreCase).ToList();
    }

    public async Task<bool> ClusterExistsAsync(string cluster, CancellationToken cancellationToken)
        => (await ListAsync(cluster, cancellationToken)).Count > 0;

    /// <summary>Registers a node (or changes its principal id) as an operator did.</summary>
    public async Task<RegisteredNode> RegisterAsync(string cluster, string node, string? principalId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(node);
        var existing = await _table.GetAsync(Key(cluster), Key(node), cancellationToken);
        var properties = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["Cluster"] = cluster,
            ["Node"] = node,
            ["PrincipalId"] = principalId,
            ["Registered"] = true,
            ["RegisteredAt"] = now,
            ["ClockSkewTicks"] = existing?.GetInt64("ClockSkewTicks"),
            ["ClockSkewSeenAt"] = existing?.GetTime("ClockSkewSeenAt"),
        };
        await _table.SubmitAsync([RowChange.Upsert(new TableRow(Key(cluster), Key(node), properties))], cancellationToken);
        return new RegisteredNode(cluster, node, principalId, RegisteredNode.FromOperator, now);
    }

    /// <summary>Removes an operator's registration.</summary>
    /// <returns>False when there was none; a configured node stays registered (its configuration names it).</returns>
    public async Task<bool> RemoveAsync(string cluster, string node, CancellationToken cancellationToken)
    {
        var existing = await _table.GetAsync(Key(cluster), Key(node), cancellationToken);
        if (existing is null)
        {
            return false;
        }

        await _table.SubmitAsync([RowChange.Delete(Key(cluster), Key(node))], cancellationToken);
        return existing.Properties.TryGetValue("Registered", out var registered) && registered is true;
    }

    /// <summary>Notes how far ahead of the control plane's clock a node's refused report was (null clears it).</summary>
    public async Task NoteClockSkewAsync(string cluster, string node, TimeSpan? skew, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var existing = await _table.GetAsync(Key(cluster), Key(node), cancellationToken);
        if (existing is null && skew is null)
        {
            return;
        }

        var properties = new Dictionary<string, object?>(existing?.Properties ?? new Dictionary<string, object?>(), StringComparer.Ordinal)
        {
            ["Cluster"] = existing?.GetString("Cluster") ?? cluster,
            ["Node"] = existing?.GetString("Node") ?? node,
            ["ClockSkewTicks"] = skew?.Ticks,
            ["ClockSkewSeenAt"] = skew is null ? null : now,
        };
        if (existing is null)
        {
            // Only the skew note: the node's registration comes from the configuration.
            properties["Registered"] = false;
        }

        await _table.SubmitAsync([RowChange.Upsert(new TableRow(Key(cluster), Key(node), properties))], cancellationToken);
    }

    internal static string Key(string name) => name.ToLowerInvariant();

    private Dictionary<string, ConfiguredNode>? ConfiguredCluster(string cluster)
        => _configured.Clusters.TryGetValue(cluster, out var nodes) ? nodes : null;

    private RegisteredNode? Configured(string cluster, string node)
    {
        if (ConfiguredCluster(cluster) is not { } nodes)
        {
            return null;
        }

        var match = nodes.FirstOrDefault(n => string.Equals(n.Key, node, StringComparison.OrdinalIgnoreCase));
        return match.Value is null
            ? null
            : new RegisteredNode(cluster, match.Key, string.IsNullOrWhiteSpace(match.Value.PrincipalId) ? null : match.Value.PrincipalId, RegisteredNode.FromConfiguration, null);
    }

    /// <summary>The row's registration (an operator's wins over the configuration's principal id), or the configured one carrying the row's skew note.</summary>
    private static RegisteredNode? Read(TableRow row, RegisteredNode? configured)
    {
        var skew = row.GetInt64("ClockSkewTicks") is { } ticks ? TimeSpan.FromTicks(ticks) : (TimeSpan?)null;
        var seen = row.GetTime("ClockSkewSeenAt");
        var registered = row.Properties.TryGetValue("Registered", out var flag) && flag is true;
        if (registered)
        {
            return new RegisteredNode(
                row.GetString("Cluster") ?? row.PartitionKey,
                row.GetString("Node") ?? row.RowKey,
                row.GetString("PrincipalId"),
                RegisteredNode.FromOperator,
                row.GetTime("RegisteredAt"),
                skew,
                seen);
        }

        return configured is null ? null : configured with { ClockSkew = skew, ClockSkewSeenAt = seen };
    }

    /// <summary>For log and refusal texts.</summary>
    internal static string Describe(TimeSpan skew) => skew.ToString("c", CultureInfo.InvariantCulture);
}
