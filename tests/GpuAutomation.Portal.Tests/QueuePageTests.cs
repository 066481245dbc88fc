using System.Globalization;
using System.Text.Json;
using GpuAutomation.Contracts.Reports;
using Microsoft.Playwright;

namespace GpuAutomation.Portal.Tests;

/// <summary>
/// The cluster page's queued requests, against a control plane seeded so that assigns wait: the policy keeps n+1 and
/// node-a's three GPU VMs already need more than the others have free, so every assign is refused headroom-reserved
/// and, asked to wait, is Queued. Nothing executes commands there, and nothing frees capacity, so they stay queued.
/// </summary>
[Collection(PortalCollection.Name)]
public sealed class QueuePageTests(PortalFixture portal)
{
    private const string Cluster = "queue-lab";
    private const string ReaderRole = "GpuAutomation.Reader";

    private static async Task<SeededControlPlane> StartAsync()
    {
        NodeInventory[] nodes =
        [
            SeededControlPlane.Node("node-a", 2, ["desk-1", "desk-2", "desk-3"], "desk-4"),
            SeededControlPlane.Node("node-b", 1, ["cad-1"], "cad-2"),
        ];
        var plane = await SeededControlPlane.StartAsync(Cluster, nodes);
        await plane.SendAsync(HttpMethod.Put, $"/api/clusters/{Cluster}/policy", """{"rules":[],"reserve":"n+1"}""");
        return plane;
    }

    private static async Task<JsonElement> QueueAsync(SeededControlPlane plane, string vm, int priority, int maxWaitMinutes)
    {
        var request = await plane.SendAsync(HttpMethod.Post, "/api/partition-requests",
            string.Create(CultureInfo.InvariantCulture, $"{{\"cluster\":\"{Cluster}\",\"vm\":\"{vm}\",\"action\":\"assign\",\"queue\":{{\"maxWaitMinutes\":{maxWaitMinutes},\"priority\":{priority}}}}}"));
        Assert.Equal("Queued", request.GetProperty("status").GetString());
        return request;
    }

    private static ILocator QueueRow(IPage page, string requestId)
        => page.Locator("#queue tbody tr", new() { Has = page.GetByRole(AriaRole.Rowheader, new() { Name = requestId }) });

    [Fact]
    public async Task Queued_requests_show_position_priority_waiting_since_and_expiry_and_an_operator_cancels_one()
    {
        await using var plane = await StartAsync();
        var older = await QueueAsync(plane, "desk-4", priority: 2, maxWaitMinutes: 60);
        var urgent = await QueueAsync(plane, "cad-2", priority: 7, maxWaitMinutes: 30);
        var page = await portal.NewPageAsync();
        await page.GotoAsync(plane.PortalAddress + $"#/clusters/{Cluster}");

        // Admission order: the higher priority first although it came later.
        var table = page.GetByRole(AriaRole.Table, new() { Name = "Queued requests, next admitted first" });
        await Assertions.Expect(table.Locator("tbody tr")).ToHaveCountAsync(2);
        var urgentId = urgent.GetProperty("id").GetString()!;
        var olderId = older.GetProperty("id").GetString()!;
        await Assertions.Expect(table.Locator("tbody tr").Nth(0).GetByRole(AriaRole.Rowheader)).ToHaveTextAsync(urgentId);
        var row = QueueRow(page, urgentId);
        var cells = row.Locator("td");
        await Assertions.Expect(cells.Nth(0)).ToHaveTextAsync("1");
        await Assertions.Expect(cells.Nth(1)).ToHaveTextAsync("cad-2");
        await Assertions.Expect(cells.Nth(2)).ToHaveTextAsync("node-b");
        await Assertions.Expect(cells.Nth(3)).ToHaveTextAsync("7");
        await Assertions.Expect(cells.Nth(4)).ToHaveTextAsync(await ShownAsync(page, urgent.GetProperty("createdAt").GetString()!));
        await Assertions.Expect(cells.Nth(5)).ToHaveTextAsync(await ShownAsync(page, urgent.GetProperty("queuedUntil").GetString()!));
        await Assertions.Expect(cells.Nth(6)).ToContainTextAsync("(headroom-reserved)");
        await Assertions.Expect(QueueRow(page, olderId).Locator("td").Nth(0)).ToHaveTextAsync("2");
        await Artifacts.ScreenshotAsync(page, "cluster-queue");

        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel queued request for desk-4" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Cancel queued request for desk-4" });
        await Assertions.Expect(dialog.Locator(".what")).ToContainTextAsync($"Request {olderId} (assign a partition to desk-4 on node node-a) will leave the queue");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel the request" }).ClickAsync();
        await Assertions.Expect(dialog.Locator(".request-status")).ToHaveTextAsync("Cancelled");
        await page.Keyboard.PressAsync("Escape");

        var cancelled = await plane.SendAsync(HttpMethod.Get, $"/api/partition-requests/{olderId}");
        Assert.Equal("Cancelled", cancelled.GetProperty("status").GetString());
        await Assertions.Expect(table.Locator("tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(QueueRow(page, olderId)).ToHaveCountAsync(0);
        Assert.Empty(PortalFixture.ErrorsOf(page));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Cancelling_a_request_that_left_the_queue_meanwhile_shows_the_409_not_queued_in_words()
    {
        await using var plane = await StartAsync();
        var queued = await QueueAsync(plane, "cad-2", priority: 0, maxWaitMinutes: 30);
        var id = queued.GetProperty("id").GetString()!;
        var page = await portal.NewPageAsync();
        await page.GotoAsync(plane.PortalAddress + $"#/clusters/{Cluster}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel queued request for cad-2" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Cancel queued request for cad-2" });
        await Assertions.Expect(dialog).ToBeVisibleAsync();

        // Someone else ends it while the dialog is open (the page doesn't re-render under an open dialog).
        await plane.SendAsync(HttpMethod.Post, $"/api/partition-requests/{id}/cancel");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel the request" }).ClickAsync();

        var alert = dialog.GetByRole(AriaRole.Alert);
        await Assertions.Expect(alert).ToContainTextAsync("Request refused (409)");
        await Assertions.Expect(alert).ToContainTextAsync($"It is no longer queued, so it can't be cancelled: Request {id} is Cancelled, not Queued");
        await Assertions.Expect(alert).ToContainTextAsync("Code: not-queued");
        await Assertions.Expect(dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel the request" })).ToBeDisabledAsync();
        await Artifacts.ScreenshotAsync(page, "cancel-not-queued");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Close" }).ClickAsync();
        await Assertions.Expect(page.Locator("#queue")).ToContainTextAsync("No request is waiting for capacity.");
        Assert.Empty(PortalFixture.ErrorsOf(page));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_reader_sees_the_queue_but_no_cancel_button()
    {
        await using var plane = await StartAsync();
        var queued = await QueueAsync(plane, "desk-4", priority: 3, maxWaitMinutes: 30);
        var page = await portal.NewPageAsync(PortalFixture.Principal("rita@contoso.example", ReaderRole));
        await page.GotoAsync(plane.PortalAddress + $"#/clusters/{Cluster}");
        await Assertions.Expect(QueueRow(page, queued.GetProperty("id").GetString()!).Locator("td").Nth(3)).ToHaveTextAsync("3");
        await Assertions.Expect(page.Locator("#queue button")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#queue").GetByRole(AriaRole.Columnheader, new() { Name = "Action", Exact = true })).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("main button")).ToHaveCountAsync(0);
        Assert.Empty(PortalFixture.ErrorsOf(page));
        await page.Context.CloseAsync();
    }

    /// <summary>An instant as the page formats it in this browser (format.js <c>when</c>).</summary>
    private static Task<string> ShownAsync(IPage page, string iso)
        => page.EvaluateAsync<string>("iso => new Date(iso).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' })", iso);
}
