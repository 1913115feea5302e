#include "lethe/io/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "lethe/io/html_report.h"

namespace lethe {

namespace {
std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", value);
  return text;
}
}  // namespace

std::string svg_line_plot(const std::string& title, const std::string& x_label,
                          const std::vector<PlotSeries>& series, int width, int height) {
  double x_min = std::numeric_limits<double>::infinity(), x_max = -x_min;
  double y_min = x_min, y_max = -x_min;
  for (const PlotSeries& s : series)
    for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      x_min = std::min(x_min, s.x[i]);
      x_max = std::max(x_max, s.x[i]);
      y_min = std::min(y_min, s.y[i]);
      y_max = std::max(y_max, s.y[i]);
    }
  if (!std::isfinite(x_min)) x_min = 0, x_max = 1, y_min = 0, y_max = 1;
  if (x_max == x_min) x_max = x_min + 1;
  if (y_max == y_min) y_max = y_min + 1;
  const double left = 64, right = width - 12, top = 28, bottom = height - 40;
  auto px = [&](double x) { return left + (x - x_min) / (x_max - x_min) * (right - left); };
  auto py = [&](double y) { return bottom - (y - y_min) / (y_max - y_min) * (bottom - top); };

  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(width) +
                    "\" height=\"" + std::to_string(height) +
                    "\" font-family=\"sans-serif\" font-size=\"11\">\n"
                    "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg += "<text x=\"" + number(width / 2.0) +
         "\" y=\"16\" text-anchor=\"middle\" font-size=\"13\">" + html_escape(title) + "</text>\n";
  svg += "<path d=\"M" + number(left) + "," + number(top) + " L" + number(left) + "," +
         number(bottom) + " L" + number(right) + "," + number(bottom) +
         "\" stroke=\"#444\" fill=\"none\"/>\n";
  svg += "<text x=\"" + number(left - 4) + "\" y=\"" + number(top + 4) + "\" text-anchor=\"end\">" +
         number(y_max) + "</text>\n";
  svg += "<text x=\"" + number(left - 4) + "\" y=\"" + number(bottom) + "\" text-anchor=\"end\">" +
         number(y_min) + "</text>\n";
  svg += "<text x=\"" + number(left) + "\" y=\"" + number(bottom + 14) + "\">" + number(x_min) +
         "</text>\n";
  svg += "<text x=\"" + number(right) + "\" y=\"" + number(bottom + 14) +
         "\" text-anchor=\"end\">" + number(x_max) + "</text>\n";
  svg += "<text x=\"" + number((left + right) / 2) + "\" y=\"" + number(bottom + 28) +
         "\" text-anchor=\"middle\">" + html_escape(x_label) + "</text>\n";
  for (size_t k = 0; k < series.size(); ++k) {
    const PlotSeries& s = series[k];
    std::string path;
    for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      path += (path.empty() ? "M" : " L") + number(px(s.x[i])) + "," + number(py(s.y[i]));
    }
    svg += "<path d=\"" + path + "\" stroke=\"" + s.color +
           "\" stroke-width=\"1.2\" fill=\"none\"/>\n";
    const double legend_y = top + 4 + 14.0 * k;
    svg += "<rect x=\"" + number(right - 150) + "\" y=\"" + number(legend_y - 8) +
           "\" width=\"10\" height=\"10\" fill=\"" + s.color + "\"/>\n";
    svg += "<text x=\"" + number(right - 136) + "\" y=\"" + number(legend_y + 1) + "\">" +
           html_escape(s.name) + "</text>\n";
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace lethe
