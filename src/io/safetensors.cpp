#include "lethe/io/safetensors.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include <nlohmann/json.hpp>
#include <set>
#include <tuple>
#include <utility>

#include "lethe/io/atomic_file.h"

namespace lethe {
namespace {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "tensor bytes are copied as they are: safetensors data is little-endian");

using Json = nlohmann::ordered_json;  // keeps the header's key order, and writes ours in order

constexpr uint64_t kMaxHeaderBytes = 100'000'000;  // the reference implementation's limit
constexpr size_t kHeaderAlignment = 8;             // header padded so the buffer starts aligned
constexpr const char* kMetadataKey = "__metadata__";

template <class... Parts>
[[noreturn]] void fail_in(const std::string& path, const Parts&... parts) {
  fail("safetensors file '", path, "': ", parts...);
}

template <class... Parts>
[[noreturn]] void fail_tensor(const std::string& path, const std::string& name,
                              const Parts&... parts) {
  fail_in(path, "tensor '", name, "': ", parts...);
}

struct DTypeCode {
  DType dtype;
  const char* code;
};
constexpr DTypeCode kDTypeCodes[] = {
    {DType::f32, "F32"}, {DType::f64, "F64"}, {DType::f16, "F16"}, {DType::bf16, "BF16"},
    {DType::i32, "I32"}, {DType::i64, "I64"}, {DType::u8, "U8"}};

const char* dtype_code(DType dtype) {
  for (const DTypeCode& entry : kDTypeCodes) {
    if (entry.dtype == dtype) return entry.code;
  }
  fail("safetensors: no code for dtype ", dtype_name(dtype));
}

// A JSON value for an error message, shortened when long.
std::string brief(const Json& value) {
  const std::string text = value.dump();
  return text.size() <= 60 ? text : text.substr(0, 57) + "...";
}

// One tensor's header entry, validated against the data buffer's size.
struct TensorEntry {
  std::string name;
  DType dtype;
  Shape shape;
  uint64_t begin;  // byte offsets into the data buffer
  uint64_t end;
};

// A safetensors header nests three levels (header, entry, shape or offsets); deeper values are
// refused before they are built, since building, printing and freeing a JSON value recurse.
constexpr int kMaxHeaderDepth = 16;

// Parses the header, rejecting a key that appears twice in one object (plain parsing would keep
// the last one silently) and nesting deeper than kMaxHeaderDepth.
Json parse_header(const std::string& path, const std::string& text) {
  std::vector<std::set<std::string>> keys_of_open_objects;
  const auto reject_duplicate_keys = [&](int depth, Json::parse_event_t event, Json& parsed) {
    if (depth > kMaxHeaderDepth) {
      fail_in(path, "header nests deeper than ", kMaxHeaderDepth, " levels");
    }
    if (event == Json::parse_event_t::object_start) keys_of_open_objects.emplace_back();
    if (event == Json::parse_event_t::object_end) keys_of_open_objects.pop_back();
    if (event == Json::parse_event_t::key &&
        !keys_of_open_objects.back().insert(parsed.get<std::string>()).second) {
      fail_in(path, "duplicate key ", brief(parsed), " in the header");
    }
    return true;
  };
  Json header;
  try {
    header = Json::parse(text, reject_duplicate_keys);
  } catch (const Json::exception& error) {
    fail_in(path, "header is not valid JSON (", error.what(), ")");
  }
  if (!header.is_object()) fail_in(path, "header is not a JSON object but ", header.type_name());
  return header;
}

DType parse_dtype(const std::string& path, const std::string& name, const Json& value) {
  for (const DTypeCode& entry : kDTypeCodes) {
    if (value.is_string() && value.get<std::string>() == entry.code) return entry.dtype;
  }
  fail_tensor(path, name, "unsupported dtype ", brief(value),
              " (Lethe reads F32, F64, F16, BF16, I32, I64 and U8)");
}

// shape: a list of at most kMaxRank non-negative integers.
Shape parse_shape(const std::string& path, const std::string& name, const Json& value) {
  if (!value.is_array()) fail_tensor(path, name, "shape ", brief(value), " is not a list");
  if (value.size() > static_cast<size_t>(kMaxRank)) {
    fail_tensor(path, name, "shape ", brief(value), " has rank ", value.size(),
                ", Lethe supports at most rank ", kMaxRank);
  }
  Shape shape;
  for (const Json& extent : value) {
    if (!extent.is_number_unsigned() ||
        extent.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max())) {
      fail_tensor(path, name, "shape ", brief(value), " is not a list of non-negative integers");
    }
    shape.push_back(static_cast<int64_t>(extent.get<uint64_t>()));
  }
  return shape;
}

// data_offsets: [begin, end] with begin <= end <= buffer_bytes.
std::pair<uint64_t, uint64_t> parse_offsets(const std::string& path, const std::string& name,
                                            const Json& value, uint64_t buffer_bytes) {
  if (!value.is_array() || value.size() != 2 || !value[0].is_number_unsigned() ||
      !value[1].is_number_unsigned() || value[0].get<uint64_t>() > value[1].get<uint64_t>()) {
    fail_tensor(path, name, "data_offsets ", brief(value),
                " is not a pair [begin, end] of integers with 0 <= begin <= end");
  }
  const uint64_t end = value[1].get<uint64_t>();
  if (end > buffer_bytes) {
    fail_tensor(path, name, "data_offsets ", brief(value), " run past the end of the ",
                buffer_bytes, "-byte data buffer: the file is truncated or the offsets are wrong");
  }
  return {value[0].get<uint64_t>(), end};
}

// The bytes a tensor of this shape and dtype holds, or UINT64_MAX when that overflows.
uint64_t shape_bytes(const Shape& shape, DType dtype) {
  if (std::find(shape.begin(), shape.end(), 0) != shape.end()) return 0;
  uint64_t bytes = dtype_size(dtype);
  for (int64_t extent : shape) {
    if (bytes > std::numeric_limits<uint64_t>::max() / uint64_t(extent)) {
      return std::numeric_limits<uint64_t>::max();
    }
    bytes *= uint64_t(extent);
  }
  return bytes;
}

// entry: {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}
TensorEntry parse_entry(const std::string& path, const std::string& name, const Json& entry,
                        uint64_t buffer_bytes) {
  if (!entry.is_object()) {
    fail_tensor(path, name, "expected an object with dtype, shape and data_offsets, got ",
                brief(entry));
  }
  for (const auto& item : entry.items()) {
    if (item.key() != "dtype" && item.key() != "shape" && item.key() != "data_offsets") {
      fail_tensor(path, name, "unexpected key \"", item.key(), "\"");
    }
  }
  for (const char* key : {"dtype", "shape", "data_offsets"}) {
    if (!entry.contains(key)) fail_tensor(path, name, "missing \"", key, "\"");
  }
  TensorEntry parsed{name, parse_dtype(path, name, entry["dtype"]),
                     parse_shape(path, name, entry["shape"]), 0, 0};
  std::tie(parsed.begin, parsed.end) =
      parse_offsets(path, name, entry["data_offsets"], buffer_bytes);
  const uint64_t expected_bytes = shape_bytes(parsed.shape, parsed.dtype);
  if (parsed.end - parsed.begin != expected_bytes) {
    fail_tensor(path, name, "data_offsets ", brief(entry["data_offsets"]), " hold ",
                parsed.end - parsed.begin, " bytes, which does not match dtype ",
                dtype_code(parsed.dtype), " and shape ", shape_str(parsed.shape));
  }
  return parsed;
}

std::map<std::string, std::string> parse_metadata(const std::string& path, const Json& value) {
  if (!value.is_object()) fail_in(path, "__metadata__ is not an object but ", value.type_name());
  std::map<std::string, std::string> metadata;
  for (const auto& item : value.items()) {
    if (!item.value().is_string()) {
      fail_in(path, "__metadata__ value of \"", item.key(), "\" is not a string but ",
              brief(item.value()));
    }
    metadata[item.key()] = item.value().get<std::string>();
  }
  return metadata;
}

// Sorts the entries into data order and checks that they tile [0, buffer_bytes) exactly.
void check_coverage(const std::string& path, std::vector<TensorEntry>& entries,
                    uint64_t buffer_bytes) {
  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    return std::tie(a.begin, a.end) < std::tie(b.begin, b.end);
  });
  uint64_t covered = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    const TensorEntry& entry = entries[i];
    if (entry.begin < covered) {
      fail_tensor(path, entry.name, "data_offsets [", entry.begin, ", ", entry.end,
                  "] overlap tensor '", entries[i - 1].name, "'");
    }
    if (entry.begin > covered) {
      fail_in(path, "bytes [", covered, ", ", entry.begin,
              ") of the data buffer are not covered by any tensor");
    }
    covered = entry.end;
  }
  if (covered != buffer_bytes) {
    fail_in(path, "bytes [", covered, ", ", buffer_bytes,
            ") at the end of the data buffer are not covered by any tensor");
  }
}

void read_exactly(std::ifstream& file, const std::string& path, uint64_t offset, void* bytes,
                  uint64_t count, const std::string& what) {
  file.seekg(static_cast<std::streamoff>(offset));
  file.read(static_cast<char*>(bytes), static_cast<std::streamsize>(count));
  if (!file || static_cast<uint64_t>(file.gcount()) != count) {
    fail_in(path, "could not read ", what, " (", count, " bytes at offset ", offset,
            "): the file is unreadable or changed while loading");
  }
}

// The index of the first nan or inf in a host tensor of a floating dtype, or -1 (and -1 for
// integer dtypes).
int64_t first_non_finite(const Tensor& host) {
  if (!is_floating(host.dtype()) || host.numel() == 0) return -1;
  if (host.dtype() == DType::f64) {
    const double* values = host.data<double>();
    for (int64_t i = 0; i < host.numel(); ++i)
      if (!std::isfinite(values[i])) return i;
    return -1;
  }
  const Tensor f32 = host.to(DType::f32);
  const float* values = f32.data<float>();
  for (int64_t i = 0; i < f32.numel(); ++i)
    if (!std::isfinite(values[i])) return i;
  return -1;
}

uint64_t decode_little_endian(const unsigned char bytes[8]) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | bytes[i];
  return value;
}

// Opens `path` and returns its size, after checking that it is an existing regular file.
uint64_t open_for_reading(const std::string& path, std::ifstream& file) {
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  if (!std::filesystem::exists(status)) fail_in(path, "file does not exist");
  if (!std::filesystem::is_regular_file(status)) fail_in(path, "is not a regular file");
  file.open(path, std::ios::binary);
  if (!file) fail_in(path, "cannot open for reading (", std::strerror(errno), ")");
  const uint64_t size = std::filesystem::file_size(path, error);
  if (error) fail_in(path, "cannot read the file size (", error.message(), ")");
  return size;
}

}  // namespace

bool SafetensorsFile::contains(const std::string& name) const {
  return std::any_of(tensors.begin(), tensors.end(),
                     [&](const auto& named) { return named.first == name; });
}

const Tensor& SafetensorsFile::at(const std::string& name) const {
  for (const auto& [tensor_name, tensor] : tensors) {
    if (tensor_name == name) return tensor;
  }
  fail_in(path, "no tensor named '", name, "' (the file holds ", tensors.size(), " tensors)");
}

SafetensorsFile load_safetensors(const std::string& path) {
  std::ifstream file;
  const uint64_t file_bytes = open_for_reading(path, file);
  if (file_bytes < 8) {
    fail_in(path, "the file is ", file_bytes,
            " bytes long, shorter than the 8-byte header length: truncated or not safetensors");
  }
  unsigned char length_bytes[8];
  read_exactly(file, path, 0, length_bytes, 8, "the header length");
  const uint64_t header_bytes = decode_little_endian(length_bytes);
  if (header_bytes > kMaxHeaderBytes) {
    fail_in(path, "header length ", header_bytes, " exceeds the limit of ", kMaxHeaderBytes,
            " bytes: corrupt or not safetensors");
  }
  if (header_bytes > file_bytes - 8) {
    fail_in(path, "header length ", header_bytes, " runs past the end of the ", file_bytes,
            "-byte file: truncated or not safetensors");
  }
  std::string header_text(header_bytes, '\0');
  read_exactly(file, path, 8, header_text.data(), header_bytes, "the header");
  const Json header = parse_header(path, header_text);

  const uint64_t buffer_start = 8 + header_bytes;
  const uint64_t buffer_bytes = file_bytes - buffer_start;
  SafetensorsFile result;
  result.path = path;
  std::vector<TensorEntry> entries;
  for (const auto& item : header.items()) {
    if (item.key() == kMetadataKey) {
      result.metadata = parse_metadata(path, item.value());
    } else {
      entries.push_back(parse_entry(path, item.key(), item.value(), buffer_bytes));
    }
  }
  check_coverage(path, entries, buffer_bytes);

  for (const TensorEntry& entry : entries) {
    Tensor tensor = Tensor::empty(entry.shape, entry.dtype);
    read_exactly(file, path, buffer_start + entry.begin, tensor.raw_data(), tensor.nbytes(),
                 "the data of tensor '" + entry.name + "'");
    const int64_t bad = first_non_finite(tensor);
    if (bad >= 0) {
      fail_tensor(path, entry.name, "element ", bad,
                  " is not finite: the file is corrupt or was written by a run that diverged");
    }
    result.tensors.emplace_back(entry.name, std::move(tensor));
  }
  return result;
}

namespace {

// The header of a file holding `tensors` back to back in the given order, padded with spaces.
std::string build_header(const std::string& path,
                         const std::vector<std::pair<std::string, Tensor>>& tensors,
                         const std::map<std::string, std::string>& metadata) {
  Json header = Json::object();
  if (!metadata.empty()) header[kMetadataKey] = metadata;
  std::set<std::string> names;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    if (name == kMetadataKey) fail_in(path, "a tensor cannot be named ", kMetadataKey);
    if (!names.insert(name).second) fail_tensor(path, name, "duplicate name in the tensor list");
    if (!tensor.defined()) fail_tensor(path, name, "the tensor is undefined");
    const uint64_t end = offset + tensor.nbytes();
    header[name] = {{"dtype", dtype_code(tensor.dtype())},
                    {"shape", tensor.shape()},
                    {"data_offsets", {offset, end}}};
    offset = end;
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const Json::exception& error) {
    fail_in(path, "a tensor name or metadata string is not valid UTF-8 (", error.what(), ")");
  }
  text.append((kHeaderAlignment - text.size() % kHeaderAlignment) % kHeaderAlignment, ' ');
  return text;
}

}  // namespace

void save_safetensors(const std::string& path,
                      const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  const std::string header = build_header(path, tensors, metadata);
  std::vector<Tensor> host;  // checked before anything is written
  for (const auto& [name, tensor] : tensors) {
    host.push_back(tensor.to(Device::cpu));
    const int64_t bad = first_non_finite(host.back());
    if (bad >= 0) {
      fail_tensor(path, name, "element ", bad,
                  " is not finite: refusing to write a file with nan or inf (the previous file, if "
                  "any, is intact)");
    }
  }
  unsigned char length_bytes[8];
  for (int i = 0; i < 8; ++i)
    length_bytes[i] = static_cast<unsigned char>(header.size() >> (8 * i));

  AtomicFileWriter writer(path);
  writer.write(length_bytes, sizeof(length_bytes));
  writer.write(header.data(), header.size());
  for (const Tensor& values : host) writer.write(values.raw_data(), values.nbytes());
  writer.commit();
}

}  // namespace lethe
