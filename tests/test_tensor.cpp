// Tensor basics: factories, shape checks and their messages, dtype conversions (f16 / bf16
// rounding by hand-worked examples), typed access, views versus copies, the caching allocator.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "lethe/core/allocator.h"
#include "lethe/core/dtype.h"
#include "lethe/core/error.h"
#include "lethe/core/tensor.h"

namespace {

using lethe::DType;
using lethe::Shape;
using lethe::Tensor;

float float_from_bits(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

// The message of the lethe::Error thrown by `action`, or "" when none is thrown.
template <class Action>
std::string error_message(Action action) {
  try {
    action();
  } catch (const lethe::Error& error) {
    return error.what();
  }
  return "";
}

}  // namespace

TEST_CASE("tensor factories: shapes, dtypes and contents") {
  const Tensor zeros = Tensor::zeros({2, 3});
  CHECK(zeros.shape() == Shape{2, 3});
  CHECK(zeros.rank() == 2);
  CHECK(zeros.numel() == 6);
  CHECK(zeros.dtype() == DType::f32);
  CHECK(zeros.device() == lethe::Device::cpu);
  CHECK(zeros.nbytes() == 24);
  CHECK(zeros.to_double_vector() == std::vector<double>(6, 0.0));

  CHECK(Tensor::ones({4}, DType::f64).to_double_vector() == std::vector<double>(4, 1.0));
  CHECK(Tensor::full({2, 2}, -2.5, DType::f64).to_double_vector() == std::vector<double>(4, -2.5));
  CHECK(Tensor::full({3}, 7, DType::i64).to_double_vector() == std::vector<double>(3, 7.0));
  CHECK(Tensor::full({3}, 200, DType::u8).data<uint8_t>()[2] == 200);

  const Tensor scalar = Tensor::scalar(3.25, DType::f64);
  CHECK(scalar.rank() == 0);
  CHECK(scalar.numel() == 1);
  CHECK(scalar.item() == 3.25);

  const Tensor from_floats = Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {3, 2});
  CHECK(from_floats.dtype() == DType::f32);
  CHECK(from_floats.data<float>()[3] == 4.0f);
  CHECK(from_floats.dim(0) == 3);
  CHECK(from_floats.dim(-1) == 2);
  const Tensor from_ints = Tensor::from_vector(std::vector<int64_t>{-5, 9}, {2});
  CHECK(from_ints.dtype() == DType::i64);
  CHECK(from_ints.data<int64_t>()[0] == -5);

  const Tensor empty_extent = Tensor::zeros({0, 4});
  CHECK(empty_extent.numel() == 0);
  CHECK(empty_extent.nbytes() == 0);

  CHECK(lethe::shape_str({2, 3, 4}) == "(2, 3, 4)");
  CHECK(lethe::shape_str({5}) == "(5,)");
  CHECK(lethe::shape_str({}) == "()");
  CHECK(lethe::describe(Tensor::zeros({2, 3}, DType::f64)) == "f64 (2, 3) on cpu");
}

TEST_CASE("tensor shape errors are lethe::Error with the shapes in the message") {
  CHECK_NOTHROW(Tensor::empty({1, 1, 1, 1, 1}));
  const std::string rank6 = error_message([] { Tensor::empty({1, 2, 1, 1, 1, 1}); });
  CHECK(rank6.find("(1, 2, 1, 1, 1, 1)") != std::string::npos);
  CHECK_THROWS_AS(Tensor::zeros({2, 1, 1, 1, 1, 1}), lethe::Error);
  CHECK_THROWS_AS(Tensor::empty({2, -1}), lethe::Error);

  const Tensor x = Tensor::zeros({2, 3});
  const std::string mismatch = error_message([&] { x.reshape({4, 2}); });
  INFO("message: ", mismatch);
  CHECK(mismatch.find("(2, 3)") != std::string::npos);
  CHECK(mismatch.find("(4, 2)") != std::string::npos);
  CHECK_THROWS_AS(x.reshape({-1, -1}), lethe::Error);
  CHECK_THROWS_AS(x.reshape({1, 1, 1, 1, 1, 6}), lethe::Error);
  CHECK(x.reshape({-1}).shape() == Shape{6});
  CHECK(x.reshape({3, -1}).shape() == Shape{3, 2});

  CHECK_THROWS_AS(x.dim(2), lethe::Error);
  CHECK_THROWS_AS(x.dim(-3), lethe::Error);
  CHECK_THROWS_AS(x.slice_batch(1, 3), lethe::Error);
  CHECK_THROWS_AS(x.slice_batch(2, 1), lethe::Error);
  CHECK_THROWS_AS(Tensor::from_vector(std::vector<float>{1, 2, 3}, {2, 2}), lethe::Error);
  CHECK_THROWS_AS(Tensor().shape(), lethe::Error);
  CHECK_THROWS_AS(Tensor::zeros({2}).copy_from(Tensor::zeros({3})), lethe::Error);
}

TEST_CASE("f16 conversion: round to nearest even, subnormals, overflow, Inf and NaN") {
  using lethe::float_to_half;
  using lethe::half_to_float;
  CHECK(float_to_half(1.0f) == 0x3c00);
  CHECK(float_to_half(-2.0f) == 0xc000);
  CHECK(float_to_half(0.0f) == 0x0000);
  CHECK(float_to_half(-0.0f) == 0x8000);
  CHECK(float_to_half(65504.0f) == 0x7bff);  // largest finite half
  // f16's ulp at 1 is 2^-10. 1 + 2^-11 is a tie between 0x3c00 (even) and 0x3c01: stays 1.
  CHECK(float_to_half(1.0f + std::ldexp(1.0f, -11)) == 0x3c00);
  // 1 + 3 * 2^-11 ties between 0x3c01 (odd) and 0x3c02 (even): rounds up to 0x3c02.
  CHECK(float_to_half(1.0f + 3 * std::ldexp(1.0f, -11)) == 0x3c02);
  // Just above the tie rounds up; just below rounds down.
  CHECK(float_to_half(1.0f + std::ldexp(1.0f, -11) + std::ldexp(1.0f, -20)) == 0x3c01);
  CHECK(float_to_half(1.0f + std::ldexp(1.0f, -11) - std::ldexp(1.0f, -20)) == 0x3c00);
  // 65520 ties between 65504 (0x7bff, odd) and 65536 (beyond range): rounds to Inf.
  CHECK(float_to_half(65520.0f) == 0x7c00);
  CHECK(float_to_half(65519.0f) == 0x7bff);
  CHECK(float_to_half(1e6f) == 0x7c00);
  CHECK(float_to_half(-1e6f) == 0xfc00);

  // Subnormal halves: multiples of 2^-24.
  CHECK(float_to_half(std::ldexp(1.0f, -24)) == 0x0001);
  CHECK(float_to_half(std::ldexp(1.0f, -25)) == 0x0000);      // tie with 0 (even)
  CHECK(float_to_half(3 * std::ldexp(1.0f, -25)) == 0x0002);  // 1.5 ulp ties to 2 (even)
  CHECK(float_to_half(-std::ldexp(1.0f, -24)) == 0x8001);
  CHECK(float_to_half(1023 * std::ldexp(1.0f, -24)) == 0x03ff);     // largest subnormal
  CHECK(float_to_half(1023.5f * std::ldexp(1.0f, -24)) == 0x0400);  // ties up into the normals
  CHECK(float_to_half(std::ldexp(1.0f, -14)) == 0x0400);            // smallest normal
  CHECK(float_to_half(1e-10f) == 0x0000);
  CHECK(float_to_half(float_from_bits(0x00000001)) == 0x0000);  // f32 subnormal underflows
  CHECK(half_to_float(0x0001) == std::ldexp(1.0f, -24));
  CHECK(half_to_float(0x8001) == -std::ldexp(1.0f, -24));
  CHECK(half_to_float(0x03ff) == 1023 * std::ldexp(1.0f, -24));
  CHECK(std::signbit(half_to_float(0x8000)));

  CHECK(half_to_float(0x3c00) == 1.0f);
  CHECK(half_to_float(0x3555) == 0.333251953125f);  // 1/3 rounded to half: 0x3555
  CHECK(float_to_half(1.0f / 3.0f) == 0x3555);
  CHECK(half_to_float(0x7bff) == 65504.0f);
  const float infinity = std::numeric_limits<float>::infinity();
  CHECK(float_to_half(infinity) == 0x7c00);
  CHECK(float_to_half(-infinity) == 0xfc00);
  CHECK(half_to_float(0x7c00) == infinity);
  CHECK(half_to_float(0xfc00) == -infinity);
  CHECK(std::isnan(half_to_float(float_to_half(std::numeric_limits<float>::quiet_NaN()))));
  CHECK(std::isnan(half_to_float(float_to_half(float_from_bits(0x7f800001)))));  // signalling

  // Every half bit pattern survives half -> f32 -> half (NaNs stay NaN).
  int mismatches = 0;
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    const uint16_t half = static_cast<uint16_t>(bits);
    const bool is_nan = (half & 0x7c00) == 0x7c00 && (half & 0x03ff) != 0;
    const uint16_t back = float_to_half(half_to_float(half));
    if (is_nan ? !std::isnan(half_to_float(back)) : back != half) ++mismatches;
  }
  CHECK(mismatches == 0);
}

TEST_CASE("bf16 conversion: round to nearest even, subnormals, Inf and NaN") {
  using lethe::bfloat16_to_float;
  using lethe::float_to_bfloat16;
  CHECK(float_to_bfloat16(1.0f) == 0x3f80);
  CHECK(float_to_bfloat16(-2.0f) == 0xc000);
  // bf16 keeps the top 16 bits of the f32. 0x3f808000 ties between 0x3f80 (even) and 0x3f81.
  CHECK(float_to_bfloat16(float_from_bits(0x3f808000)) == 0x3f80);
  CHECK(float_to_bfloat16(float_from_bits(0x3f818000)) == 0x3f82);  // tie, 0x3f81 odd: up
  CHECK(float_to_bfloat16(float_from_bits(0x3f808001)) == 0x3f81);  // above the tie
  CHECK(float_to_bfloat16(float_from_bits(0x3f807fff)) == 0x3f80);  // below the tie
  CHECK(float_to_bfloat16(float_from_bits(0x7f7fffff)) == 0x7f80);  // max f32 rounds to Inf
  CHECK(float_to_bfloat16(float_from_bits(0x00010000)) == 0x0001);  // f32 subnormal kept
  CHECK(float_to_bfloat16(float_from_bits(0x00018000)) == 0x0002);  // subnormal tie to even
  CHECK(bfloat16_to_float(0x0001) == float_from_bits(0x00010000));
  CHECK(bfloat16_to_float(0x3f80) == 1.0f);
  CHECK(bfloat16_to_float(0x3eab) == float_from_bits(0x3eab0000));
  CHECK(float_to_bfloat16(1.0f / 3.0f) == 0x3eab);  // 0x3eaaaaab rounds up

  const float infinity = std::numeric_limits<float>::infinity();
  CHECK(float_to_bfloat16(infinity) == 0x7f80);
  CHECK(float_to_bfloat16(-infinity) == 0xff80);
  CHECK(bfloat16_to_float(0x7f80) == infinity);
  CHECK(std::isnan(bfloat16_to_float(float_to_bfloat16(std::numeric_limits<float>::quiet_NaN()))));
  // A NaN whose payload lives only in the low 16 bits must not become Inf.
  CHECK(std::isnan(bfloat16_to_float(float_to_bfloat16(float_from_bits(0x7f800001)))));
  CHECK(std::isnan(bfloat16_to_float(float_to_bfloat16(float_from_bits(0xff800001)))));
}

TEST_CASE("Tensor::to: f32 <-> f16 / bf16 round trips and integer conversions") {
  const std::vector<float> values = {1.0f,     -2.5f, 0.15625f, 1024.0f,
                                     65504.0f, 0.0f,  -0.0f,    std::ldexp(1.0f, -24)};
  const Tensor source = Tensor::from_vector(values, {2, 4});
  const Tensor half = source.to(DType::f16);
  CHECK(half.dtype() == DType::f16);
  CHECK(half.nbytes() == 16);
  CHECK(half.shape() == Shape{2, 4});
  CHECK(half.to(DType::f32).to_float_vector() == values);  // all exactly representable in f16
  const uint16_t* half_bits = static_cast<const uint16_t*>(half.raw_data());
  CHECK(half_bits[0] == 0x3c00);
  CHECK(half_bits[7] == 0x0001);

  const Tensor third = Tensor::full({1}, 1.0 / 3.0);
  CHECK(third.to(DType::f16).item() == 0.333251953125);
  CHECK(third.to(DType::bf16).item() == double(float_from_bits(0x3eab0000)));

  const std::vector<float> bf16_exact = {1.0f, -2.5f, 0.15625f, 1024.0f, 256.0f};
  const Tensor bf16 = Tensor::from_vector(bf16_exact, {5}).to(DType::bf16);
  CHECK(bf16.dtype() == DType::bf16);
  CHECK(bf16.to(DType::f32).to_float_vector() == bf16_exact);
  // 1 + 2^-8 lies halfway between 1 and 1 + 2^-7 (bf16's ulp at 1): ties to even, 1.0.
  CHECK(Tensor::full({1}, 1.0 + std::ldexp(1.0, -8)).to(DType::bf16).item() == 1.0);

  const float infinity = std::numeric_limits<float>::infinity();
  const Tensor specials = Tensor::from_vector(
      std::vector<float>{infinity, -infinity, std::numeric_limits<float>::quiet_NaN()}, {3});
  for (DType storage : {DType::f16, DType::bf16}) {
    const std::vector<float> back = specials.to(storage).to(DType::f32).to_float_vector();
    CHECK(back[0] == infinity);
    CHECK(back[1] == -infinity);
    CHECK(std::isnan(back[2]));
  }

  // f32 -> i64 truncates toward zero; i64 -> u8 keeps in-range values.
  const Tensor reals =
      Tensor::from_vector(std::vector<float>{0.0f, 1.9f, 2.5f, 200.99f, 255.0f, -3.7f}, {6});
  const Tensor integers = reals.to(DType::i64);
  CHECK(integers.dtype() == DType::i64);
  const int64_t* integer_data = integers.data<int64_t>();
  CHECK(std::vector<int64_t>(integer_data, integer_data + 6) ==
        std::vector<int64_t>{0, 1, 2, 200, 255, -3});
  const Tensor bytes = integers.slice_batch(0, 5).to(DType::u8);
  const uint8_t* byte_data = bytes.data<uint8_t>();
  CHECK(std::vector<uint8_t>(byte_data, byte_data + 5) == std::vector<uint8_t>{0, 1, 2, 200, 255});
  CHECK(bytes.to(DType::f64).to_double_vector() == std::vector<double>{0, 1, 2, 200, 255});
  CHECK(Tensor::from_vector(std::vector<int64_t>{7, -8}, {2}).to(DType::i32).data<int32_t>()[1] ==
        -8);

  const Tensor same = source.to(DType::f32);
  CHECK(same.raw_data() == source.raw_data());
}

TEST_CASE("typed access with the wrong type throws; item() reads one element") {
  Tensor floats = Tensor::zeros({2, 2});
  CHECK_NOTHROW(floats.data<float>());
  CHECK_THROWS_AS(floats.data<double>(), lethe::Error);
  CHECK_THROWS_AS(floats.data<int64_t>(), lethe::Error);
  const Tensor longs = Tensor::zeros({2}, DType::i64);
  CHECK_THROWS_AS(longs.data<int32_t>(), lethe::Error);
  CHECK_THROWS_AS(longs.data<float>(), lethe::Error);
  const std::string message = error_message([&] { floats.data<double>(); });
  CHECK(message.find("f64") != std::string::npos);
  CHECK(message.find("f32 (2, 2)") != std::string::npos);

  CHECK(Tensor::scalar(-1.5).item() == -1.5);
  CHECK(Tensor::full({1, 1, 1}, 42, DType::i64).item() == 42);
  CHECK(Tensor::full({1}, 0.1, DType::f64).item() == 0.1);
  CHECK(Tensor::full({1}, 0.1).item() == double(0.1f));
  CHECK_THROWS_AS(Tensor::zeros({2}).item(), lethe::Error);
}

TEST_CASE("views share storage, clone does not") {
  Tensor parent = Tensor::from_vector(std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7}, {4, 2});
  Tensor rows = parent.slice_batch(1, 3);
  CHECK(rows.shape() == Shape{2, 2});
  CHECK(rows.to_float_vector() == std::vector<float>{2, 3, 4, 5});
  rows.data<float>()[0] = 20;
  rows.fill(9);
  CHECK(parent.to_float_vector() == std::vector<float>{0, 1, 9, 9, 9, 9, 6, 7});
  CHECK(rows.raw_data() == static_cast<char*>(parent.raw_data()) + 2 * sizeof(float));

  Tensor flat = parent.reshape({8});
  flat.data<float>()[7] = -7;
  CHECK(parent.data<float>()[7] == -7);
  Tensor detached = parent.detach();
  detached.data<float>()[0] = 100;
  CHECK(parent.data<float>()[0] == 100);
  Tensor last_row = parent.slice_batch(3, 4);
  last_row.copy_from(Tensor::from_vector(std::vector<float>{-1, -2}, {1, 2}));
  CHECK(parent.data<float>()[6] == -1);
  CHECK(parent.slice_batch(2, 2).numel() == 0);

  Tensor copy = parent.clone();
  CHECK(copy.raw_data() != parent.raw_data());
  CHECK(copy.to_float_vector() == parent.to_float_vector());
  copy.fill(5);
  CHECK(parent.data<float>()[1] == 1);

  // A view keeps its storage alive after the parent handle is gone.
  Tensor survivor = Tensor::full({3, 2}, 4.0).slice_batch(2, 3);
  CHECK(survivor.to_float_vector() == std::vector<float>{4, 4});
}

TEST_CASE("caching allocator: freed blocks are reused and statistics stay consistent") {
  using lethe::allocator_stats;
  using lethe::Device;
  // 12345 floats = 49380 bytes, rounded to 256 bytes: 49408. An odd size no other test uses.
  const int64_t count = 12345;
  const size_t rounded = 49408;
  lethe::allocator_empty_cache(Device::cpu);
  const lethe::AllocatorStats start = allocator_stats(Device::cpu);
  CHECK(start.bytes_cached == 0);
  CHECK(start.peak_bytes_in_use >= start.bytes_in_use);

  const void* first_address = nullptr;
  {
    const Tensor block = Tensor::empty({count});
    first_address = block.raw_data();
    const lethe::AllocatorStats held = allocator_stats(Device::cpu);
    CHECK(held.bytes_in_use == start.bytes_in_use + rounded);
    CHECK(held.peak_bytes_in_use >= held.bytes_in_use);
    CHECK(held.bytes_cached == 0);
  }
  const lethe::AllocatorStats freed = allocator_stats(Device::cpu);
  CHECK(freed.bytes_in_use == start.bytes_in_use);
  CHECK(freed.bytes_cached == rounded);

  {
    const Tensor again = Tensor::empty({count});
    CHECK(again.raw_data() == first_address);
    const lethe::AllocatorStats reused = allocator_stats(Device::cpu);
    CHECK(reused.bytes_cached == freed.bytes_cached - rounded);
    CHECK(reused.bytes_in_use == start.bytes_in_use + rounded);
    CHECK(reused.peak_bytes_in_use >= reused.bytes_in_use);
    CHECK(reinterpret_cast<uintptr_t>(again.raw_data()) % 64 == 0);

    lethe::allocator_reset_peak(Device::cpu);
    CHECK(allocator_stats(Device::cpu).peak_bytes_in_use == reused.bytes_in_use);
    const Tensor second = Tensor::empty({count});
    CHECK(allocator_stats(Device::cpu).peak_bytes_in_use == reused.bytes_in_use + rounded);
  }
  CHECK(allocator_stats(Device::cpu).bytes_cached == 2 * rounded);
  lethe::allocator_empty_cache(Device::cpu);
  CHECK(allocator_stats(Device::cpu).bytes_cached == 0);
  CHECK(allocator_stats(Device::cpu).bytes_in_use == start.bytes_in_use);
}

TEST_CASE("integer conversions saturate and map NaN to 0") {
  const Tensor values =
      Tensor::from_vector(std::vector<double>{-3, 300, 1e30, std::nan(""), 7.9}, {5});
  CHECK(values.to(DType::u8).to_double_vector() == std::vector<double>{0, 255, 255, 0, 7});
  CHECK(values.to(DType::i32).to_double_vector() ==
        std::vector<double>{-3, 300, 2147483647.0, 0, 7});
}
