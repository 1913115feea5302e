// Threads per block of every kernel in kernels/*.cu, by the kernel's unqualified name. The ptxas
// report (registers, spills, shared memory) does not record block sizes, and `lethe audit` needs
// them for theoretical occupancy; every launcher static_asserts its block size against this table,
// so a launch that changes its block size without changing the table does not compile.
#pragma once
#include <string_view>

namespace lethe::cuda {

struct KernelBlock {
  std::string_view kernel;
  int threads;
};

inline constexpr KernelBlock kKernelBlocks[] = {
    {"sgemm_kernel", 256},
    {"conv2d_forward_kernel", 256},
    {"conv2d_backward_data_kernel", 256},
    {"conv2d_backward_weight_kernel", 256},
    {"sum_partials_kernel", 256},
    {"bias_gradient_kernel", 256},
    {"unary_forward_kernel", 256},
    {"unary_backward_kernel", 256},
    {"binary_same_shape_kernel", 256},
    {"binary_broadcast_kernel", 256},
    {"binary_trailing_broadcast_kernel", 256},
    {"bias_silu_kernel", 256},
    {"group_norm_forward_kernel", 256},
    {"group_norm_forward_held_kernel", 256},
    {"group_norm_backward_input_held_kernel", 256},
    {"group_norm_backward_input_kernel", 256},
    {"group_norm_plane_sums_kernel", 256},
    {"group_norm_params_from_sums_kernel", 256},
    {"adam_kernel", 256},
    {"sgd_kernel", 256},
    {"ema_kernel", 256},
    {"squared_norm_kernel", 256},
    {"scale_kernel", 256},
    {"clamp_kernel", 256},
    {"gather_rows_kernel", 256},
    {"scatter_add_rows_kernel", 256},
    {"gather_columns_kernel", 256},
    {"scatter_columns_kernel", 256},
    {"upsample_nearest2x_forward_kernel", 256},
    {"upsample_nearest2x_backward_kernel", 256},
    {"copy_blocks_kernel", 256},
    {"philox_uniform_kernel", 256},
    {"philox_bernoulli_kernel", 256},
    {"philox_randint_kernel", 256},
    {"sum_to_shape_kernel", 256},
    {"sum_rows_kernel", 256},
    {"squared_error_partials_kernel", 256},
    {"scaled_sum_kernel", 256},
    {"squared_error_backward_kernel", 256},
    {"softmax_forward_kernel", 256},
    {"softmax_backward_kernel", 256},
    {"attention_forward_kernel", 256},
    {"attention_backward_rows_kernel", 256},
    {"attention_backward_columns_kernel", 256},
    {"fma_peak_kernel", 256},
    {"tf32_peak_kernel", 256},
    {"copy_bandwidth_kernel", 256},
};

// Threads per block of `kernel`, or 0 when the table does not list it.
constexpr int block_threads_of(std::string_view kernel) {
  for (const KernelBlock& entry : kKernelBlocks) {
    if (entry.kernel == kernel) return entry.threads;
  }
  return 0;
}

}  // namespace lethe::cuda
