// The softmax launchers built against the SIMT emulator (Target::emulated); nvcc builds the
// same source for the GPU.
#include "../softmax.cu"
