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

std::string text_element(double x, double y, const std::string& anchor, const std::string& text,
                         const std::string& extra = "") {
  return "<text x=\"" + number(x) + "\" y=\"" + number(y) + "\" text-anchor=\"" + anchor + "\"" +
         extra + ">" + html_escape(text) + "</text>\n";
}

std::string line_element(double x1, double y1, double x2, double y2, const std::string& stroke) {
  return "<line x1=\"" + number(x1) + "\" y1=\"" + number(y1) + "\" x2=\"" + number(x2) +
         "\" y2=\"" + number(y2) + "\" stroke=\"" + stroke + "\"/>\n";
}

bool has_bars(const PlotSeries& s) {
  return !s.low.empty() && s.low.size() == s.high.size();
}

}  // namespace

std::vector<double> nice_ticks(double low, double high, int target) {
  if (!(high > low)) high = low + 1;
  const double raw = (high - low) / std::max(1, target);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double residual = raw / magnitude;
  const double step = magnitude * (residual < 1.5 ? 1 : residual < 3 ? 2 : residual < 7 ? 5 : 10);
  const double first = std::floor(low / step + 1e-9), last = std::ceil(high / step - 1e-9);
  std::vector<double> ticks;
  for (double k = first; k <= last; ++k) ticks.push_back(k * step == 0 ? 0 : k * step);
  return ticks;
}

std::string svg_line_plot(const std::string& title, const std::string& x_label,
                          const std::string& y_label, const std::vector<PlotSeries>& series,
                          int width, int height) {
  double x_min = std::numeric_limits<double>::infinity(), x_max = -x_min;
  double y_min = x_min, y_max = -x_min;
  auto extend = [](double value, double& low, double& high) {
    if (!std::isfinite(value)) return;
    low = std::min(low, value);
    high = std::max(high, value);
  };
  for (const PlotSeries& s : series) {
    for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      extend(s.x[i], x_min, x_max);
      extend(s.y[i], y_min, y_max);
      if (has_bars(s) && i < s.low.size()) {
        extend(s.low[i], y_min, y_max);
        extend(s.high[i], y_min, y_max);
      }
    }
  }
  if (!std::isfinite(x_min)) x_min = 0, x_max = 1, y_min = 0, y_max = 1;
  const std::vector<double> x_ticks = nice_ticks(x_min, x_max);
  const std::vector<double> y_ticks = nice_ticks(y_min, y_max);
  x_min = x_ticks.front(), x_max = x_ticks.back();
  y_min = y_ticks.front(), y_max = y_ticks.back();

  // The legend takes one row of up to three entries per line below the x label.
  const int legend_rows = static_cast<int>((series.size() + 2) / 3);
  const double left = 70, right = width - 16, top = 30;
  const double bottom = height - 48 - 16.0 * legend_rows;
  auto px = [&](double x) { return left + (x - x_min) / (x_max - x_min) * (right - left); };
  auto py = [&](double y) { return bottom - (y - y_min) / (y_max - y_min) * (bottom - top); };

  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(width) +
                    "\" height=\"" + std::to_string(height) +
                    "\" font-family=\"sans-serif\" font-size=\"11\">\n"
                    "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg += text_element(width / 2.0, 18, "middle", title, " font-size=\"13\"");
  for (double tick : y_ticks) {
    svg += line_element(left, py(tick), right, py(tick), "#e5e5e5");
    svg += text_element(left - 5, py(tick) + 4, "end", number(tick));
  }
  for (double tick : x_ticks) {
    svg += line_element(px(tick), top, px(tick), bottom, "#e5e5e5");
    svg += text_element(px(tick), bottom + 14, "middle", number(tick));
  }
  svg += "<path d=\"M" + number(left) + "," + number(top) + " L" + number(left) + "," +
         number(bottom) + " L" + number(right) + "," + number(bottom) +
         "\" stroke=\"#444\" fill=\"none\"/>\n";
  svg += text_element((left + right) / 2, bottom + 30, "middle", x_label);
  const double y_centre = (top + bottom) / 2;
  svg += text_element(16, y_centre, "middle", y_label,
                      " transform=\"rotate(-90 16 " + number(y_centre) + ")\"");
  for (size_t k = 0; k < series.size(); ++k) {
    const PlotSeries& s = series[k];
    std::string path;
    for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      const double x = px(s.x[i]), y = py(s.y[i]);
      path += (path.empty() ? "M" : " L") + number(x) + "," + number(y);
      if (!has_bars(s) || i >= s.low.size()) continue;
      svg += "<g class=\"error-bar\" stroke=\"" + s.color + "\">" +
             line_element(x, py(s.low[i]), x, py(s.high[i]), s.color) +
             line_element(x - 3, py(s.low[i]), x + 3, py(s.low[i]), s.color) +
             line_element(x - 3, py(s.high[i]), x + 3, py(s.high[i]), s.color) + "</g>\n";
      svg += "<circle cx=\"" + number(x) + "\" cy=\"" + number(y) + "\" r=\"2.5\" fill=\"" +
             s.color + "\"/>\n";
    }
    svg += "<path d=\"" + path + "\" stroke=\"" + s.color +
           "\" stroke-width=\"1.2\" fill=\"none\"/>\n";
    const double legend_x = left + (right - left) / 3 * (k % 3);
    const double legend_y = bottom + 48 + 16.0 * (k / 3);
    svg += "<rect x=\"" + number(legend_x) + "\" y=\"" + number(legend_y - 9) +
           "\" width=\"10\" height=\"10\" fill=\"" + s.color + "\"/>\n";
    svg += text_element(legend_x + 14, legend_y, "start", s.name);
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace lethe
