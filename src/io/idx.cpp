#include <cstring>
#include <filesystem>
#include <fstream>

#include "lethe/io/atomic_file.h"
#include "lethe/io/image_dataset.h"

namespace lethe {
namespace {

constexpr uint32_t kLabelMagic = 0x00000801, kImageMagic = 0x00000803;

uint32_t read_big_endian(std::ifstream& file, const std::string& path, const char* what) {
  unsigned char bytes[4];
  file.read(reinterpret_cast<char*>(bytes), 4);
  LETHE_CHECK(file.gcount() == 4, "IDX file '", path, "': truncated while reading the ", what);
  return (uint32_t{bytes[0]} << 24) | (uint32_t{bytes[1]} << 16) | (uint32_t{bytes[2]} << 8) |
         bytes[3];
}

// Opens `path`, checks its magic and reads `rank` extents; returns them and leaves the stream at
// the data, checking that the file holds exactly the bytes they promise.
Shape open_idx(std::ifstream& file, const std::string& path, uint32_t magic, int rank) {
  file.open(path, std::ios::binary);
  LETHE_CHECK(file.good(), "cannot open IDX file '", path, "'");
  const uint32_t found = read_big_endian(file, path, "magic number");
  LETHE_CHECK(found == magic, "IDX file '", path, "': magic number 0x", std::hex, found,
              " is not 0x", magic, std::dec, " (", rank == 1 ? "ubyte labels" : "ubyte images",
              ")");
  Shape shape;
  for (int i = 0; i < rank; ++i) shape.push_back(read_big_endian(file, path, "dimensions"));
  const auto size = std::filesystem::file_size(path);
  const uint64_t expected = 4 + 4 * rank + static_cast<uint64_t>(shape_numel(shape));
  LETHE_CHECK(size == expected, "IDX file '", path, "': ", size, " bytes, but its header ",
              shape_str(shape), " needs ", expected, size < expected ? " (truncated)" : "");
  return shape;
}

void write_idx(const std::string& path, uint32_t magic, const Shape& shape, const void* data) {
  AtomicFileWriter writer(path);
  auto put = [&](uint32_t value) {
    const unsigned char bytes[4] = {
        static_cast<unsigned char>(value >> 24), static_cast<unsigned char>(value >> 16),
        static_cast<unsigned char>(value >> 8), static_cast<unsigned char>(value)};
    writer.write(bytes, 4);
  };
  put(magic);
  for (int64_t extent : shape) put(static_cast<uint32_t>(extent));
  writer.write(data, static_cast<size_t>(shape_numel(shape)));
  writer.commit();
}

}  // namespace

Tensor read_idx_images(const std::string& path) {
  std::ifstream file;
  const Shape shape = open_idx(file, path, kImageMagic, 3);
  Tensor images = Tensor::empty(shape, DType::u8);
  file.read(static_cast<char*>(images.raw_data()), static_cast<std::streamsize>(images.nbytes()));
  LETHE_CHECK(file.gcount() == static_cast<std::streamsize>(images.nbytes()), "IDX file '", path,
              "': truncated image data");
  return images;
}

Tensor read_idx_labels(const std::string& path) {
  std::ifstream file;
  const Shape shape = open_idx(file, path, kLabelMagic, 1);
  std::vector<unsigned char> bytes(static_cast<size_t>(shape[0]));
  file.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  LETHE_CHECK(file.gcount() == static_cast<std::streamsize>(bytes.size()), "IDX file '", path,
              "': truncated label data");
  return Tensor::from_vector(std::vector<int64_t>(bytes.begin(), bytes.end()), shape);
}

void write_idx_images(const std::string& path, const Tensor& images) {
  LETHE_CHECK(images.dtype() == DType::u8 && images.rank() == 3,
              "write_idx_images: expected u8 "
              "(N, H, W), got ",
              describe(images));
  write_idx(path, kImageMagic, images.shape(), images.raw_data());
}

void write_idx_labels(const std::string& path, const Tensor& labels) {
  LETHE_CHECK(labels.dtype() == DType::i64 && labels.rank() == 1,
              "write_idx_labels: expected "
              "i64 (N), got ",
              describe(labels));
  std::vector<unsigned char> bytes;
  for (int64_t i = 0; i < labels.numel(); ++i) {
    const int64_t label = labels.data<int64_t>()[i];
    LETHE_CHECK(label >= 0 && label <= 255, "write_idx_labels: label ", label, " at ", i,
                " does not fit a byte");
    bytes.push_back(static_cast<unsigned char>(label));
  }
  write_idx(path, kLabelMagic, labels.shape(), bytes.data());
}

ImageDataset load_idx_dataset(const std::string& dir, const std::string& split) {
  LETHE_CHECK(split == "train" || split == "test", "unknown data split '", split,
              "': expected train or test");
  const std::string prefix = dir + "/" + (split == "train" ? "train" : "t10k");
  const Tensor images = read_idx_images(prefix + "-images-idx3-ubyte");
  const Tensor labels = read_idx_labels(prefix + "-labels-idx1-ubyte");
  LETHE_CHECK(images.dim(0) == labels.dim(0), "data set '", dir, "' (", split, "): ", images.dim(0),
              " images but ", labels.dim(0), " labels");
  for (int64_t i = 0; i < labels.numel(); ++i) {
    const int64_t label = labels.data<int64_t>()[i];
    LETHE_CHECK(label >= 0 && label <= 9, "data set '", dir, "' (", split, "): label ", label,
                " of image ", i, " is not in 0..9");
  }
  return {images.reshape({images.dim(0), 1, images.dim(1), images.dim(2)}), labels};
}

}  // namespace lethe
