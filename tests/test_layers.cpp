// The layering rule: each layer includes only its own headers and those of the layers it links,
// directly or through them. CMakeLists.txt declares the layers and writes the table it built them
// from to build/layers.txt; this test reads that table and checks every #include "lethe/..." and
// "kernels/..." in src/ and include/lethe/, so the rule survives a contributor who bypasses the
// include roots (a relative path, a new folder, an edited include path).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

struct Layer {
  std::vector<std::string> folders;               // under include/lethe/ and src/
  std::vector<std::string> dependencies;          // the layers it links directly, PUBLIC
  std::vector<std::string> private_dependencies;  // the layers only its own sources see
};

std::vector<std::string> words(const std::string& text) {
  std::istringstream stream(text);
  std::vector<std::string> out;
  for (std::string word; stream >> word;) out.push_back(word);
  return out;
}

// "name | folders | dependencies | private dependencies" per line; '#' starts a comment line.
std::map<std::string, Layer> read_layer_table(const fs::path& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "no layer table at ", path.string());
  std::map<std::string, Layer> layers;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const size_t first = line.find('|'), second = line.find('|', first + 1),
                 third = line.find('|', second + 1);
    REQUIRE_MESSAGE(third != std::string::npos, "bad layer table line: ", line);
    const std::vector<std::string> name = words(line.substr(0, first));
    REQUIRE(name.size() == 1);
    layers[name[0]] = {words(line.substr(first + 1, second - first - 1)),
                       words(line.substr(second + 1, third - second - 1)),
                       words(line.substr(third + 1))};
  }
  return layers;
}

// The folders a layer may include: its own, those of the layers it links (publicly or
// privately), and those of the layers they link publicly, recursively. A private dependency of a
// layer below is not visible.
std::set<std::string> visible_folders(const std::map<std::string, Layer>& layers,
                                      const std::string& name) {
  const Layer& own = layers.at(name);
  std::set<std::string> folders(own.folders.begin(), own.folders.end()), seen;
  std::vector<std::string> pending = own.dependencies;
  pending.insert(pending.end(), own.private_dependencies.begin(), own.private_dependencies.end());
  while (!pending.empty()) {
    const std::string current = pending.back();
    pending.pop_back();
    if (!seen.insert(current).second) continue;
    const Layer& layer = layers.at(current);
    folders.insert(layer.folders.begin(), layer.folders.end());
    pending.insert(pending.end(), layer.dependencies.begin(), layer.dependencies.end());
  }
  return folders;
}

struct Include {
  std::string file, target;  // target: a layer folder, "kernels", or "outside"
};

// The folder a relative include ("../x.h") lands in: a layer folder under src/ or include/lethe/,
// "kernels", or "outside" for anything else.
std::string folder_of(const fs::path& source_dir, const fs::path& target) {
  const fs::path path = fs::weakly_canonical(target);
  for (const fs::path& root : {source_dir / "src", source_dir / "include/lethe"}) {
    const fs::path relative = path.lexically_relative(fs::weakly_canonical(root));
    if (!relative.empty() && *relative.begin() != "..") return relative.begin()->string();
  }
  const fs::path kernels = path.lexically_relative(fs::weakly_canonical(source_dir / "kernels"));
  return !kernels.empty() && *kernels.begin() != ".." ? "kernels" : "outside";
}

// The layer folders that the files under `root` include: "lethe/<folder>/...", "kernels/..." and
// relative paths that climb out of their directory.
std::vector<Include> lethe_includes(const fs::path& source_dir, const fs::path& root) {
  static const std::regex pattern(
      R"re(#include\s+"(?:lethe/([a-z_]+)/|(kernels)/|(\.\./[^"]+)))re");
  std::vector<Include> found;
  if (!fs::exists(root)) return found;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path());
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    for (std::sregex_iterator it(text.begin(), text.end(), pattern), end; it != end; ++it) {
      const std::string target =
          (*it)[1].matched   ? (*it)[1].str()
          : (*it)[2].matched ? "kernels"
                             : folder_of(source_dir, entry.path().parent_path() / (*it)[3].str());
      found.push_back({entry.path().string(), target});
    }
  }
  return found;
}

// Every include under the layers' folders that reaches a folder the layer cannot see.
std::vector<std::string> upward_includes(const fs::path& source_dir,
                                         const std::map<std::string, Layer>& layers) {
  std::vector<std::string> violations;
  for (const auto& [name, layer] : layers) {
    std::set<std::string> visible = visible_folders(layers, name);
    if (name == "cuda") visible.insert("kernels");  // the device code, the cuda layer's own
    for (const std::string& folder : layer.folders) {
      for (const fs::path& root :
           {source_dir / "src" / folder, source_dir / "include/lethe" / folder}) {
        for (const Include& include : lethe_includes(source_dir, root)) {
          if (!visible.count(include.target)) {
            violations.push_back(include.file + " (layer " + name + ") includes " + include.target +
                                 "/");
          }
        }
      }
    }
  }
  return violations;
}

}  // namespace

TEST_CASE("layers: no file includes a layer above its own") {
  const auto layers = read_layer_table(fs::path(LETHE_BINARY_DIR) / "layers.txt");
  REQUIRE(layers.count("core"));
  REQUIRE(layers.at("core").dependencies.empty());
  for (const std::string& violation : upward_includes(LETHE_SOURCE_DIR, layers)) {
    FAIL_CHECK(violation);
  }
}

TEST_CASE("layers: every folder of src/ and include/lethe/ belongs to exactly one layer") {
  const auto layers = read_layer_table(fs::path(LETHE_BINARY_DIR) / "layers.txt");
  std::map<std::string, std::string> owner;
  for (const auto& [name, layer] : layers) {
    for (const std::string& folder : layer.folders) {
      CHECK_MESSAGE(owner.emplace(folder, name).second, folder, " is claimed twice");
    }
  }
  for (const char* root : {"src", "include/lethe"}) {
    for (const auto& entry : fs::directory_iterator(fs::path(LETHE_SOURCE_DIR) / root)) {
      if (!entry.is_directory()) continue;
      CHECK_MESSAGE(owner.count(entry.path().filename().string()), entry.path().string(),
                    " belongs to no layer in CMakeLists.txt");
    }
  }
}

TEST_CASE("layers: each layer's include root holds its own folders and nothing else") {
  const auto layers = read_layer_table(fs::path(LETHE_BINARY_DIR) / "layers.txt");
  for (const auto& [name, layer] : layers) {
    CAPTURE(name);
    const fs::path root = fs::path(LETHE_BINARY_DIR) / "include-roots" / name / "lethe";
    std::set<std::string> present;
    for (const auto& entry : fs::directory_iterator(root)) {
      present.insert(entry.path().filename().string());
    }
    CHECK(present == std::set<std::string>(layer.folders.begin(), layer.folders.end()));
  }
}

TEST_CASE("layers: the checker finds an upward include") {
  const fs::path tree = fs::temp_directory_path() / "lethe_layers_check";
  fs::remove_all(tree);
  fs::create_directories(tree / "src/low");
  fs::create_directories(tree / "include/lethe/high");
  std::ofstream(tree / "src/low/a.cpp") << "#include \"lethe/high/b.h\"\n";
  std::ofstream(tree / "include/lethe/high/b.h") << "#include \"lethe/low/a.h\"\n";
  fs::create_directories(tree / "src/low/inner");
  std::ofstream(tree / "src/low/inner/c.cpp") << "#include \"../../high/d.h\"\n";
  // A private dependency stays hidden from the layer above: top -> middle -(private)-> low.
  fs::create_directories(tree / "src/top");
  std::ofstream(tree / "src/top/e.cpp")
      << "#include \"lethe/middle/f.h\"\n#include \"lethe/low/g.h\"\n";
  const std::map<std::string, Layer> layers{{"low", {{"low"}, {}, {}}},
                                            {"high", {{"high"}, {"low"}, {}}},
                                            {"middle", {{"middle"}, {}, {"low"}}},
                                            {"top", {{"top"}, {"middle"}, {}}}};
  const std::vector<std::string> violations = upward_includes(tree, layers);
  REQUIRE(violations.size() == 3);
  std::string all = violations[0] + "\n" + violations[1] + "\n" + violations[2];
  CHECK(all.find("a.cpp (layer low) includes high/") != std::string::npos);
  CHECK(all.find("c.cpp (layer low) includes high/") != std::string::npos);
  CHECK(all.find("e.cpp (layer top) includes low/") != std::string::npos);
  fs::remove_all(tree);
}
