// The squared-error (DSM loss) launchers built against the SIMT emulator (Target::emulated); nvcc
// builds the same source for the GPU.
#include "../squared_error.cu"
