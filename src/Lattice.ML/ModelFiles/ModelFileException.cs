namespace Lattice.ML.ModelFiles;

/// <summary>Why a model file was refused.</summary>
public enum ModelFileError
{
    /// <summary>The file does not start with the Lattice model magic bytes.</summary>
    NotAModelFile,

    /// <summary>The file was written by a newer format version than this reader supports.</summary>
    UnsupportedVersion,

    /// <summary>The file is shorter than its header says (an interrupted copy or download).</summary>
    Truncated,

    /// <summary>The content does not match its checksum (bit rot or tampering).</summary>
    ChecksumMismatch,

    /// <summary>The structure is inconsistent (bad section table, metadata or section types).</summary>
    Malformed,

    /// <summary>A required section or metadata field is missing.</summary>
    MissingContent,
}

/// <summary>Thrown when a model file cannot be loaded; the message says why and which file.</summary>
public sealed class ModelFileException : Exception
{
    public ModelFileException(ModelFileError error, string message)
        : base(message) => Error = error;

    public ModelFileException(ModelFileError error, string message, Exception innerException)
        : base(message, innerException) => Error = error;

    /// <summary>The category of the problem, for callers that map it to a status or a metric.</summary>
    public ModelFileError Error { get; }
}
