// lethe report: the page for a tiny run has every section, every inline image decodes, nothing
// is referenced from outside the page; bad run directories are refused. A headless Chromium (when
// installed) loads the page and takes a screenshot.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STBI_ONLY_PNG
#define STBI_NO_STDIO
#include <stb/stb_image.h>

#include "cli_runner.h"
#include "digit_fixture.h"
#include "test_files.h"

namespace fs = std::filesystem;
using lethe::testing::fresh_dir;
using lethe::testing::read_text;

namespace {

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary);
  file << text;
}

// RFC 4648 base64 decoding; returns false on a character outside the alphabet.
bool base64_decode(const std::string& text, std::string* out) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  if (text.size() % 4 != 0) return false;
  out->clear();
  for (size_t i = 0; i < text.size(); i += 4) {
    int v[4];
    int padding = 0;
    for (int k = 0; k < 4; ++k) {
      if (text[i + k] == '=') {
        v[k] = 0;
        ++padding;
      } else if ((v[k] = value(text[i + k])) < 0) {
        return false;
      }
    }
    const uint32_t bits = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out->push_back(static_cast<char>(bits >> 16));
    if (padding < 2) out->push_back(static_cast<char>((bits >> 8) & 255));
    if (padding < 1) out->push_back(static_cast<char>(bits & 255));
  }
  return true;
}

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("lethe report: every section, decodable inline images, no external references") {
  const fs::path dir = fresh_dir("report");
  lethe::testing::write_digit_fixture(dir, 20);
  const fs::path run = dir / "run";
  const CommandResult train = run_lethe("train --config mnist-xs --steps 3 --batch 4 --out " +
                                        run.string() + " --data " + dir.string());
  REQUIRE_MESSAGE(train.exit_code == 0, train.output);
  const CommandResult sample =
      run_lethe("sample " + (run / "checkpoint.safetensors").string() +
                " --sampler ddim --steps 2 --labels 1,2 --n 2 --out " + (run / "own.png").string());
  REQUIRE_MESSAGE(sample.exit_code == 0, sample.output);
  write_text(run / "eval.json", "{\"ua\": 0.25, \"quality\": {\"cfid\": 12.5}, \"name\": \"x<y\"}");

  const CommandResult report = run_lethe("report " + run.string() + " --steps 2 --n 2");
  REQUIRE_MESSAGE(report.exit_code == 0, report.output);
  const std::string html = read_text(run / "report.html");
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  for (const char* section : {"<h2>Checkpoint</h2>", "<h2>Training log</h2>", "<h2>Samples</h2>",
                              "<h2>Figures: eval.json</h2>"})
    CHECK_MESSAGE(html.find(section) != std::string::npos, section);
  CHECK(html.find("<td>unet.name</td><td>mnist-xs</td>") != std::string::npos);
  CHECK(html.find("<td>/quality/cfid</td><td>12.5</td>") != std::string::npos);
  CHECK(html.find("<td>/name</td><td>x&lt;y</td>") != std::string::npos);
  CHECK(count(html, "<svg") >= 1);  // one plot per log column (the loss at least)
  CHECK(count(html, "<svg") == count(html, "</svg>"));

  // Two images: the sampled grid of the checkpoint and the run's own PNG; both decode.
  const std::string marker = "src=\"data:image/png;base64,";
  CHECK(count(html, marker) == 2);
  for (size_t at = html.find(marker); at != std::string::npos; at = html.find(marker, at + 1)) {
    const size_t begin = at + marker.size();
    const std::string encoded = html.substr(begin, html.find('"', begin) - begin);
    std::string png;
    REQUIRE(base64_decode(encoded, &png));
    int width = 0, height = 0, channels = 0;
    unsigned char* pixels =
        stbi_load_from_memory(reinterpret_cast<const unsigned char*>(png.data()),
                              static_cast<int>(png.size()), &width, &height, &channels, 0);
    CHECK(pixels != nullptr);
    CHECK(width > 0);
    CHECK(height > 0);
    stbi_image_free(pixels);
  }
  // Self-contained: nothing is loaded from elsewhere.
  for (const char* external :
       {"src=\"http", "src=\"file", "href=", "<link", "<script", "url(", "@import"})
    CHECK_MESSAGE(html.find(external) == std::string::npos, external);

  // A headless browser loads it and takes a screenshot (when Chromium is installed).
  if (std::system("command -v chromium >/dev/null 2>&1") == 0) {
    const fs::path shot = dir / "shot.png";
    const std::string command =
        "chromium --headless --no-sandbox --disable-gpu "
        "--hide-scrollbars --window-size=1200,900 --screenshot=" +
        shot.string() + " file://" + (run / "report.html").string() + " >" +
        (dir / "chromium.log").string() + " 2>&1";
    CHECK_MESSAGE(std::system(command.c_str()) == 0, read_text(dir / "chromium.log"));
    CHECK(fs::exists(shot));
    CHECK(fs::file_size(shot) > 1000);
  } else {
    MESSAGE("chromium is not installed: the browser check is skipped");
  }
  fs::remove_all(dir);
}

TEST_CASE("lethe report refuses what is not a run directory, and corrupt logs and JSON") {
  const fs::path dir = fresh_dir("report_bad");
  const CommandResult missing = run_lethe("report " + (dir / "none").string());
  CHECK(missing.exit_code != 0);
  CHECK(missing.contains("is not a directory"));
  const CommandResult empty = run_lethe("report " + dir.string());
  CHECK(empty.exit_code != 0);
  CHECK(empty.contains("holds no run"));
  write_text(dir / "log.csv", "step,loss\n1,0.5\n2,0.4,9\n");
  const CommandResult log = run_lethe("report " + dir.string());
  CHECK(log.exit_code != 0);
  CHECK(log.contains("line 3 has 3 fields, the header 2"));
  CHECK_FALSE(fs::exists(dir / "report.html"));
  write_text(dir / "log.csv", "step,loss\n1,0.5\n");
  write_text(dir / "eval.json", "{\"ua\": ");
  const CommandResult json = run_lethe("report " + dir.string());
  CHECK(json.exit_code != 0);
  CHECK(json.contains("is not valid JSON"));
  CHECK_FALSE(fs::exists(dir / "report.html"));
  CHECK(run_lethe("report --help").contains("--no-sample"));
  fs::remove_all(dir);
}
