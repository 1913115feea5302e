#include "lethe/io/html_report.h"

#include <fstream>
#include <sstream>

#include "lethe/core/error.h"
#include "lethe/io/json_report.h"

namespace lethe {

std::string base64_encode(const std::string& bytes) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) |
                       (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                       static_cast<uint8_t>(bytes[i + 2]);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    if (rest == 2) v |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += rest == 2 ? alphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

HtmlReport::HtmlReport(std::string title) : title_(std::move(title)) {}

void HtmlReport::heading(const std::string& text) {
  body_ += "<h2>" + html_escape(text) + "</h2>\n";
}

void HtmlReport::paragraph(const std::string& text) {
  body_ += "<p>" + html_escape(text) + "</p>\n";
}

void HtmlReport::command(const std::string& text) {
  body_ += "<p class=\"command\">Reproduce: <code>" + html_escape(text) + "</code></p>\n";
}

void HtmlReport::table(const std::vector<std::string>& header,
                       const std::vector<std::vector<std::string>>& rows) {
  body_ += "<table>\n<tr>";
  for (const std::string& cell : header) body_ += "<th>" + html_escape(cell) + "</th>";
  body_ += "</tr>\n";
  for (const auto& row : rows) {
    body_ += "<tr>";
    for (const std::string& cell : row) body_ += "<td>" + html_escape(cell) + "</td>";
    body_ += "</tr>\n";
  }
  body_ += "</table>\n";
}

void HtmlReport::images(const std::vector<FigureImage>& figures) {
  body_ += "<div class=\"figures\">\n";
  for (const FigureImage& figure : figures) {
    std::ifstream file(figure.png_path, std::ios::binary);
    LETHE_CHECK(file.good(), "report: cannot read the image '", figure.png_path, "'");
    const std::string bytes((std::istreambuf_iterator<char>(file)),
                            std::istreambuf_iterator<char>());
    LETHE_CHECK(bytes.size() >= 8 && bytes.compare(1, 3, "PNG") == 0, "report: '", figure.png_path,
                "' is not a PNG file");
    body_ += "<figure><img alt=\"" + html_escape(figure.caption) +
             "\" src=\"data:image/png;base64," + base64_encode(bytes) + "\"><figcaption>" +
             html_escape(figure.caption) + "</figcaption></figure>\n";
  }
  body_ += "</div>\n";
}

void HtmlReport::svg(const std::string& svg_text) {
  body_ += "<div class=\"plot\">" + svg_text + "</div>\n";
}

void HtmlReport::preformatted(const std::string& text) {
  body_ += "<pre>" + html_escape(text) + "</pre>\n";
}

std::string HtmlReport::html() const {
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" +
         html_escape(title_) +
         "</title>\n<style>\n"
         "body { font-family: sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }\n"
         "table { border-collapse: collapse; margin: 1em 0; }\n"
         "th, td { border: 1px solid #bbb; padding: 4px 8px; text-align: left; }\n"
         "th { background: #eee; }\n"
         ".figures { display: flex; flex-wrap: wrap; gap: 16px; }\n"
         "figure { margin: 0; text-align: center; }\n"
         "img { image-rendering: pixelated; border: 1px solid #ccc; min-width: 200px; }\n"
         ".plot { display: inline-block; margin: 4px; }\n"
         ".command code { background: #f4f4f4; padding: 2px 4px; }\n"
         "pre { background: #f4f4f4; padding: 8px; overflow-x: auto; }\n"
         "</style>\n</head>\n<body>\n<h1>" +
         html_escape(title_) + "</h1>\n" + body_ + "</body>\n</html>\n";
}

void HtmlReport::write(const std::string& path) const {
  write_text(path, html());
}

}  // namespace lethe
