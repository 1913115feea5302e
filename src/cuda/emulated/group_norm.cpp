// The group_norm launchers built against the SIMT emulator (Target::emulated); nvcc builds
// the same source for the GPU.
#include "../group_norm.cu"
