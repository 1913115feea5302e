// The indexing launchers built against the SIMT emulator (Target::emulated); nvcc builds the
// same source for the GPU.
#include "../indexing.cu"
