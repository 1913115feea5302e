// The reduce launchers built against the SIMT emulator (Target::emulated); nvcc builds the
// same source for the GPU.
#include "../reduce.cu"
