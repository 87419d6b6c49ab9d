using System.Runtime.CompilerServices;
using Lattice.ML.Classification;

namespace Lattice.ML.Text;

/// <summary>Maps hash buckets seen in training to dense weight rows, and turns bucket occurrences into a
/// weighted, normalised sparse vector.</summary>
/// <remarks>
/// Only buckets that occur in the training data get a row, so a model with 2^20 buckets stores
/// weights for the few hundred thousand that matter. Buckets without a row are ignored at inference
/// (the model has nothing to say about them) and do not count towards the vector norm, exactly as in
/// training.
/// </remarks>
internal sealed class FeatureSpace
{
    // Row + 1 per bucket, 0 = no row: a fresh array is already all "absent", so loading needs no fill pass.
    private readonly int[] _rowOfBucket;
    private readonly int[] _bucketOfRow;
    private readonly float[]? _idf;
    private readonly TermWeighting _weighting;
    private readonly VectorNormalization _normalization;

    public FeatureSpace(int buckets, int[] bucketOfRow, float[]? idf, TermWeighting weighting, VectorNormalization normalization)
    {
        ArgumentNullException.ThrowIfNull(bucketOfRow);
        if (idf is not null && idf.Length != bucketOfRow.Length)
        {
            throw new ArgumentException("IDF needs one value per row.", nameof(idf));
        }

        _bucketOfRow = bucketOfRow;
        _idf = idf;
        _weighting = weighting;
        _normalization = normalization;
        _rowOfBucket = new int[buckets];
        for (var row = 0; row < bucketOfRow.Length; row++)
        {
            var bucket = bucketOfRow[row];
            if ((uint)bucket >= (uint)buckets || _rowOfBucket[bucket] != 0)
            {
                throw new ArgumentException($"Bucket {bucket} is out of range or listed twice.", nameof(bucketOfRow));
            }

            _rowOfBucket[bucket] = row + 1;
        }
    }

    public int RowCount => _bucketOfRow.Length;

    public int Buckets => _rowOfBucket.Length;

    public ReadOnlySpan<int> BucketOfRow => _bucketOfRow;

    public ReadOnlySpan<float> Idf => _idf;

    public bool HasIdf => _idf is not null;

    /// <summary>Builds <see cref="FeatureScratch.Rows"/>/<see cref="FeatureScratch.Values"/> from <see cref="FeatureScratch.Buckets"/>:
    /// known rows only, de-duplicated, weighted and normalised.</summary>
    public void Encode(FeatureScratch scratch, bool rawCounts = false)
    {
        if (!rawCounts && _weighting == TermWeighting.Count && _idf is null && _normalization != VectorNormalization.L2)
        {
            // A linear model sums repeated rows anyway, so skip de-duplication: one row per occurrence.
            EncodeOccurrences(scratch);
            return;
        }

        // Pass 1 gathers the row of every occurrence: independent loads the CPU overlaps (the bucket
        // table is megabytes, so each is a cache miss). Pass 2 de-duplicates in cache-resident memory.
        var length = Gather(scratch);
        var tableSize = (int)Math.Max(16, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, length) * 2));
        if (scratch.Table.Length < tableSize)
        {
            scratch.Table = new FeatureScratch.TableEntry[tableSize];
            scratch.Generation = 0;
        }

        if (++scratch.Generation == int.MaxValue)
        {
            Array.Clear(scratch.Table);
            scratch.Generation = 1;
        }

        var generation = scratch.Generation;
        var table = scratch.Table;
        var mask = tableSize - 1;
        var rows = scratch.Rows;
        var values = scratch.Values;
        var distinct = 0;
        for (var i = 0; i < length; i++)
        {
            var row = rows[i];
            var probe = (int)(((uint)row * 0x9E3779B1u) >> 8) & mask;
            while (true)
            {
                ref var entry = ref table[probe];
                if (entry.Stamp != generation)
                {
                    entry.Stamp = generation;
                    entry.Row = row;
                    entry.Index = distinct;
                    rows[distinct] = row; // distinct <= i: compacting in place is safe
                    values[distinct] = 1f;
                    distinct++;
                    break;
                }

                if (entry.Row == row)
                {
                    values[entry.Index] += 1f;
                    break;
                }

                probe = (probe + 1) & mask;
            }
        }

        scratch.Length = distinct;
        if (!rawCounts)
        {
            ApplyWeighting(rows.AsSpan(0, distinct), values.AsSpan(0, distinct));
        }
    }

    /// <summary>Writes the row of every occurrence with a row into <see cref="FeatureScratch.Rows"/>; returns how many.</summary>
    private int Gather(FeatureScratch scratch)
    {
        var buckets = scratch.Buckets.AsSpan(0, scratch.BucketCount);
        FeatureScratch.Ensure(ref scratch.Rows, buckets.Length);
        FeatureScratch.Ensure(ref scratch.Values, buckets.Length);
        var rows = scratch.Rows;
        var rowOfBucket = _rowOfBucket;
        var length = 0;
        foreach (var bucket in buckets)
        {
            var row = rowOfBucket[bucket] - 1;
            rows[length] = row;
            length += row >= 0 ? 1 : 0;
        }

        return length;
    }

    private void EncodeOccurrences(FeatureScratch scratch)
    {
        var length = Gather(scratch);
        scratch.Values.AsSpan(0, length).Fill(_normalization == VectorNormalization.L1 && length > 0 ? 1f / length : 1f);
        scratch.Length = length;
    }

    /// <summary>Turns counts into the configured term weights, times IDF, then normalises.</summary>
    public void ApplyWeighting(ReadOnlySpan<int> rows, Span<float> values)
    {
        switch (_weighting)
        {
            case TermWeighting.Binary:
                values.Fill(1f);
                break;
            case TermWeighting.Sublinear:
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = 1f + MathF.Log(values[i]);
                }

                break;
        }

        if (_idf is not null)
        {
            for (var i = 0; i < values.Length; i++)
            {
                values[i] *= _idf[rows[i]];
            }
        }

        Normalize(values, _normalization);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Normalize(Span<float> values, VectorNormalization normalization)
    {
        if (values.IsEmpty || normalization == VectorNormalization.None)
        {
            return;
        }

        var norm = normalization == VectorNormalization.L1 ? VectorMath.SumOfMagnitudes(values) : VectorMath.Norm(values);
        if (norm > 0f)
        {
            VectorMath.Scale(values, 1f / norm);
        }
    }
}
