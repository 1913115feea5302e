// safetensors: round trips of every dtype, byte-exact golden files in the reference format, every
// kind of corrupt file, and atomic writes.
#include "lethe/io/atomic_file.h"
#include "lethe/io/safetensors.h"

#include <unistd.h>

#include <doctest/doctest.h>
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

using namespace std::string_literals;
using lethe::DType;
using lethe::Tensor;
using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

namespace {

// A fresh directory under the system temp dir, removed with its contents at scope exit.
struct TempDir {
  std::filesystem::path path;

  TempDir() {
    static int directories_made = 0;
    path = std::filesystem::temp_directory_path() /
           ("lethe_test_safetensors_" + std::to_string(getpid()) + "_" +
            std::to_string(directories_made++));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(path)) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }
};

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string read_bytes(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

// The 8-byte little-endian header length.
std::string length_prefix(uint64_t length) {
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(length >> (8 * i));
  return bytes;
}

std::string file_bytes(const std::string& header, const std::string& buffer) {
  return length_prefix(header.size()) + header + buffer;
}

// The message of the lethe::Error that `action` throws, or "" when it throws none.
std::string error_message(const std::function<void()>& action) {
  try {
    action();
  } catch (const lethe::Error& error) {
    return error.what();
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Fills a tensor's bytes with a pattern, so round trips are checked bit for bit in every dtype.
Tensor patterned(const lethe::Shape& shape, DType dtype, int seed) {
  Tensor tensor = Tensor::empty(shape, dtype);
  auto* bytes = static_cast<unsigned char*>(tensor.raw_data());
  for (size_t i = 0; i < tensor.nbytes(); ++i) bytes[i] = static_cast<unsigned char>(i * 37 + seed);
  return tensor;
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.nbytes() == b.nbytes() && std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
}

}  // namespace

TEST_CASE("safetensors: every dtype, rank 0 to 5 and zero-size tensors round-trip with metadata") {
  TempDir dir;
  const std::string path = dir.file("model.safetensors");
  const NamedTensors saved = {
      {"z.weight", patterned({2, 3}, DType::f32, 1)},
      {"scalar", patterned({}, DType::f64, 2)},
      {"half", patterned({4}, DType::f16, 3)},
      {"brain.rank5", patterned({1, 2, 1, 2, 3}, DType::bf16, 4)},
      {"empty.i32", patterned({0}, DType::i32, 5)},
      {"empty.i64", patterned({3, 0, 2}, DType::i64, 6)},
      {"a.bytes", patterned({5, 7}, DType::u8, 7)},
  };
  const std::map<std::string, std::string> metadata = {
      {"format", "pt"}, {"step", "12"}, {"note", "ünïcode \"quoted\""}};
  lethe::save_safetensors(path, saved, metadata);

  const lethe::SafetensorsFile loaded = lethe::load_safetensors(path);
  CHECK(loaded.path == path);
  CHECK(loaded.metadata == metadata);
  REQUIRE(loaded.tensors.size() == saved.size());
  for (size_t i = 0; i < saved.size(); ++i) {
    CAPTURE(saved[i].first);
    CHECK(loaded.tensors[i].first == saved[i].first);  // the order given, not sorted
    const Tensor& tensor = loaded.tensors[i].second;
    CHECK(tensor.dtype() == saved[i].second.dtype());
    CHECK(tensor.shape() == saved[i].second.shape());
    CHECK(tensor.device() == lethe::Device::cpu);
    CHECK(same_bytes(tensor, saved[i].second));
  }
  CHECK(loaded.contains("half"));
  CHECK_FALSE(loaded.contains("missing"));
  CHECK(loaded.at("scalar").shape().empty());
  const std::string message = error_message([&] { loaded.at("missing"); });
  CHECK(contains(message, path));
  CHECK(contains(message, "no tensor named 'missing'"));
}

TEST_CASE("safetensors: a file without tensors or metadata round-trips") {
  TempDir dir;
  const std::string path = dir.file("empty.safetensors");
  lethe::save_safetensors(path, {});
  const lethe::SafetensorsFile loaded = lethe::load_safetensors(path);
  CHECK(loaded.tensors.empty());
  CHECK(loaded.metadata.empty());
}

// The expected bytes are the reference implementation's output for the same tensors: compact
// JSON, "__metadata__" first, space padding to a multiple of 8, raw little-endian data.
TEST_CASE("safetensors: writes the reference format byte for byte") {
  TempDir dir;
  const std::string path = dir.file("golden.safetensors");

  SUBCASE("one f32 tensor") {
    lethe::save_safetensors(
        path, {{"attn0", Tensor::from_vector(std::vector<float>{0, 1, 2, 3, 4, 5}, {1, 1, 2, 3})}});
    const std::string expected =
        "H\0\0\0\0\0\0\0"s +
        R"({"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}})" + "       " +
        "\0\0\0\0"s + "\0\0\x80\x3f"s + "\0\0\0\x40"s + "\0\0\x40\x40"s + "\0\0\x80\x40"s +
        "\0\0\xa0\x40"s;
    CHECK(read_bytes(path) == expected);
  }
  SUBCASE("metadata only") {
    lethe::save_safetensors(path, {}, {{"framework", "pt"}});
    CHECK(read_bytes(path) ==
          "(\0\0\0\0\0\0\0"s + R"({"__metadata__":{"framework":"pt"}})" + "     ");
  }
  SUBCASE("nothing") {
    lethe::save_safetensors(path, {});
    CHECK(read_bytes(path) == "\x08\0\0\0\0\0\0\0"s + "{}      ");
  }
}

TEST_CASE("safetensors: dtype codes in the header") {
  const std::pair<DType, std::string> codes[] = {
      {DType::f32, R"("F32","shape":[1],"data_offsets":[0,4])"},
      {DType::f64, R"("F64","shape":[1],"data_offsets":[0,8])"},
      {DType::f16, R"("F16","shape":[1],"data_offsets":[0,2])"},
      {DType::bf16, R"("BF16","shape":[1],"data_offsets":[0,2])"},
      {DType::i32, R"("I32","shape":[1],"data_offsets":[0,4])"},
      {DType::i64, R"("I64","shape":[1],"data_offsets":[0,8])"},
      {DType::u8, R"("U8","shape":[1],"data_offsets":[0,1])"}};
  TempDir dir;
  const std::string path = dir.file("codes.safetensors");
  for (const auto& [dtype, entry] : codes) {
    CAPTURE(entry);
    lethe::save_safetensors(path, {{"t", Tensor::zeros({1}, dtype)}});
    CHECK(contains(read_bytes(path), R"({"t":{"dtype":)" + entry + "}}"));
    CHECK(lethe::load_safetensors(path).at("t").dtype() == dtype);
  }
}

TEST_CASE("safetensors: the header is space-padded so the data starts 8-byte aligned") {
  TempDir dir;
  const std::string path = dir.file("padded.safetensors");
  for (size_t name_length = 1; name_length <= 16; ++name_length) {
    CAPTURE(name_length);
    lethe::save_safetensors(path, {{std::string(name_length, 'n'), Tensor::zeros({3}, DType::u8)}});
    const std::string bytes = read_bytes(path);
    const size_t header_length = static_cast<unsigned char>(bytes[0]);
    CHECK(header_length % 8 == 0);
    CHECK(bytes.size() == 8 + header_length + 3);
    const std::string header = bytes.substr(8, header_length);
    const size_t json_length = header.rfind('}') + 1;
    CHECK(header_length - json_length < 8);  // the least padding that aligns
    CHECK(header.find_first_not_of(' ', json_length) == std::string::npos);
  }
}

TEST_CASE("safetensors: reads a hand-made file in any key order, with whitespace and metadata") {
  TempDir dir;
  const std::string path = dir.file("hand.safetensors");
  const std::string header = R"({
    "b": {"data_offsets": [8, 12], "shape": [], "dtype": "I32"},
    "__metadata__": {"format": "pt"},
    "empty": {"dtype": "BF16", "shape": [0, 3], "data_offsets": [8, 8]},
    "a": {"dtype": "I64", "shape": [1], "data_offsets": [0, 8]}
  })";
  write_bytes(path, file_bytes(header, "\xfe\xff\xff\xff\xff\xff\xff\xff\x07\0\0\0"s));

  const lethe::SafetensorsFile loaded = lethe::load_safetensors(path);
  REQUIRE(loaded.tensors.size() == 3);
  CHECK(loaded.tensors[0].first == "a");  // data order
  CHECK(loaded.tensors[1].first == "empty");
  CHECK(loaded.tensors[2].first == "b");
  CHECK(loaded.at("a").data<int64_t>()[0] == -2);
  CHECK(loaded.at("b").data<int32_t>()[0] == 7);
  CHECK(loaded.at("b").shape().empty());
  CHECK(loaded.at("empty").shape() == lethe::Shape{0, 3});
  CHECK(loaded.at("empty").dtype() == DType::bf16);
  CHECK(loaded.metadata == std::map<std::string, std::string>{{"format", "pt"}});
}

TEST_CASE("safetensors: a missing file or a directory is an error naming the path") {
  TempDir dir;
  const std::string missing = dir.file("missing.safetensors");
  std::string message = error_message([&] { lethe::load_safetensors(missing); });
  CHECK(contains(message, missing));
  CHECK(contains(message, "does not exist"));

  message = error_message([&] { lethe::load_safetensors(dir.path.string()); });
  CHECK(contains(message, dir.path.string()));
  CHECK(contains(message, "not a regular file"));
}

TEST_CASE("safetensors: every kind of corrupt file is an error naming the file and the problem") {
  const std::string f32_pair = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  const std::string eight_bytes(8, '\x01');
  struct Corruption {
    const char* what;
    std::string bytes;
    const char* expected_words;
  };
  const Corruption corruptions[] = {
      {"shorter than 8 bytes", "\x10\0\0"s, "shorter than the 8-byte header length"},
      {"header length past the end", length_prefix(100) + "{}", "header length 100 runs past"},
      {"header length over the cap", length_prefix(uint64_t(1) << 62) + "{}", "exceeds the limit"},
      {"not JSON", file_bytes(R"({"a": )", ""), "not valid JSON"},
      {"not UTF-8", file_bytes("{\"\xff\": 1}", ""), "not valid JSON"},
      {"not an object", file_bytes("[1, 2]", ""), "not a JSON object"},
      {"duplicate names",
       file_bytes(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                  R"("a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})",
                  "\x01\x02"),
       "duplicate key \"a\""},
      {"duplicate field", file_bytes(R"({"a":{"dtype":"U8","dtype":"U8"}})", ""),
       "duplicate key \"dtype\""},
      {"entry not an object", file_bytes(R"({"a":[1]})", ""), "expected an object"},
      {"unexpected field",
       file_bytes(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"x":0}})", "\x01"),
       "unexpected key \"x\""},
      {"missing dtype", file_bytes(R"({"a":{"shape":[1],"data_offsets":[0,1]}})", "\x01"),
       "missing \"dtype\""},
      {"unknown dtype",
       file_bytes(R"({"a":{"dtype":"BOOL","shape":[1],"data_offsets":[0,1]}})", "\x01"),
       "unsupported dtype \"BOOL\""},
      {"dtype not a string",
       file_bytes(R"({"a":{"dtype":4,"shape":[1],"data_offsets":[0,4]}})", "1234"),
       "unsupported dtype 4"},
      {"shape not a list",
       file_bytes(R"({"a":{"dtype":"U8","shape":1,"data_offsets":[0,1]}})", "\x01"),
       "shape 1 is not a list"},
      {"negative extent",
       file_bytes(R"({"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,0]}})", ""),
       "not a list of non-negative integers"},
      {"fractional extent",
       file_bytes(R"({"a":{"dtype":"U8","shape":[2.5],"data_offsets":[0,2]}})", "12"),
       "not a list of non-negative integers"},
      {"rank 6",
       file_bytes(R"({"a":{"dtype":"U8","shape":[1,1,1,1,1,1],"data_offsets":[0,1]}})", "\x01"),
       "has rank 6, Lethe supports at most rank 5"},
      {"data_offsets missing", file_bytes(R"({"a":{"dtype":"U8","shape":[1]}})", "\x01"),
       "missing \"data_offsets\""},
      {"data_offsets not a pair",
       file_bytes(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0]}})", "\x01"),
       "data_offsets [0] is not a pair"},
      {"data_offsets reversed",
       file_bytes(R"({"a":{"dtype":"U8","shape":[0],"data_offsets":[1,0]}})", "\x01"),
       "0 <= begin <= end"},
      {"data_offsets out of range",
       file_bytes(R"({"a":{"dtype":"U8","shape":[400],"data_offsets":[0,400]}})", "1234"),
       "run past the end of the 4-byte data buffer"},
      {"size does not match dtype and shape",
       file_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", "1234"),
       "does not match dtype F32 and shape (2,)"},
      {"numel overflows",
       file_bytes(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],)"
                  R"("data_offsets":[0,4]}})",
                  "1234"),
       "does not match dtype F32"},
      {"overlapping tensors",
       file_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                  R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                  "123456789012"),
       "tensor 'b': data_offsets [4, 12] overlap tensor 'a'"},
      {"hole between tensors",
       file_bytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                  R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                  "123456789012"),
       "bytes [4, 8) of the data buffer are not covered"},
      {"bytes after the last tensor", file_bytes(f32_pair, eight_bytes + "xyz"),
       "bytes [8, 11) at the end of the data buffer are not covered"},
      {"truncated data", file_bytes(f32_pair, eight_bytes.substr(0, 6)), "the file is truncated"},
      {"truncated header", file_bytes(f32_pair, eight_bytes).substr(0, 20),
       "runs past the end of the 20-byte file"},
      {"metadata not an object", file_bytes(R"({"__metadata__":"pt"})", ""),
       "__metadata__ is not an object"},
      {"metadata value not a string", file_bytes(R"({"__metadata__":{"step":12}})", ""),
       "__metadata__ value of \"step\" is not a string"},
  };
  TempDir dir;
  const std::string path = dir.file("corrupt.safetensors");
  for (const Corruption& corruption : corruptions) {
    CAPTURE(corruption.what);
    write_bytes(path, corruption.bytes);
    const std::string message = error_message([&] { lethe::load_safetensors(path); });
    CAPTURE(message);
    CHECK(contains(message, "safetensors file '" + path + "'"));
    CHECK(contains(message, corruption.expected_words));
  }
}

TEST_CASE("safetensors: a failed save leaves no file and no temporary file") {
  TempDir dir;
  const std::string path = dir.file("model.safetensors");
  const Tensor tensor = Tensor::zeros({2});
  const std::string in_missing_directory = dir.file("missing/model.safetensors");

  std::string message = error_message([&] {
    lethe::save_safetensors(in_missing_directory, {{"w", tensor}});
  });
  CHECK(contains(message, in_missing_directory));
  CHECK(contains(message, "No such file or directory"));

  message = error_message([&] { lethe::save_safetensors(path, {{"w", tensor}, {"w", tensor}}); });
  CHECK(contains(message, path));
  CHECK(contains(message, "tensor 'w': duplicate name"));

  message = error_message([&] { lethe::save_safetensors(path, {{"__metadata__", tensor}}); });
  CHECK(contains(message, "cannot be named __metadata__"));

  message = error_message([&] { lethe::save_safetensors(path, {{"w", Tensor()}}); });
  CHECK(contains(message, "tensor 'w': the tensor is undefined"));

  message = error_message([&] { lethe::save_safetensors(path, {{"bad\xff", tensor}}); });
  CHECK(contains(message, "not valid UTF-8"));

  CHECK(dir.entries().empty());
}

TEST_CASE("safetensors: a failed overwrite keeps the old file intact") {
  TempDir dir;
  const std::string path = dir.file("model.safetensors");
  const Tensor old_weights = patterned({4}, DType::f32, 9);
  lethe::save_safetensors(path, {{"w", old_weights}});
  const std::string old_bytes = read_bytes(path);

  SUBCASE("invalid tensor list") {
    CHECK_THROWS_AS(lethe::save_safetensors(path, {{"w", old_weights}, {"w", old_weights}}),
                    lethe::Error);
  }
  SUBCASE("writer abandoned halfway, as when an exception interrupts a save") {
    lethe::AtomicFileWriter writer(path);
    writer.write("partial", 7);
  }
  CHECK(read_bytes(path) == old_bytes);
  CHECK(same_bytes(lethe::load_safetensors(path).at("w"), old_weights));
  CHECK(dir.entries() == std::vector<std::string>{"model.safetensors"});
}

TEST_CASE("safetensors: AtomicFileWriter replaces the file only on commit") {
  TempDir dir;
  const std::string path = dir.file("data.bin");
  write_bytes(path, "old");
  {
    lethe::AtomicFileWriter writer(path);
    writer.write("new ", 4);
    writer.write("contents", 8);
    CHECK(read_bytes(path) == "old");
    writer.commit();
    CHECK_THROWS_AS(writer.write("x", 1), lethe::Error);
  }
  CHECK(read_bytes(path) == "new contents");
  CHECK(dir.entries() == std::vector<std::string>{"data.bin"});
}
