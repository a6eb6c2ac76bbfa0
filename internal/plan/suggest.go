package plan

// EditDistance is the number of single-character insertions, deletions,
// substitutions and swaps of neighbours that turn a into b: the measure
// behind every "did you mean" of the loader, for the command line's own.
func EditDistance(a, b string) int { return osaDistance(a, b) }
