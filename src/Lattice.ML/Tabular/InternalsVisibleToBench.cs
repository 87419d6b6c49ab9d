using System.Runtime.CompilerServices;

// The tabular benchmark compares the individual methods behind the public API (kept out of the csproj,
// which is shared with the text models).
[assembly: InternalsVisibleTo("Lattice.Bench.Tabular")]
