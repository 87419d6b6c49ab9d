using Microsoft.Net.Http.Headers;

namespace Lattice.ServiceDefaults.Json;

/// <summary>
/// The charset a request's <c>Content-Type</c> declares for a JSON body. Lattice reads bodies as UTF-8 (RFC 8259 §8.1),
/// so a body declared in another charset (<c>application/json; charset=utf-16</c>) is refused as an unsupported media
/// type (415) rather than parsed as UTF-8 and refused as malformed JSON (400).
/// </summary>
public static class JsonCharset
{
    /// <summary>
    /// True unless <paramref name="contentType"/> declares a charset other than UTF-8 (<c>utf-8</c>, or <c>utf8</c> as some clients write it) or US-ASCII (a subset of it),
    /// compared case-insensitively, quoted or not. No Content-Type, or one without a charset, is read as UTF-8.
    /// </summary>
    public static bool IsUtf8(string? contentType, out string? charset)
    {
        charset = null;
        // The common answers without parsing (a model service reads a body per request): no charset at all, or utf-8.
        if (string.IsNullOrEmpty(contentType)
            || !contentType.Contains("charset", StringComparison.OrdinalIgnoreCase)
            || contentType.Equals("application/json; charset=utf-8", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (!MediaTypeHeaderValue.TryParse(contentType, out var mediaType))
        {
            return true; // no charset can be read from it; the body is read as UTF-8, as without a Content-Type
        }

        var declared = HeaderUtilities.RemoveQuotes(mediaType.Charset).Trim();
        if (declared.Length == 0
            || declared.Equals("utf-8", StringComparison.OrdinalIgnoreCase)
            || declared.Equals("utf8", StringComparison.OrdinalIgnoreCase) // not registered, but sent by clients; a UTF-8 label in the WHATWG Encoding Standard
            || declared.Equals("us-ascii", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        charset = declared.ToString();
        return false;
    }

    /// <summary>The 415 detail for a body declared in <paramref name="charset"/>.</summary>
    public static string NotUtf8(string charset) =>
        $"Only UTF-8 JSON is accepted; the Content-Type declares charset '{charset}'. Send the body in UTF-8 (charset=utf-8, or no charset).";
}
