using Microsoft.AspNetCore.Connections.Features;

namespace Lattice.Gateway.Forwarding;

/// <summary>The client's IP as text for X-Forwarded-For, formatted once per connection rather than per request.</summary>
internal static class ClientAddress
{
    private static readonly object ItemKey = new();

    public static string Of(HttpContext context)
    {
        var items = context.Features.Get<IConnectionItemsFeature>()?.Items;
        if (items is not null && items.TryGetValue(ItemKey, out var cached) && cached is string text)
        {
            return text;
        }

        text = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (items is not null)
        {
            items[ItemKey] = text;
        }

        return text;
    }
}
