// Compiled with -march=sapphirerapids: reports that this translation unit's ISA is present.
namespace pds {
bool avx512UnitLinked() { return true; }
}  // namespace pds
