// The SIMT emulator itself: barriers, per-block shared memory, warp shuffles and votes, thread and
// block indices, dynamic shared memory, and the failures it must report. The race test proves the
// emulator is not vacuous: a kernel missing a __syncthreads() gives a wrong answer under it.
#include <doctest/doctest.h>

#include <numeric>
#include <stdexcept>
#include <vector>

#include "kernels/block_reduce.cuh"
#include "kernels/simt.cuh"

namespace {

constexpr int kReverseBlock = 128;

// out[block][i] = in[block][blockDim.x - 1 - i], staged through shared memory.
template <bool kSynchronise>
__global__ void reverse_each_block(const int* in, int* out) {
  __shared__ int staged[kReverseBlock];
  const unsigned base = blockIdx.x * blockDim.x;
  staged[threadIdx.x] = in[base + threadIdx.x];
  if (kSynchronise) __syncthreads();
  out[base + threadIdx.x] = staged[blockDim.x - 1 - threadIdx.x];
}

std::vector<int> reverse_blocks(bool synchronise, int blocks) {
  std::vector<int> in(blocks * kReverseBlock), out(in.size(), -1);
  std::iota(in.begin(), in.end(), 1);
  auto kernel = synchronise ? reverse_each_block<true> : reverse_each_block<false>;
  lethe::simt::launch(kernel, blocks, kReverseBlock, 0, in.data(), out.data());
  return out;
}

std::vector<int> reversed_reference(int blocks) {
  std::vector<int> expected(blocks * kReverseBlock);
  for (int b = 0; b < blocks; ++b) {
    for (int i = 0; i < kReverseBlock; ++i) {
      expected[b * kReverseBlock + i] = b * kReverseBlock + (kReverseBlock - 1 - i) + 1;
    }
  }
  return expected;
}

// Per lane, five warp-synchronous results: xor-butterfly sum, down-shuffle tree sum (lane 0
// holds the total), up-shuffle inclusive prefix sum, broadcast of lane 7, ballot of odd lanes.
__global__ void warp_intrinsics(int* results) {
  const int lane = threadIdx.x % 32;
  const int value = static_cast<int>(threadIdx.x) + 1;
  int butterfly = value, tree = value, prefix = value;
  for (int offset = 16; offset > 0; offset /= 2) {
    butterfly += __shfl_xor_sync(0xFFFFFFFFu, butterfly, offset);
    tree += __shfl_down_sync(0xFFFFFFFFu, tree, offset);
  }
  for (int offset = 1; offset < 32; offset *= 2) {
    const int below = __shfl_up_sync(0xFFFFFFFFu, prefix, offset);
    if (lane >= offset) prefix += below;
  }
  int* mine = results + threadIdx.x * 5;
  mine[0] = butterfly;
  mine[1] = tree;
  mine[2] = prefix;
  mine[3] = __shfl_sync(0xFFFFFFFFu, value, 7);
  mine[4] = static_cast<int>(__ballot_sync(0xFFFFFFFFu, lane % 2 == 1));
}

// out[block] = sum of in over the block's threads, through the shared block_sum.
__global__ void sum_per_block(const float* in, float* out) {
  const float total = lethe::kernels::block_sum(in[blockIdx.x * blockDim.x + threadIdx.x]);
  if (threadIdx.x == 0) out[blockIdx.x] = total;
}

// Writes each thread's flattened (thread, block) coordinates in a 3-D block and 2-D grid.
__global__ void record_indices(unsigned* out) {
  const unsigned thread = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
  const unsigned block = blockIdx.x + gridDim.x * blockIdx.y;
  const unsigned threads = blockDim.x * blockDim.y * blockDim.z;
  out[block * threads + thread] = block * 1000 + thread;
}

// Reverses each block through dynamic shared memory, after checking it arrives unwritten (NaN).
__global__ void reverse_through_dynamic_shared(const float* in, float* out, int* saw_nan) {
  LETHE_DYNAMIC_SHARED(float, staged);
  if (staged[threadIdx.x] != staged[threadIdx.x]) atomicAdd(saw_nan, 1);
  __syncthreads();
  staged[threadIdx.x] = in[blockIdx.x * blockDim.x + threadIdx.x];
  __syncthreads();
  out[blockIdx.x * blockDim.x + threadIdx.x] = staged[blockDim.x - 1 - threadIdx.x];
}

// Only lane 0 joins the shuffle: the other lanes exit, so it can never complete.
__global__ void lonely_shuffle(int* out) {
  if (threadIdx.x == 0) out[0] = __shfl_sync(0xFFFFFFFFu, 1, 5);
}

}  // namespace

TEST_CASE("cuda emulated: barriers make a block-wide exchange correct") {
  CHECK(reverse_blocks(true, 3) == reversed_reference(3));
}

TEST_CASE("cuda emulated: a missing __syncthreads() gives a wrong answer") {
  const std::vector<int> out = reverse_blocks(false, 3);
  const std::vector<int> expected = reversed_reference(3);
  int wrong = 0;
  for (size_t i = 0; i < out.size(); ++i) wrong += out[i] != expected[i];
  // Thread i reads slot 127 - i before thread 127 - i has written it whenever i < 64.
  CHECK(wrong >= 3 * kReverseBlock / 2);
}

TEST_CASE("cuda emulated: warp shuffles and ballots exchange between all lanes") {
  std::vector<int> results(64 * 5);
  lethe::simt::launch(warp_intrinsics, 1, 64, 0, results.data());
  for (int thread = 0; thread < 64; ++thread) {
    const int lane = thread % 32, warp_first = thread - lane + 1;
    const int warp_total = 32 * warp_first + 31 * 32 / 2;
    CAPTURE(thread);
    CHECK(results[thread * 5 + 0] == warp_total);
    if (lane == 0) CHECK(results[thread * 5 + 1] == warp_total);
    CHECK(results[thread * 5 + 2] == (lane + 1) * warp_first + lane * (lane + 1) / 2);
    CHECK(results[thread * 5 + 3] == warp_first + 7);
    CHECK(static_cast<unsigned>(results[thread * 5 + 4]) == 0xAAAAAAAAu);
  }
}

TEST_CASE("cuda emulated: block_sum over 1024-thread blocks") {
  const int threads = 1024, blocks = 3;
  std::vector<float> in(threads * blocks), out(blocks, -1.0f);
  for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<float>(i % 7);
  lethe::simt::launch(sum_per_block, blocks, threads, 0, in.data(), out.data());
  for (int b = 0; b < blocks; ++b) {
    double expected = 0;
    for (int i = 0; i < threads; ++i) expected += in[b * threads + i];
    CHECK(out[b] == doctest::Approx(expected));
  }
}

TEST_CASE("cuda emulated: thread and block indices in 3-D blocks and 2-D grids") {
  const dim3 grid(3, 2), block(4, 3, 2);
  std::vector<unsigned> out(6 * 24, 0);
  lethe::simt::launch(record_indices, grid, block, 0, out.data());
  for (unsigned i = 0; i < out.size(); ++i) CHECK(out[i] == (i / 24) * 1000 + i % 24);
}

TEST_CASE("cuda emulated: dynamic shared memory starts as NaN in every block") {
  const int threads = 64, blocks = 2;
  std::vector<float> in(threads * blocks), out(in.size());
  std::iota(in.begin(), in.end(), 0.0f);
  int saw_nan = 0;
  lethe::simt::launch(reverse_through_dynamic_shared, blocks, threads, threads * sizeof(float),
                      in.data(), out.data(), &saw_nan);
  CHECK(saw_nan == threads * blocks);
  for (int i = 0; i < threads * blocks; ++i) {
    CHECK(out[i] == in[(i / threads) * threads + threads - 1 - i % threads]);
  }
}

TEST_CASE("cuda emulated: a shuffle that other lanes never reach is reported as a deadlock") {
  int out = 0;
  CHECK_THROWS_AS(lethe::simt::launch(lonely_shuffle, 1, 32, 0, &out), std::runtime_error);
  // The emulator is usable again after the failure.
  CHECK(reverse_blocks(true, 1) == reversed_reference(1));
}

TEST_CASE("cuda emulated: launches beyond a GPU's grid and shared-memory limits are refused") {
  std::vector<unsigned> out(4);
  CHECK_THROWS_WITH_AS(lethe::simt::launch(record_indices, dim3(1, 65536), dim3(1), 0, out.data()),
                       doctest::Contains("65535 blocks"), std::runtime_error);
  CHECK_THROWS_WITH_AS(
      lethe::simt::launch(record_indices, dim3(1), dim3(1), 48 * 1024 + 4, out.data()),
      doctest::Contains("48 KiB"), std::runtime_error);
  lethe::simt::launch(record_indices, dim3(1), dim3(1), 48 * 1024, out.data());
  CHECK(out[0] == 0);
}
