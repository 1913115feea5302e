// Which instruction set the CPU kernels run: every *_avx512.cpp / *_avx2.cpp kernel is entered
// only after these checks.
#pragma once

namespace lethe::cpu {

// Best instruction set this CPU offers to the kernels: "avx512" (F, DQ, VL, BW and FMA), "avx2"
// (AVX2 and FMA) or "portable".
const char* cpu_isa_name();

// cpu_isa_name() is "avx512": the kernels with an AVX-512 version run it.
bool cpu_runs_avx512();

// Whether this CPU runs code built for `isa` ("avx512", "avx512bf16": AVX-512 with the bf16
// dot products, "avx2" or "portable"); false for other names.
bool cpu_supports_isa(const char* isa);

}  // namespace lethe::cpu
