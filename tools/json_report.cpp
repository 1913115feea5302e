#include "json_report.h"

#include <cstdio>

#include "lethe/atomic_file.h"

namespace lethe::tools {

void write_json(const std::string& path, const nlohmann::json& report) {
  if (path.empty()) return;
  const std::string text = report.dump(2) + "\n";
  AtomicFileWriter writer(path);
  writer.write(text.data(), text.size());
  writer.commit();
  std::printf("wrote %s\n", path.c_str());
}

}  // namespace lethe::tools
