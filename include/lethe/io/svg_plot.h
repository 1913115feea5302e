// Line plots as self-contained SVG text (no external references), for experiment reports.
#pragma once
#include <string>
#include <vector>

namespace lethe {

struct PlotSeries {
  std::string name;
  std::vector<double> x, y;  // same length; NaN points are skipped
  std::string color;         // an SVG colour, e.g. "#1f77b4"
};

// A width x height plot with axes, min/max tick labels, a title and a legend.
std::string svg_line_plot(const std::string& title, const std::string& x_label,
                          const std::vector<PlotSeries>& series, int width = 560, int height = 320);

}  // namespace lethe
