// SVG line plots: tick placement, axis labels, error bars, and a legend that stays off the data.
#include <doctest/doctest.h>

#include <cmath>
#include <regex>
#include <string>

#include "lethe/io/svg_plot.h"

using namespace lethe;

namespace {

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("nice_ticks: steps of 1, 2 or 5 times a power of ten covering the range") {
  const std::vector<double> unit = nice_ticks(0.03, 0.97);  // raw step 0.188 -> 0.2
  REQUIRE(unit.size() == 6);
  for (size_t i = 0; i < unit.size(); ++i) CHECK(unit[i] == doctest::Approx(0.2 * i));
  const std::vector<double> large = nice_ticks(0, 1234);  // raw 246.8 -> 200, up to 1400
  CHECK(large.front() == 0);
  CHECK(large.back() == doctest::Approx(1400));
  CHECK(large.size() == 8);
  const std::vector<double> negative = nice_ticks(-3.2, 7.9);  // raw 2.22 -> 2
  CHECK(negative.front() == doctest::Approx(-4));
  CHECK(negative.back() == doctest::Approx(8));
  const std::vector<double> flat = nice_ticks(5, 5);  // an empty range becomes [5, 6]
  CHECK(flat.front() == doctest::Approx(5));
  CHECK(flat.back() == doctest::Approx(6));
}

TEST_CASE("svg_line_plot: labelled axes, tick labels, error bars, legend below the axes") {
  PlotSeries guided{"guided", {0, 5, 10}, {31, 65, 81}, "#1f77b4", {27, 61, 77}, {35, 69, 85}};
  PlotSeries plain{"unguided", {0, 5, 10}, {10, NAN, 40}, "#ff7f0e"};
  const std::string svg =
      svg_line_plot("accuracy <per mark>", "training minutes", "accuracy (%)", {guided, plain});
  CHECK(svg.rfind("<svg", 0) == 0);
  CHECK(svg.find("accuracy &lt;per mark&gt;") != std::string::npos);  // escaped title
  CHECK(svg.find(">training minutes</text>") != std::string::npos);
  CHECK(svg.find("rotate(-90") != std::string::npos);
  CHECK(svg.find(">accuracy (%)</text>") != std::string::npos);
  CHECK(count(svg, "class=\"error-bar\"") == 3);  // one per point of the series that has bars
  for (const char* tick : {">0</text>", ">20</text>", ">80</text>", ">100</text>", ">10</text>"})
    CHECK_MESSAGE(svg.find(tick) != std::string::npos, tick);
  // The legend's labels sit below the x axis label (larger y), never inside the axes.
  const std::regex axis_label("<text x=\"[0-9.]+\" y=\"([0-9.]+)\" text-anchor=\"middle\">training");
  const std::regex legend("<text x=\"[0-9.]+\" y=\"([0-9.]+)\" text-anchor=\"start\">guided");
  std::smatch axis_match, legend_match;
  REQUIRE(std::regex_search(svg, axis_match, axis_label));
  REQUIRE(std::regex_search(svg, legend_match, legend));
  CHECK(std::stod(legend_match[1]) > std::stod(axis_match[1]));
}
