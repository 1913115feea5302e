// One self-contained HTML page (no external references: PNGs inline as base64 data URIs, plots as
// inline SVG, styles in the page), built section by section, for `lethe report` and `lethe demo`.
#pragma once
#include <string>
#include <vector>

namespace lethe {

// RFC 4648 base64 of `bytes`.
std::string base64_encode(const std::string& bytes);
// Escapes &, <, >, " for HTML text and attribute values.
std::string html_escape(const std::string& text);

struct FigureImage {
  std::string caption;
  std::string png_path;  // read and inlined when the page is built
};

class HtmlReport {
 public:
  explicit HtmlReport(std::string title);
  void heading(const std::string& text);              // a section
  void paragraph(const std::string& text);            // escaped
  void command(const std::string& text);              // the command that reproduces a section
  void table(const std::vector<std::string>& header,  // escaped cells
             const std::vector<std::vector<std::string>>& rows);
  void images(const std::vector<FigureImage>& figures);  // side by side, each with its caption
  void svg(const std::string& svg_text);                 // an inline plot (svg_line_plot)
  void preformatted(const std::string& text);            // escaped, monospaced
  std::string html() const;
  void write(const std::string& path) const;  // atomically; prints "wrote PATH"

 private:
  std::string title_;
  std::string body_;
};

}  // namespace lethe
