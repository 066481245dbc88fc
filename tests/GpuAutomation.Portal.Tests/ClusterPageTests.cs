using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;

namespace GpuAutomation.Portal.Tests;

[Collection(PortalCollection.Name)]
public sealed class ClusterPageTests(PortalFixture portal)
{
    [Fact]
    public async Task Cluster_page_shows_every_node_and_gpu_with_model_counts_and_vram_per_partition()
    {
        var cluster = portal.Sandbox.ClusterName;
        var inventory = await portal.GetJsonAsync($"/api/clusters/{cluster}/inventory");
        var page = await portal.NewPageAsync();
        await page.GotoAsync(portal.PortalAddress + $"#/clusters/{cluster}");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"Cluster {cluster}" })).ToBeVisibleAsync();

        var grid = page.Locator("table", new PageLocatorOptions { Has = page.Locator("caption", new() { HasText = "GPUs by node" }) });
        foreach (var node in inventory.GetProperty("nodes").EnumerateArray())
        {
            var row = grid.Locator("tbody tr", new LocatorLocatorOptions { Has = page.Locator("th", new() { HasText = node.GetProperty("node").GetString()! }) });
            var gpus = node.GetProperty("gpus").EnumerateArray().ToList();
            Assert.NotEmpty(gpus);
            await Assertions.Expect(row.Locator("td.gpu")).ToHaveCountAsync(gpus.Count);
            for (var i = 0; i < gpus.Count; i++)
            {
                var gpu = gpus[i];
                var count = gpu.GetProperty("partitionCount").GetInt32();
                var cell = row.Locator("td.gpu").Nth(i);
                await Assertions.Expect(cell).ToContainTextAsync(gpu.GetProperty("model").GetString()!);
                await Assertions.Expect(cell).ToContainTextAsync($"{count} partitions of");
                var valid = string.Join(", ", gpu.GetProperty("validPartitionCounts").EnumerateArray().Select(v => v.GetInt32()));
                await Assertions.Expect(cell).ToContainTextAsync($"Valid counts: {valid}");
            }
        }

        foreach (var vm in inventory.GetProperty("nodes").EnumerateArray().SelectMany(n => n.GetProperty("vms").EnumerateArray()))
        {
            await Assertions.Expect(page.GetByRole(AriaRole.Rowheader, new() { Name = vm.GetProperty("name").GetString()!, Exact = true })).ToBeVisibleAsync();
        }

        Assert.Empty(PortalFixture.ErrorsOf(page));
        await Artifacts.ScreenshotAsync(page, "cluster");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Partition_count_dialog_offers_only_the_counts_every_gpu_accepts_with_vram_per_partition()
    {
        var cluster = portal.Sandbox.ClusterName;
        var inventory = await portal.GetJsonAsync($"/api/clusters/{cluster}/inventory");
        var gpus = inventory.GetProperty("nodes").EnumerateArray().SelectMany(n => n.GetProperty("gpus").EnumerateArray()).ToList();
        var valid = gpus.Select(g => g.GetProperty("validPartitionCounts").EnumerateArray().Select(v => v.GetInt32()).ToHashSet())
            .Aggregate((a, b) => { a.IntersectWith(b); return a; })
            .OrderDescending()
            .Select(c => c.ToString(CultureInfo.InvariantCulture))
            .ToArray();
        Assert.NotEmpty(valid);
        var memory = gpus[0].GetProperty("memoryMiB") is { ValueKind: JsonValueKind.Number } m ? m.GetInt64() : (long?)null;

        var page = await portal.NewPageAsync();
        await page.GotoAsync(portal.PortalAddress + $"#/clusters/{cluster}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Change partition count…" }).ClickAsync();
        var select = page.GetByLabel("Partitions per GPU (valid counts only)");
        var offered = await select.Locator("option").EvaluateAllAsync<string[]>("options => options.map(o => o.value)");
        Assert.Equal(valid, offered);

        // A count outside the valid set can't be chosen: the control offers nothing else.
        var invalid = Enumerable.Range(1, 64).Select(c => c.ToString(CultureInfo.InvariantCulture)).First(c => !valid.Contains(c));
        await Assert.ThrowsAsync<TimeoutException>(() => select.SelectOptionAsync(invalid, new() { Timeout = 1000 }));

        var smallest = valid[0];
        await select.SelectOptionAsync(smallest);
        var count = int.Parse(smallest, CultureInfo.InvariantCulture);
        var expected = memory is { } mib
            ? (mib / count >= 1024 ? " GiB VRAM each" : $"{mib / count} MiB VRAM each")
            : $"1/{count} of the GPU's VRAM each";
        await Assertions.Expect(select.Locator("option:checked")).ToContainTextAsync(expected);
        await Assertions.Expect(page.Locator("#count-effect")).ToContainTextAsync($"All {gpus.Count} GPUs");
        await Artifacts.ScreenshotAsync(page, "partition-count-dialog");
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(page.Locator("dialog")).ToHaveCountAsync(0);
        Assert.Empty(PortalFixture.ErrorsOf(page));
        await page.Context.CloseAsync();
    }
}
