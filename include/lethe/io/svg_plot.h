// Line plots as self-contained SVG text (no external references), for experiment reports: nice
// ticks and grid lines on both axes, axis labels, optional error bars, and the legend below the
// axes so it never covers data.
#pragma once
#include <string>
#include <vector>

namespace lethe {

struct PlotSeries {
  std::string name;
  std::vector<double> x, y;  // same length; NaN points are skipped
  std::string color;         // an SVG colour, e.g. "#1f77b4"
  // Optional error bars: empty, or one (low, high) per point, drawn as capped vertical lines
  // (points with markers).
  std::vector<double> low = {}, high = {};
};

// Tick positions for an axis covering [low, high]: multiples of a step of 1, 2 or 5 times a power
// of ten chosen so that about `target` intervals span the range, from the last multiple <= low to
// the first >= high.
std::vector<double> nice_ticks(double low, double high, int target = 5);

// A width x height plot titled `title` with labelled axes (the y axis starts at its lowest tick).
std::string svg_line_plot(const std::string& title, const std::string& x_label,
                          const std::string& y_label, const std::vector<PlotSeries>& series,
                          int width = 560, int height = 340);

}  // namespace lethe
