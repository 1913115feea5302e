// A SIMT emulator that runs CUDA device code on the host, so that kernels/*.cu can be compiled by
// the host compiler and tested without a GPU.
//
// Blocks run in turn on the calling thread. The threads of a block run as fibers with small stacks;
// a fiber runs until it reaches a barrier (__syncthreads) or a warp-synchronous intrinsic
// (__shfl_*_sync, __ballot_sync, __syncwarp), and the fibers are resumed round-robin in thread
// order. A shuffle exchanges values only once every lane named in its mask has arrived, so warp
// code is checked for real, and a missing __syncthreads() shows up as a wrong answer: thread 0 runs
// to its next barrier before thread 1 starts. `__shared__` variables become `static thread_local`:
// one copy per host thread, which is one copy per block because blocks never overlap. A barrier
// that some live thread never reaches is reported as a deadlock.
//
// Launches are checked against a GPU's limits: at most 1024 threads per block, 65535 blocks along
// grid y and z, and 48 KiB of dynamic shared memory (more needs an opt-in the launchers never
// make).
//
// Limits: the threads of a warp must pass the same mask to a warp intrinsic; exited threads do not
// count at __syncthreads (as on current GPUs).
#pragma once
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#if !defined(__x86_64__) || defined(LETHE_SIMT_UCONTEXT)
#include <ucontext.h>
#define LETHE_SIMT_USE_UCONTEXT 1
#endif

// ---- CUDA vocabulary --------------------------------------------------------------------------

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define LETHE_UNROLL
#define __shared__ static thread_local
#define LETHE_DYNAMIC_SHARED(type, name) \
  type* name = static_cast<type*>(::lethe::simt::detail::dynamic_shared_memory())

struct uint3 {
  unsigned x, y, z;
};
struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
struct alignas(16) float4 {
  float x, y, z, w;
};
inline float4 make_float4(float x, float y, float z, float w) {
  return {x, y, z, w};
}

constexpr int warpSize = 32;

namespace lethe::simt::detail {

constexpr int kWarpSize = 32;
constexpr size_t kFiberStackBytes = 64 * 1024;
constexpr unsigned kMaxBlockThreads = 1024;
constexpr unsigned kMaxGridYZ = 65535;
constexpr size_t kMaxDefaultDynamicShared = 48 * 1024;

// ---- context switching -------------------------------------------------------------------------

using FiberMain = void (*)(void* argument);

#ifndef LETHE_SIMT_USE_UCONTEXT
// Saves the callee-saved registers, MXCSR and the x87 control word on the current stack, stores
// the stack pointer in *save_sp, and resumes the context saved at load_sp.
extern "C" void lethe_simt_switch_context(void** save_sp, void* load_sp);
// First code a new fiber runs: calls r13(r12) and never returns.
extern "C" void lethe_simt_fiber_trampoline();
asm(R"(
  .pushsection .text
  .weak lethe_simt_switch_context
  .type lethe_simt_switch_context, @function
lethe_simt_switch_context:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size lethe_simt_switch_context, .-lethe_simt_switch_context
  .weak lethe_simt_fiber_trampoline
  .type lethe_simt_fiber_trampoline, @function
lethe_simt_fiber_trampoline:
  movq %r12, %rdi
  callq *%r13
  ud2
  .size lethe_simt_fiber_trampoline, .-lethe_simt_fiber_trampoline
  .popsection
)");

class FiberContext {
 public:
  // Prepares a context that starts main(argument) on [stack, stack + bytes).
  void prepare(char* stack, size_t bytes, FiberMain main, void* argument) {
    uintptr_t top = (reinterpret_cast<uintptr_t>(stack) + bytes) & ~uintptr_t(15);
    void** frame = reinterpret_cast<void**>(top) - 2;  // rsp is 16-aligned after the final ret
    *--frame = reinterpret_cast<void*>(&lethe_simt_fiber_trampoline);
    *--frame = nullptr;                            // rbp
    *--frame = nullptr;                            // rbx
    *--frame = argument;                           // r12
    *--frame = reinterpret_cast<void*>(main);      // r13
    *--frame = nullptr;                            // r14
    *--frame = nullptr;                            // r15
    const uint32_t control[2] = {0x1F80, 0x037F};  // default MXCSR and x87 control word
    std::memcpy(--frame, control, sizeof control);
    stack_pointer_ = frame;
  }
  // Saves the running context into *this and resumes `next`.
  void switch_to(FiberContext& next) {
    lethe_simt_switch_context(&stack_pointer_, next.stack_pointer_);
  }

 private:
  void* stack_pointer_ = nullptr;
};
#else
class FiberContext {
 public:
  void prepare(char* stack, size_t bytes, FiberMain main, void* argument) {
    getcontext(&context_);
    context_.uc_stack.ss_sp = stack;
    context_.uc_stack.ss_size = bytes;
    context_.uc_link = nullptr;
    main_ = main;
    argument_ = argument;
    makecontext(&context_, reinterpret_cast<void (*)()>(&start), 1, this);
  }
  void switch_to(FiberContext& next) { swapcontext(&context_, &next.context_); }

 private:
  static void start(FiberContext* self) { self->main_(self->argument_); }
  ucontext_t context_;
  FiberMain main_ = nullptr;
  void* argument_ = nullptr;
};
#endif

// Fiber stacks for up to kMaxBlockThreads threads, each with an inaccessible guard page below it
// so that an overflow faults instead of corrupting its neighbour.
class StackPool {
 public:
  StackPool() {
    page_ = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    stride_ = kFiberStackBytes + page_;
    bytes_ = stride_ * kMaxBlockThreads;
    void* memory =
        mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) throw std::runtime_error("simt emulator: cannot map fiber stacks");
    base_ = static_cast<char*>(memory);
    for (unsigned i = 0; i < kMaxBlockThreads; ++i) mprotect(base_ + i * stride_, page_, PROT_NONE);
  }
  ~StackPool() { munmap(base_, bytes_); }
  StackPool(const StackPool&) = delete;
  StackPool& operator=(const StackPool&) = delete;
  char* stack(unsigned thread) const { return base_ + thread * stride_ + page_; }

 private:
  char* base_ = nullptr;
  size_t page_ = 0, stride_ = 0, bytes_ = 0;
};

// ---- the block scheduler -----------------------------------------------------------------------

enum class FiberState { runnable, waiting_block, waiting_warp, finished };

struct Fiber {
  FiberContext context;
  uint3 thread_index;
  unsigned linear_index;
  FiberState state;
  uint64_t awaited_generation;  // the barrier generation it waits to see pass
};

// Per-warp rendezvous: lanes deposit a payload, and once every lane of the mask has arrived the
// generation advances and each lane reads the payloads. Two slot sets alternate by generation, so
// a lane that runs ahead to the next exchange never overwrites values still being read.
struct WarpRendezvous {
  uint32_t arrived = 0;
  uint64_t generation = 0;
  uint64_t slots[2][kWarpSize] = {};
};

class BlockScheduler {
 public:
  // Runs body(context) once per thread of the block, as fibers, until every thread has returned.
  void run_block(dim3 block_dim, uint3 block_index, void (*body)(void*), void* context) {
    block_dim_ = block_dim;
    block_index_ = block_index;
    body_ = body;
    body_context_ = context;
    const unsigned count = block_dim.x * block_dim.y * block_dim.z;
    fibers_.resize(count);
    warps_.assign((count + kWarpSize - 1) / kWarpSize, WarpRendezvous{});
    for (unsigned i = 0; i < count; ++i) {
      Fiber& fiber = fibers_[i];
      fiber.thread_index = {i % block_dim.x, (i / block_dim.x) % block_dim.y,
                            i / (block_dim.x * block_dim.y)};
      fiber.linear_index = i;
      fiber.state = FiberState::runnable;
      fiber.context.prepare(stacks_.stack(i), kFiberStackBytes, &fiber_main, this);
    }
    live_threads_ = count;
    block_arrivals_ = 0;
    block_generation_ = 0;
    schedule();
  }

  const Fiber& current() const { return *current_; }
  dim3 block_dim() const { return block_dim_; }
  uint3 block_index() const { return block_index_; }

  void sync_threads() {
    const uint64_t generation = block_generation_;
    if (++block_arrivals_ == live_threads_) {
      release_block_barrier();
      return;
    }
    wait(FiberState::waiting_block, generation);
  }

  // Deposits `payload` for the warp and returns the payloads of all lanes once every lane in `mask`
  // has arrived. The returned slots stay valid until this lane's next warp-synchronous call.
  const uint64_t* warp_exchange(uint32_t mask, uint64_t payload) {
    const unsigned lane = current_->linear_index % kWarpSize;
    WarpRendezvous& warp = warps_[current_->linear_index / kWarpSize];
    check_warp_mask(mask, lane);
    const uint64_t generation = warp.generation;
    uint64_t* slots = warp.slots[generation & 1];
    slots[lane] = payload;
    warp.arrived |= 1u << lane;
    if ((warp.arrived & mask) == mask) {
      warp.arrived &= ~mask;
      ++warp.generation;
    } else {
      wait(FiberState::waiting_warp, generation);
    }
    return slots;
  }

 private:
  static void fiber_main(void* argument) {
    auto& self = *static_cast<BlockScheduler*>(argument);
    try {
      self.body_(self.body_context_);
    } catch (...) {
      self.failure_ = std::current_exception();
    }
    self.current_->state = FiberState::finished;
    --self.live_threads_;
    if (self.block_arrivals_ > 0 && self.block_arrivals_ == self.live_threads_) {
      self.release_block_barrier();
    }
    self.current_->context.switch_to(self.scheduler_context_);
  }

  void release_block_barrier() {
    block_arrivals_ = 0;
    ++block_generation_;
  }

  void wait(FiberState state, uint64_t generation) {
    current_->state = state;
    current_->awaited_generation = generation;
    current_->context.switch_to(scheduler_context_);
  }

  bool can_resume(const Fiber& fiber) const {
    switch (fiber.state) {
      case FiberState::runnable:
        return true;
      case FiberState::waiting_block:
        return block_generation_ != fiber.awaited_generation;
      case FiberState::waiting_warp:
        return warps_[fiber.linear_index / kWarpSize].generation != fiber.awaited_generation;
      case FiberState::finished:
        return false;
    }
    return false;
  }

  // Resumes the fibers round-robin in thread order until all have finished.
  void schedule() {
    while (live_threads_ > 0) {
      bool progressed = false;
      for (Fiber& fiber : fibers_) {
        if (!can_resume(fiber)) continue;
        fiber.state = FiberState::runnable;
        current_ = &fiber;
        scheduler_context_.switch_to(fiber.context);
        progressed = true;
        if (failure_) std::rethrow_exception(std::exchange(failure_, nullptr));
      }
      if (!progressed) {
        throw std::runtime_error(
            "simt emulator: deadlock in block (" + std::to_string(block_index_.x) + ", " +
            std::to_string(block_index_.y) + ", " + std::to_string(block_index_.z) +
            "): a barrier or warp intrinsic that some thread never reaches");
      }
    }
  }

  void check_warp_mask(uint32_t mask, unsigned lane) const {
    const unsigned first = current_->linear_index - lane;
    const unsigned lanes =
        std::min<unsigned>(kWarpSize, static_cast<unsigned>(fibers_.size()) - first);
    const uint32_t present = lanes == kWarpSize ? ~0u : (1u << lanes) - 1;
    if ((mask & ~present) != 0 || (mask & (1u << lane)) == 0) {
      throw std::runtime_error(
          "simt emulator: warp intrinsic mask names a missing lane or omits "
          "the calling lane");
    }
  }

  StackPool stacks_;
  std::vector<Fiber> fibers_;
  std::vector<WarpRendezvous> warps_;
  FiberContext scheduler_context_;
  Fiber* current_ = nullptr;
  dim3 block_dim_;
  uint3 block_index_{0, 0, 0};
  void (*body_)(void*) = nullptr;
  void* body_context_ = nullptr;
  unsigned live_threads_ = 0;
  unsigned block_arrivals_ = 0;
  uint64_t block_generation_ = 0;
  std::exception_ptr failure_;
};

// The state of the launch running on this host thread.
struct LaunchState {
  BlockScheduler* scheduler = nullptr;
  dim3 grid_dim;
  std::vector<unsigned char> dynamic_shared;
};

inline thread_local LaunchState launch_state;

inline BlockScheduler& scheduler() {
  return *launch_state.scheduler;
}
inline void* dynamic_shared_memory() {
  return launch_state.dynamic_shared.data();
}

// The scheduler (with its fiber stacks) of the calling host thread, shared by every kernel: each
// pool holds kMaxBlockThreads guard-page mappings, so one per kernel would exhaust the process's
// limit on memory mappings (vm.max_map_count) once a few dozen kernels have run.
inline BlockScheduler& thread_block_scheduler() {
  static thread_local BlockScheduler block_scheduler;
  return block_scheduler;
}

// Runs body() as every thread of every block of the grid. Dynamic shared memory is filled with
// 0xFF bytes (NaN as float) before each block, so reading it before writing it shows.
template <class Body>
void run_grid(dim3 grid, dim3 block, size_t dynamic_shared_bytes, Body& body) {
  const unsigned threads = block.x * block.y * block.z;
  if (threads == 0 || threads > kMaxBlockThreads || block.z > 64) {
    throw std::runtime_error("simt emulator: invalid block size " + std::to_string(threads));
  }
  if (grid.y > kMaxGridYZ || grid.z > kMaxGridYZ) {
    throw std::runtime_error("simt emulator: grid (" + std::to_string(grid.x) + ", " +
                             std::to_string(grid.y) + ", " + std::to_string(grid.z) +
                             ") exceeds the 65535 blocks a GPU allows along y and z");
  }
  if (dynamic_shared_bytes > kMaxDefaultDynamicShared) {
    throw std::runtime_error("simt emulator: " + std::to_string(dynamic_shared_bytes) +
                             " bytes of dynamic shared memory exceed the 48 KiB a launch gets "
                             "without opting in");
  }
  BlockScheduler& block_scheduler = thread_block_scheduler();
  LaunchState& state = launch_state;
  if (state.scheduler != nullptr) throw std::runtime_error("simt emulator: nested kernel launch");
  state.scheduler = &block_scheduler;
  state.grid_dim = grid;
  state.dynamic_shared.assign(dynamic_shared_bytes + 16, 0);
  auto invoke = [](void* context) { (*static_cast<Body*>(context))(); };
  try {
    for (unsigned z = 0; z < grid.z; ++z) {
      for (unsigned y = 0; y < grid.y; ++y) {
        for (unsigned x = 0; x < grid.x; ++x) {
          std::fill(state.dynamic_shared.begin(), state.dynamic_shared.end(), 0xFF);
          block_scheduler.run_block(block, {x, y, z}, invoke, &body);
        }
      }
    }
  } catch (...) {
    state.scheduler = nullptr;
    throw;
  }
  state.scheduler = nullptr;
}

inline uint3 thread_index() {
  return scheduler().current().thread_index;
}
inline uint3 block_index() {
  return scheduler().block_index();
}
inline uint3 block_dim() {
  const dim3 d = scheduler().block_dim();
  return {d.x, d.y, d.z};
}
inline uint3 grid_dim() {
  const dim3 d = launch_state.grid_dim;
  return {d.x, d.y, d.z};
}

template <class T>
uint64_t to_payload(T value) {
  static_assert(sizeof(T) <= sizeof(uint64_t), "shuffled values are at most 8 bytes");
  uint64_t payload = 0;
  std::memcpy(&payload, &value, sizeof(T));
  return payload;
}

template <class T>
T from_payload(uint64_t payload) {
  T value;
  std::memcpy(&value, &payload, sizeof(T));
  return value;
}

// The shuffle core: returns `value` as held by source_lane (or the caller's own value when the
// source lies outside the segment of `width` lanes, as CUDA does for up/down shuffles).
template <class T>
T shuffle(uint32_t mask, T value, int source_lane) {
  const uint64_t* slots = scheduler().warp_exchange(mask, to_payload(value));
  return from_payload<T>(slots[source_lane]);
}

inline unsigned lane_id() {
  return scheduler().current().linear_index % kWarpSize;
}

}  // namespace lethe::simt::detail

#define threadIdx (::lethe::simt::detail::thread_index())
#define blockIdx (::lethe::simt::detail::block_index())
#define blockDim (::lethe::simt::detail::block_dim())
#define gridDim (::lethe::simt::detail::grid_dim())

inline void __syncthreads() {
  ::lethe::simt::detail::scheduler().sync_threads();
}
inline void __syncwarp(unsigned mask = 0xFFFFFFFFu) {
  ::lethe::simt::detail::scheduler().warp_exchange(mask, 0);
}

template <class T>
T __shfl_sync(unsigned mask, T value, int source_lane, int width = warpSize) {
  using namespace ::lethe::simt::detail;
  const int lane = static_cast<int>(lane_id());
  const int segment_start = lane & ~(width - 1);
  return shuffle(mask, value, segment_start + (source_lane & (width - 1)));
}

template <class T>
T __shfl_down_sync(unsigned mask, T value, unsigned delta, int width = warpSize) {
  using namespace ::lethe::simt::detail;
  const int lane = static_cast<int>(lane_id());
  const int source = lane + static_cast<int>(delta);
  const bool inside = (source & ~(width - 1)) == (lane & ~(width - 1));
  return shuffle(mask, value, inside ? source : lane);
}

template <class T>
T __shfl_up_sync(unsigned mask, T value, unsigned delta, int width = warpSize) {
  using namespace ::lethe::simt::detail;
  const int lane = static_cast<int>(lane_id());
  const int source = lane - static_cast<int>(delta);
  const bool inside = source >= 0 && (source & ~(width - 1)) == (lane & ~(width - 1));
  return shuffle(mask, value, inside ? source : lane);
}

template <class T>
T __shfl_xor_sync(unsigned mask, T value, int lane_mask, int width = warpSize) {
  using namespace ::lethe::simt::detail;
  const int lane = static_cast<int>(lane_id());
  const int source = lane ^ lane_mask;
  const bool inside = (source & ~(width - 1)) == (lane & ~(width - 1));
  return shuffle(mask, value, inside ? source : lane);
}

inline unsigned __ballot_sync(unsigned mask, int predicate) {
  using namespace ::lethe::simt::detail;
  const uint64_t* slots = scheduler().warp_exchange(mask, predicate != 0 ? 1 : 0);
  unsigned votes = 0;
  for (int lane = 0; lane < kWarpSize; ++lane) {
    if ((mask >> lane & 1u) != 0 && slots[lane] != 0) votes |= 1u << lane;
  }
  return votes;
}

// Atomics: blocks run in turn and a fiber never switches inside one, so plain updates are atomic.
template <class T>
T atomicAdd(T* address, T value) {
  const T old = *address;
  *address = old + value;
  return old;
}
template <class T>
T atomicMax(T* address, T value) {
  const T old = *address;
  *address = std::max(old, value);
  return old;
}

inline float __expf(float x) {
  return std::exp(x);
}
inline float __logf(float x) {
  return std::log(x);
}
inline float __fdividef(float x, float y) {
  return x / y;
}
inline float __frcp_rn(float x) {
  return 1.0f / x;
}
inline float __saturatef(float x) {
  return std::min(std::max(x, 0.0f), 1.0f);
}
inline float rsqrtf(float x) {
  return 1.0f / std::sqrt(x);
}
// Double arithmetic that nvcc must not contract into an FMA (matches the host's rounding).
inline double __dadd_rn(double a, double b) {
  return a + b;
}
inline double __dmul_rn(double a, double b) {
  return a * b;
}
