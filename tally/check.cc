#include "tally/check.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "geo/error.h"

namespace bw {

namespace {

constexpr const char* kStage = "tally.check";

std::string Trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\r\n");
  if (a == std::string::npos) return {};
  const size_t b = s.find_last_not_of(" \t\r\n");
  return s.substr(a, b - a + 1);
}

bool IsState(const std::string& s) {
  return s == "empty" || s == "partial" || s == "full" || s == "unknown";
}

bool IsTransition(const std::string& s) {
  const size_t arrow = s.find("->");
  if (arrow == std::string::npos) return false;
  return IsState(Trim(s.substr(0, arrow))) && IsState(Trim(s.substr(arrow + 2)));
}

std::string NormalizeTransition(const std::string& s) {
  const size_t arrow = s.find("->");
  return Trim(s.substr(0, arrow)) + "->" + Trim(s.substr(arrow + 2));
}

std::optional<TimePoint> ParseDay(const std::string& text) {
  int y = 0, m = 0, d = 0;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%d-%d-%d%c", &y, &m, &d, &tail) == 3) {
    using namespace std::chrono;
    const year_month_day ymd{year{y}, month{static_cast<unsigned>(m)},
                             day{static_cast<unsigned>(d)}};
    if (!ymd.ok()) return std::nullopt;
    return TimePoint{sys_days{ymd}};
  }
  return ParseTime(text);
}

bool IsCount(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string Days(double days) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), days < 10 ? "%.1f" : "%.0f", days);
  return buf;
}

bool Compare(double seen_low, double seen_high, const std::string& op, double n, double tol) {
  if (op == "=") return seen_low <= n && n <= seen_high;
  if (op == ">") return seen_high > n;
  if (op == ">=") return seen_high >= n;
  if (op == "<") return seen_low < n;
  if (op == "<=") return seen_low <= n;
  if (op == "~") return seen_low <= n * (1 + tol) && n * (1 - tol) <= seen_high;
  return false;
}

std::string OpWords(const std::string& op) {
  if (op == "=") return "exactly";
  if (op == ">") return "more than";
  if (op == ">=") return "at least";
  if (op == "<") return "fewer than";
  if (op == "<=") return "at most";
  return "about";
}

// Share of uniformly random arrivals in [start - dwell, end] for which a stay of `dwell`
// seconds covers at least one view time.
double DetectProbability(const std::vector<double>& views, double start, double end, double dwell) {
  const double lo = start - dwell;
  const double span = end - lo;
  if (span <= 0) return 1.0;
  double covered = 0.0;
  double cur_a = 0.0, cur_b = -1.0;
  bool have = false;
  for (double t : views) {
    const double a = std::max(lo, t - dwell);
    const double b = std::min(end, t);
    if (b <= a) continue;
    if (have && a <= cur_b) {
      cur_b = std::max(cur_b, b);
    } else {
      if (have) covered += cur_b - cur_a;
      cur_a = a;
      cur_b = b;
      have = true;
    }
  }
  if (have) covered += cur_b - cur_a;
  return std::clamp(covered / span, 0.0, 1.0);
}

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const size_t i = static_cast<size_t>(std::floor(pos));
  const size_t j = std::min(v.size() - 1, i + 1);
  return v[i] + (v[j] - v[i]) * (pos - static_cast<double>(i));
}

}  // namespace

std::vector<ClaimItem> ParseClaim(const std::string& claim) {
  if (Trim(claim).empty()) {
    throw InputError(kStage, "", "empty claim (expected e.g. \"visits=43,vessels>12\")");
  }
  std::vector<ClaimItem> items;
  std::stringstream ss(claim);
  std::string part;
  while (std::getline(ss, part, ',')) {
    const std::string text = Trim(part);
    if (text.empty()) throw InputError(kStage, "", "claim '" + claim + "' has an empty item");
    size_t pos = std::string::npos;
    for (size_t i = 0; i < text.size(); ++i) {
      const char c = text[i];
      if (c == '>' && i > 0 && text[i - 1] == '-') continue;  // the arrow of a transition
      if (c == '<' || c == '>' || c == '=' || c == '~') {
        pos = i;
        break;
      }
    }
    if (pos == std::string::npos || pos == 0) {
      throw InputError(kStage, "",
                       "claim item '" + text + "' needs KEY OP VALUE with OP one of = < > <= >= ~");
    }
    ClaimItem item;
    item.text = text;
    item.key = Trim(text.substr(0, pos));
    item.op = text.substr(pos, 1);
    size_t vstart = pos + 1;
    if ((item.op == "<" || item.op == ">") && vstart < text.size() && text[vstart] == '=') {
      item.op += "=";
      ++vstart;
    }
    item.value = Trim(text.substr(vstart));
    if (item.value.empty()) {
      throw InputError(kStage, "", "claim item '" + text + "' has no value");
    }
    if (item.key == "tankers" || item.key == "vessel" || item.key == "ships") item.key = "vessels";
    if (item.key == "visit") item.key = "visits";
    if (item.key == "visits" || item.key == "vessels" || IsTransition(item.key)) {
      if (IsTransition(item.key)) item.key = NormalizeTransition(item.key);
      if (!IsCount(item.value)) {
        throw InputError(kStage, "",
                         "claim item '" + text + "': '" + item.value + "' is not a count");
      }
    } else if (item.key == "period") {
      if (item.op != "=") {
        throw InputError(kStage, "", "claim item '" + text + "': period takes only '='");
      }
      const size_t slash = item.value.find('/');
      if (slash == std::string::npos || !ParseDay(Trim(item.value.substr(0, slash))) ||
          !ParseDay(Trim(item.value.substr(slash + 1)))) {
        throw InputError(kStage, "",
                         "claim item '" + text +
                             "': period must be START/END dates, e.g. "
                             "2024-03-07/2024-11-05");
      }
    } else if (item.key == "pattern") {
      if (item.op != "=" || !IsTransition(item.value)) {
        throw InputError(kStage, "",
                         "claim item '" + text +
                             "': pattern must be '=STATE->STATE' with "
                             "states empty, partial, full, unknown");
      }
      item.value = NormalizeTransition(item.value);
    } else {
      throw InputError(kStage, "",
                       "claim item '" + text + "': unknown key '" + item.key +
                           "' (known: visits, vessels, period, pattern, STATE->STATE)");
    }
    items.push_back(item);
  }
  return items;
}

void CheckOptions::Check() const {
  if (iterations < 100 || !(interval > 0 && interval < 1) || approx_tolerance < 0 ||
      !(max_dwell_days > 0)) {
    throw InputError(kStage, "", "check options out of range");
  }
}

MissedVisitEstimate EstimateMissedVisits(const TallyResult& result, const CheckOptions& options) {
  options.Check();
  MissedVisitEstimate est;
  est.observed = static_cast<int>(result.visits.size());
  est.mean_total = est.observed;
  est.median_total = est.low_total = est.high_total = est.observed;

  std::vector<double> gaps;
  std::map<std::string, std::vector<double>> views;
  for (const auto& [berth, times] : result.views_by_berth) {
    auto& v = views[berth];
    for (TimePoint t : times) v.push_back(static_cast<double>(t.time_since_epoch().count()));
    for (size_t i = 1; i < v.size(); ++i) gaps.push_back((v[i] - v[i - 1]) / 86400.0);
  }
  est.median_view_gap_days = Percentile(gaps, 0.5);
  if (result.visits.empty() || !result.period_start) return est;

  const double start = static_cast<double>(result.period_start->time_since_epoch().count());
  const double end = static_cast<double>(result.period_end->time_since_epoch().count());
  const double max_dwell = options.max_dwell_days * 86400.0;

  struct Bounds {
    double lo, hi;
    const std::vector<double>* views;
  };
  std::vector<Bounds> bounds;
  std::vector<double> mids;
  // Without a view before (after) the visit, assume one a typical gap earlier (later).
  const double typical_gap = std::max(86400.0, 86400.0 * est.median_view_gap_days);
  for (const Visit& v : result.visits) {
    const double first = static_cast<double>(v.first_seen.time_since_epoch().count());
    const double last = static_cast<double>(v.last_seen.time_since_epoch().count());
    const double before = v.view_before
                              ? static_cast<double>(v.view_before->time_since_epoch().count())
                              : first - typical_gap;
    const double after = v.view_after
                             ? static_cast<double>(v.view_after->time_since_epoch().count())
                             : last + typical_gap;
    const double lo = last - first;
    const double hi = std::max(lo, std::min(after - before, lo + max_dwell));
    bounds.push_back({lo, hi, &views[v.berth]});
    mids.push_back(0.5 * (lo + hi) / 86400.0);
  }
  est.median_dwell_days = Percentile(mids, 0.5);

  std::mt19937_64 rng(options.seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<double> totals;
  totals.reserve(static_cast<size_t>(options.iterations));
  double p_sum = 0.0;
  for (int it = 0; it < options.iterations; ++it) {
    double total = 0.0;
    for (const Bounds& b : bounds) {
      // A visit seen once lasted at least part of the gap around it: the shortest quarter of
      // the range would make it a lucky catch, weighted by 1/p beyond what the data support.
      const double dwell = b.lo + (b.hi - b.lo) * (0.25 + 0.75 * unit(rng));
      const double p = std::max(0.05, DetectProbability(*b.views, start, end, dwell));
      p_sum += p;
      // Unseen visits this one stands for: Geometric(p) failures before the first success.
      const double u = std::max(1e-12, unit(rng));
      const double missed = p >= 1.0 ? 0.0 : std::floor(std::log(u) / std::log1p(-p));
      total += 1.0 + missed;
    }
    totals.push_back(total);
  }
  const double tail = 0.5 * (1.0 - options.interval);
  double mean = 0.0;
  for (double t : totals) mean += t;
  est.mean_total = mean / static_cast<double>(totals.size());
  est.median_total = static_cast<int>(std::lround(Percentile(totals, 0.5)));
  est.low_total = static_cast<int>(std::floor(Percentile(totals, tail)));
  est.high_total = static_cast<int>(std::ceil(Percentile(totals, 1.0 - tail)));
  est.low_total = std::max(est.low_total, est.observed);
  est.mean_detect_probability =
      p_sum / (static_cast<double>(options.iterations) * static_cast<double>(bounds.size()));
  return est;
}

CheckResult CheckClaim(const std::vector<ClaimItem>& claim, const TallyResult& result,
                       const CheckOptions& options) {
  CheckResult out;
  out.estimate = EstimateMissedVisits(result, options);
  const MissedVisitEstimate& e = out.estimate;
  const int seen_visits = static_cast<int>(result.visits.size());
  const int seen_vessels = static_cast<int>(result.vessels.size());
  const int missed_high = std::max(0, e.high_total - seen_visits);
  int single = 0;
  for (const Vessel& v : result.vessels) single += v.visits == 1 ? 1 : 0;
  const double single_share = seen_vessels > 0 ? static_cast<double>(single) / seen_vessels : 1.0;
  const int pct = static_cast<int>(std::lround(100 * options.interval));

  std::ostringstream report;
  report << "What the scenes show: " << seen_visits << " visits by " << seen_vessels
         << " distinct vessels";
  if (result.vessels_low != result.vessels_high) {
    report << " (signatures overlap: " << result.vessels_low << " to " << result.vessels_high
           << " vessels are plausible)";
  }
  report << ", from " << result.scenes.processed << " processed scenes";
  if (result.period_start) {
    report << " between " << FormatTime(*result.period_start).substr(0, 10) << " and "
           << FormatTime(*result.period_end).substr(0, 10);
  }
  report << ".\n";
  report << "What the calendar may have missed: a berth was seen every "
         << Days(e.median_view_gap_days) << " days (median gap between views) and the visits "
         << "seen lasted about " << Days(e.median_dwell_days)
         << " days (median, between what was seen and what the neighbouring views allow). "
         << "A visit of such length arriving at a random time is caught with probability "
         << "about " << static_cast<int>(std::lround(100 * e.mean_detect_probability))
         << " %, so shorter visits can fall between views. Weighting each visit seen by that "
         << "chance gives an estimated total of " << e.median_total << " visits (" << pct
         << " % interval " << e.low_total << " to " << e.high_total << ").\n";

  for (const ClaimItem& item : claim) {
    ClaimVerdict v;
    v.item = item;
    std::ostringstream why;
    if (item.key == "visits") {
      const double n = std::stod(item.value);
      v.consistent = Compare(e.low_total, e.high_total, item.op, n, options.approx_tolerance);
      why << "Claim " << OpWords(item.op) << " " << item.value << " visits: ";
      if ((item.op == "=" || item.op == "<=" || item.op == "<" || item.op == "~") &&
          n < seen_visits && !v.consistent) {
        why << "the scenes already show " << seen_visits << " visits, more than claimed";
      } else {
        why << "the estimated total is " << e.low_total << " to " << e.high_total << " ("
            << seen_visits << " seen)";
      }
      why << (v.consistent ? ", so the claim is consistent." : ", so the claim is NOT consistent.");
    } else if (item.key == "vessels") {
      const double n = std::stod(item.value);
      const int low = result.vessels_low;
      const int high =
          result.vessels_high + static_cast<int>(std::ceil(missed_high * single_share));
      v.consistent = Compare(low, high, item.op, n, options.approx_tolerance);
      why << "Claim " << OpWords(item.op) << " " << item.value << " vessels: " << seen_vessels
          << " distinct vessels were seen; with overlapping signatures and vessels whose only "
          << "visits may have been missed, " << low << " to " << high << " are plausible"
          << (v.consistent ? ", so the claim is consistent." : ", so the claim is NOT consistent.");
    } else if (item.key == "period") {
      const size_t slash = item.value.find('/');
      const TimePoint a = *ParseDay(Trim(item.value.substr(0, slash)));
      TimePoint b = *ParseDay(Trim(item.value.substr(slash + 1)));
      if (Trim(item.value.substr(slash + 1)).size() <= 10) b += std::chrono::days{1};
      const auto slack = std::chrono::days{1};
      int outside = 0;
      for (const Visit& visit : result.visits) {
        if (visit.last_seen < a - slack || visit.first_seen > b + slack) ++outside;
      }
      v.consistent = outside == 0;
      why << "Claim period " << item.value << ": ";
      if (outside > 0) {
        why << outside << " of the visits seen fall outside it, so the claim is NOT consistent.";
      } else {
        why << "every visit seen falls inside it";
        if (result.period_start &&
            (*result.period_start > a + slack || *result.period_end < b - slack)) {
          why << " (the scenes cover only " << FormatTime(*result.period_start).substr(0, 10)
              << " to " << FormatTime(*result.period_end).substr(0, 10)
              << ", so the rest of the period is unchecked)";
        }
        why << ", so the claim is consistent.";
      }
    } else if (item.key == "pattern") {
      std::map<std::string, int> known;
      int total_known = 0;
      for (const Visit& visit : result.visits) {
        if (visit.arrival_state == LoadState::kUnknown ||
            visit.departure_state == LoadState::kUnknown) {
          continue;
        }
        ++known[visit.transition()];
        ++total_known;
      }
      int best = 0;
      for (const auto& [t, c] : known) best = std::max(best, c);
      const int count = known.count(item.value) ? known[item.value] : 0;
      v.consistent = count > 0 && count == best;
      why << "Claim pattern " << item.value << ": of the " << total_known
          << " visits whose arrival and departure states were both seen, ";
      bool first = true;
      for (const auto& [t, c] : known) {
        why << (first ? "" : ", ") << c << " were " << t;
        first = false;
      }
      if (known.empty()) why << "none";
      why << (v.consistent ? "; the claimed pattern is the most common, so it is consistent."
                           : "; the claimed pattern is not the most common, so it is NOT "
                             "consistent.");
    } else {  // a transition count
      const double n = std::stod(item.value);
      int count = 0, unknown = 0, known = 0;
      for (const Visit& visit : result.visits) {
        if (visit.arrival_state == LoadState::kUnknown ||
            visit.departure_state == LoadState::kUnknown) {
          ++unknown;
          continue;
        }
        ++known;
        count += visit.transition() == item.key ? 1 : 0;
      }
      const double share = known > 0 ? static_cast<double>(count) / known : 0.0;
      const int high = count + unknown + static_cast<int>(std::ceil(missed_high * share));
      v.consistent = Compare(count, high, item.op, n, options.approx_tolerance);
      why << "Claim " << OpWords(item.op) << " " << item.value << " visits " << item.key << ": "
          << count << " were seen, " << unknown << " more had an unknown state and about "
          << static_cast<int>(std::ceil(missed_high * share)) << " more may have been missed, so "
          << count << " to " << high << " are plausible"
          << (v.consistent ? "; consistent." : "; NOT consistent.");
    }
    v.reasoning = why.str();
    out.consistent = out.consistent && v.consistent;
    report << v.reasoning << "\n";
    out.verdicts.push_back(v);
  }
  report << "Verdict: the claim is " << (out.consistent ? "consistent" : "NOT consistent")
         << " with the imagery.\n";
  out.report = report.str();
  return out;
}

}  // namespace bw
