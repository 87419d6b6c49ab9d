using System.Collections.Frozen;
using System.Net.Http.Headers;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Lattice.Gateway.Forwarding;

/// <summary>
/// Which headers cross the gateway. Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection and are
/// dropped both ways, along with any header a <c>Connection</c> header names.
/// </summary>
internal static class HeaderRules
{
    public const string ForwardedFor = "X-Forwarded-For";
    public const string ForwardedProto = "X-Forwarded-Proto";
    public const string ForwardedHost = "X-Forwarded-Host";
    public const string ApiKey = "X-Api-Key";

    /// <summary>Dropped in both directions.</summary>
    private static readonly FrozenSet<string> HopByHop = FrozenSet.Create(
        StringComparer.OrdinalIgnoreCase,
        HeaderNames.Connection, HeaderNames.KeepAlive, "Proxy-Connection", HeaderNames.ProxyAuthenticate,
        HeaderNames.ProxyAuthorization, HeaderNames.TE, HeaderNames.Trailer, HeaderNames.TransferEncoding,
        HeaderNames.Upgrade);

    /// <summary>
    /// Request headers the gateway sets itself, or consumes (credentials never reach a service). The client's RFC 7239
    /// <c>Forwarded</c> goes too: the gateway speaks X-Forwarded-*, and an unverified claim must not pass as its word.
    /// </summary>
    private static readonly FrozenSet<string> RequestOwned = FrozenSet.Create(
        StringComparer.OrdinalIgnoreCase,
        HeaderNames.Host, ForwardedProto, ForwardedHost, ForwardedFor, ApiKey, HeaderNames.Authorization,
        HeaderNames.Expect, "Forwarded");

    /// <summary>Headers that belong on <see cref="HttpContent"/> rather than the request message.</summary>
    private static readonly FrozenSet<string> ContentHeaders = FrozenSet.Create(
        StringComparer.OrdinalIgnoreCase,
        HeaderNames.ContentType, HeaderNames.ContentLength, HeaderNames.ContentEncoding, HeaderNames.ContentLanguage,
        HeaderNames.ContentLocation, HeaderNames.ContentMD5, HeaderNames.ContentRange, HeaderNames.ContentDisposition,
        HeaderNames.Expires, HeaderNames.LastModified, HeaderNames.Allow);

    /// <summary>Response headers Kestrel writes itself for this hop.</summary>
    private static readonly FrozenSet<string> ResponseOwned = FrozenSet.Create(
        StringComparer.OrdinalIgnoreCase, HeaderNames.Date, HeaderNames.Server);

    public static bool IsHopByHop(string name) => HopByHop.Contains(name);

    /// <summary>Copies the client's headers onto the upstream request, minus hop-by-hop and gateway-owned ones.</summary>
    public static void CopyRequestHeaders(HttpRequest source, HttpRequestMessage destination)
    {
        var connection = source.Headers.Connection;
        var checkConnection = NamesOtherHeaders(connection);
        foreach (var header in source.Headers)
        {
            var name = header.Key;
            if (HopByHop.Contains(name) || RequestOwned.Contains(name) || (checkConnection && IsListed(connection, name)))
            {
                continue;
            }

            var value = header.Value;
            if (ContentHeaders.Contains(name))
            {
                // A body-less request has no content; its stray content headers have nothing to describe.
                if (destination.Content is { } content)
                {
                    Add(content.Headers, name, value);
                }

                continue;
            }

            Add(destination.Headers, name, value);
        }

        var forwarded = source.Headers[ForwardedFor];
        var remote = ClientAddress.Of(source.HttpContext);
        destination.Headers.TryAddWithoutValidation(
            ForwardedFor, StringValues.IsNullOrEmpty(forwarded) ? remote : forwarded.ToString() + ", " + remote);
        destination.Headers.TryAddWithoutValidation(ForwardedProto, source.Scheme);
        destination.Headers.TryAddWithoutValidation(ForwardedHost, source.Host.Value);
    }

    /// <summary>Copies the upstream's response headers to the client, minus hop-by-hop ones and those Kestrel owns.</summary>
    public static void CopyResponseHeaders(HttpResponseMessage source, HttpResponse destination)
    {
        var listing = ConnectionListing(source);
        var headers = destination.Headers;
        foreach (var header in source.Headers.NonValidated)
        {
            if (IsEndToEndResponseHeader(header.Key, listing))
            {
                headers[header.Key] = ToStringValues(header.Value);
            }
        }

        foreach (var header in source.Content.Headers.NonValidated)
        {
            headers[header.Key] = ToStringValues(header.Value);
        }
    }

    /// <summary>
    /// The headers <see cref="CopyResponseHeaders"/> would send, Content-Length aside, for replaying a stored answer.
    /// </summary>
    public static KeyValuePair<string, StringValues>[] SnapshotResponseHeaders(HttpResponseMessage source)
    {
        var listing = ConnectionListing(source);
        var snapshot = new List<KeyValuePair<string, StringValues>>();
        foreach (var header in source.Headers.NonValidated)
        {
            if (IsEndToEndResponseHeader(header.Key, listing))
            {
                snapshot.Add(new(header.Key, ToStringValues(header.Value)));
            }
        }

        foreach (var header in source.Content.Headers.NonValidated)
        {
            if (!header.Key.Equals(HeaderNames.ContentLength, StringComparison.OrdinalIgnoreCase))
            {
                snapshot.Add(new(header.Key, ToStringValues(header.Value)));
            }
        }

        return [.. snapshot];
    }

    /// <summary>The response's Connection value when it names headers to drop (beyond keep-alive and close), else null.</summary>
    private static string? ConnectionListing(HttpResponseMessage source) =>
        source.Headers.NonValidated.TryGetValues(HeaderNames.Connection, out var values) && values.ToString() is var connection
            && NamesOtherHeaders(connection)
            ? connection
            : null;

    private static bool IsEndToEndResponseHeader(string name, string? connectionListing) =>
        !HopByHop.Contains(name) && !ResponseOwned.Contains(name) && !(connectionListing is not null && IsListed(connectionListing, name));

    private static StringValues ToStringValues(HeaderStringValues values)
    {
        if (values.Count == 1)
        {
            return values.ToString();
        }

        var array = new string[values.Count];
        var i = 0;
        foreach (var value in values)
        {
            array[i++] = value;
        }

        return array;
    }

    private static void Add(HttpHeaders headers, string name, StringValues value)
    {
        if (value.Count == 1)
        {
            headers.TryAddWithoutValidation(name, value.ToString());
        }
        else
        {
            headers.TryAddWithoutValidation(name, (IEnumerable<string?>)value.ToArray());
        }
    }

    /// <summary>"keep-alive" and "close" are the usual Connection values; anything else names headers to drop.</summary>
    private static bool NamesOtherHeaders(StringValues connection)
    {
        foreach (var value in connection)
        {
            if (value is null)
            {
                continue;
            }

            foreach (var range in value.AsSpan().Split(','))
            {
                var token = value.AsSpan(range).Trim();
                if (token.Length > 0 && !token.Equals("keep-alive", StringComparison.OrdinalIgnoreCase)
                    && !token.Equals("close", StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool IsListed(StringValues connection, string name)
    {
        foreach (var value in connection)
        {
            if (value is null)
            {
                continue;
            }

            foreach (var range in value.AsSpan().Split(','))
            {
                if (value.AsSpan(range).Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
