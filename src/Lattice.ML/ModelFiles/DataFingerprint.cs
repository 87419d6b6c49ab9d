using System.Security.Cryptography;
using System.Text;

namespace Lattice.ML.ModelFiles;

/// <summary>Builds a content fingerprint (<c>sha256:…</c>) of training data, independent of file paths.</summary>
/// <remarks>Two models trained on the same examples in the same order get the same fingerprint.</remarks>
public sealed class DataFingerprint : IDisposable
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly byte[] _separator = [0x1F];

    /// <summary>Adds one field (e.g. a label or a text) to the fingerprint.</summary>
    public void Add(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        _hash.AppendData(Encoding.UTF8.GetBytes(value));
        _hash.AppendData(_separator);
    }

    /// <summary>Returns the fingerprint as <c>sha256:</c> followed by lower-case hex.</summary>
    public string Finish() => "sha256:" + Convert.ToHexStringLower(_hash.GetHashAndReset());

    public void Dispose() => _hash.Dispose();
}
