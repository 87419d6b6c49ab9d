namespace Lattice.ML.Text;

/// <summary>Per-thread working memory for featurisation and scoring; grows to the largest input seen, then stays.</summary>
/// <remarks>Input length is capped by <see cref="TextFeaturizerOptions.MaxInputChars"/>, so growth is bounded.</remarks>
internal sealed class FeatureScratch
{
    public char[] Text = new char[512];
    public int[] TokenStart = new int[128];
    public int[] TokenLength = new int[128];
    public uint[] TokenHash = new uint[128];
    public bool[] TokenIsWord = new bool[128];
    public int TokenCount;

    /// <summary>Hash bucket of every feature occurrence, in text order.</summary>
    public int[] Buckets = new int[2048];
    public int BucketCount;

    /// <summary>The sparse vector: distinct rows and their values.</summary>
    public int[] Rows = new int[2048];
    public float[] Values = new float[2048];
    public int Length;

    // Open-addressing table that de-duplicates rows in O(n); an entry is valid when its stamp equals
    // Generation, so the table never needs clearing between texts.
    public TableEntry[] Table = new TableEntry[4096];
    public int Generation;

    public float[] Scores = new float[64];

    public static void Ensure<T>(ref T[] array, int length)
    {
        if (array.Length < length)
        {
            Array.Resize(ref array, (int)Math.Min(Array.MaxLength, Math.Max(length, 2L * array.Length)));
        }
    }

    public struct TableEntry
    {
        public int Stamp;
        public int Row;
        public int Index;
    }

    public void EnsureTokens(int count)
    {
        if (TokenStart.Length < count)
        {
            Ensure(ref TokenStart, count);
            Ensure(ref TokenLength, count);
            Ensure(ref TokenHash, count);
            Ensure(ref TokenIsWord, count);
        }
    }
}
