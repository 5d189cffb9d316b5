// Compiled with -mavx2 -mfma: reports that this translation unit's ISA is present.
namespace pds {
bool avx2UnitLinked() { return true; }
}  // namespace pds
