#include "lethe/core/profile.h"

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>

namespace lethe::profile {
namespace {

std::atomic<bool> profiling{false};
thread_local Scope* innermost = nullptr;

struct Table {
  std::mutex mutex;
  std::map<std::pair<std::string, std::string>, OpRecord> records;
};

Table& table() {
  static Table instance;
  return instance;
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

void set_enabled(bool on) {
  profiling.store(on, std::memory_order_relaxed);
}

bool enabled() {
  return profiling.load(std::memory_order_relaxed);
}

std::vector<OpRecord> take_records() {
  Table& t = table();
  std::lock_guard<std::mutex> lock(t.mutex);
  std::vector<OpRecord> out;
  for (auto& [key, record] : t.records) out.push_back(record);
  t.records.clear();
  return out;
}

Scope::Scope(const char* op, const char* direction, const Shape& shape, double flops, double bytes,
             const Shape& second_shape)
    : active_(enabled()), flops_(flops), bytes_(bytes), start_(0) {
  if (!active_) return;
  op_ = std::string(op) + " " + direction;
  first_shape_ = shape;
  second_shape_ = second_shape;
  shape_ = shape_str(shape);
  if (!second_shape.empty()) shape_ += " w " + shape_str(second_shape);
  parent_ = innermost;
  innermost = this;
  start_ = now_seconds();
}

Scope::~Scope() {
  if (!active_) return;
  const double elapsed = now_seconds() - start_;
  innermost = parent_;
  if (parent_ != nullptr) parent_->nested_seconds_ += elapsed;
  const double seconds = elapsed - nested_seconds_;
  Table& t = table();
  std::lock_guard<std::mutex> lock(t.mutex);
  OpRecord& record = t.records[{op_, shape_}];
  record.op = op_;
  record.shape = shape_;
  record.first_shape = first_shape_;
  record.second_shape = second_shape_;
  const bool same_as_parent =
      parent_ != nullptr && parent_->op_ == op_ && parent_->shape_ == shape_;
  if (!same_as_parent) record.calls += 1;
  record.seconds += seconds;
  record.flops += flops_;
  record.bytes += bytes_;
}

}  // namespace lethe::profile
