using System.ComponentModel.DataAnnotations;

namespace Lattice.Gateway.Caching;

/// <summary>The response cache for repeat predictions (section <c>Lattice:Gateway:Cache</c>); routes opt in with <c>Cache: true</c>.</summary>
public sealed class ResponseCacheOptions
{
    public const string SectionName = "Lattice:Gateway:Cache";

    /// <summary>Entries kept at most; the oldest go first.</summary>
    [Range(1, 10_000_000)]
    public int MaxEntries { get; set; } = 10_000;

    /// <summary>Bytes of cached bodies kept at most.</summary>
    [Range(1024, long.MaxValue)]
    public long MaxBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Largest response body cached.</summary>
    [Range(1, 64 * 1024 * 1024)]
    public int MaxEntryBytes { get; set; } = 256 * 1024;

    /// <summary>
    /// Largest request body considered; a larger request passes through uncached (and unbuffered). At most 512 KB:
    /// the body is examined in Kestrel's request buffer (1 MB) before anything is consumed.
    /// </summary>
    [Range(0, 512 * 1024)]
    public int MaxRequestBodyBytes { get; set; } = 64 * 1024;

    /// <summary>Freshness of an entry, unless the route sets its own.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "7.00:00:00")]
    public TimeSpan Ttl { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Request headers whose values are part of the key, because an answer may depend on them: content negotiation, how
    /// the body's bytes are to be read (the key hashes them as sent, so the same bytes under another Content-Encoding are
    /// another request) and the sticky A/B key of the model server's traffic policy. An answer whose <c>Vary</c> names
    /// any other header is not stored. Configured entries are added to these.
    /// </summary>
    public IList<string> VaryHeaders { get; } = ["Accept", "Content-Type", "Content-Encoding", "X-Lattice-Route-Key"];

    /// <summary>
    /// A request carrying any of these headers is forwarded uncached (<c>Cache-Status: lattice; fwd=bypass</c>).
    /// Lattice services echo <c>X-Request-Id</c> in their answer: a stored answer would carry another request's id,
    /// and keying by it would fill the cache with entries no later request hits. Configured entries are added to these.
    /// </summary>
    public IList<string> BypassHeaders { get; } = ["X-Request-Id"];

    /// <summary>Response header in which a service reports the model version that answered; an entry serves only that version.</summary>
    [Required]
    public string ModelVersionHeader { get; set; } = "X-Model-Version";
}
