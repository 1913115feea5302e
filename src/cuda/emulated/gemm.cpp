// The gemm launchers built against the SIMT emulator (Target::emulated); nvcc builds the
// same source for the GPU.
#include "../gemm.cu"
