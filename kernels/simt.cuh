// The single front for device code: included by every kernels/*.cu, it provides the CUDA language
// either from nvcc or from the host-side SIMT emulator, and one launch function whose call site is
// the same for both. Device code lives in namespace lethe::kernels inside the inline namespace
// LETHE_SIMT_TARGET, so the emulated and native copies of a kernel never share a symbol. Loops to
// unroll are marked LETHE_UNROLL (nvcc's #pragma unroll; nothing on the host). The tensor-core API
// nvcuda::wmma comes from <mma.h> or from kernels/simt_wmma_emulator.h.
#pragma once
#include <cstddef>

#include "lethe/core/error.h"
#include "lethe/cuda/target.h"

#ifdef __CUDACC__
#include <cuda_runtime.h>
#include <mma.h>
#define LETHE_SIMT_TARGET native
#define LETHE_DYNAMIC_SHARED(type, name) extern __shared__ type name[]
#define LETHE_UNROLL _Pragma("unroll")
#else
#include "kernels/simt_emulator.h"
#include "kernels/simt_wmma_emulator.h"
#define LETHE_SIMT_TARGET emulated
#endif

namespace lethe::simt {
inline namespace LETHE_SIMT_TARGET {

constexpr cuda::Target kTarget = cuda::Target::LETHE_SIMT_TARGET;

// Number of blocks of `block` items that cover `count` items.
inline unsigned blocks_for(long long count, unsigned block) {
  return static_cast<unsigned>((count + block - 1) / block);
}

// Launches kernel over grid x block with dynamic_shared_bytes of dynamic shared memory; `args` are
// converted to the kernel's parameter types. Native launches go to the default stream and are
// checked for launch errors; emulated launches run to completion before returning.
template <class... Params, class... Args>
void launch(void (*kernel)(Params...), dim3 grid, dim3 block, size_t dynamic_shared_bytes,
            const Args&... args) {
  if (grid.x == 0 || grid.y == 0 || grid.z == 0) return;
#ifdef __CUDACC__
  kernel<<<grid, block, dynamic_shared_bytes>>>(static_cast<Params>(args)...);
  const cudaError_t status = cudaGetLastError();
  if (status != cudaSuccess) fail("CUDA error in kernel launch: ", cudaGetErrorString(status));
#else
  auto body = [&] { kernel(static_cast<Params>(args)...); };
  detail::run_grid(grid, block, dynamic_shared_bytes, body);
#endif
}

}  // namespace LETHE_SIMT_TARGET
}  // namespace lethe::simt
