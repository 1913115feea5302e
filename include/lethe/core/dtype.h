// Element types and devices. f32 is the compute type, f64 exists for finite-difference gradient
// checks, f16/bf16 are storage formats (convert to f32 to compute), i32/i64 hold labels, u8 images.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace lethe {

enum class DType : uint8_t { f32, f64, f16, bf16, i32, i64, u8 };
enum class Device : uint8_t { cpu, cuda };

size_t dtype_size(DType dtype);
const char* dtype_name(DType dtype);  // "f32", "f64", ...
bool is_floating(DType dtype);        // f32, f64, f16, bf16
const char* device_name(Device device);

// IEEE binary16 and bfloat16 conversions, round to nearest even; NaN and Inf preserved.
uint16_t float_to_half(float value);
float half_to_float(uint16_t bits);
uint16_t float_to_bfloat16(float value);
float bfloat16_to_float(uint16_t bits);

template <class T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<float>() {
  return DType::f32;
}
template <>
constexpr DType dtype_of<double>() {
  return DType::f64;
}
template <>
constexpr DType dtype_of<int32_t>() {
  return DType::i32;
}
template <>
constexpr DType dtype_of<int64_t>() {
  return DType::i64;
}
template <>
constexpr DType dtype_of<uint8_t>() {
  return DType::u8;
}

}  // namespace lethe
