#include "lethe/io/json_report.h"

#include <cstdio>

#include "lethe/io/atomic_file.h"

namespace lethe {

void write_text(const std::string& path, const std::string& text) {
  if (path.empty()) return;
  AtomicFileWriter writer(path);
  writer.write(text.data(), text.size());
  writer.commit();
  std::printf("wrote %s\n", path.c_str());
}

void write_json(const std::string& path, const nlohmann::json& report) {
  write_text(path, report.dump(2) + "\n");
}

std::string format_number(const nlohmann::json& value, const char* format) {
  if (value.is_null()) return "-";
  char text[32];
  std::snprintf(text, sizeof text, format, value.get<double>());
  return text;
}

std::string format_rate(const nlohmann::json& rate) {
  if (rate.is_null()) return "-";
  char text[64];
  std::snprintf(text, sizeof text, "%.3f [%.3f, %.3f]", rate["rate"].get<double>(),
                rate["ci95"][0].get<double>(), rate["ci95"][1].get<double>());
  return text;
}

}  // namespace lethe
