#include "tally/check.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <limits>
#include <map>
#include <numeric>
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

// Lengths of the arrival times a in [lo, hi] grouped by an integer count(a) that only
// changes at the given breakpoints: out[n] = total length with count n.
template <typename CountFn>
std::vector<double> HistogramOver(double lo, double hi, std::vector<double> breaks, CountFn count) {
  std::vector<double> out;
  if (!(hi > lo)) return out;
  breaks.push_back(lo);
  breaks.push_back(hi);
  std::erase_if(breaks, [&](double x) { return x < lo || x > hi; });
  std::sort(breaks.begin(), breaks.end());
  breaks.erase(std::unique(breaks.begin(), breaks.end()), breaks.end());
  for (size_t i = 0; i + 1 < breaks.size(); ++i) {
    const double len = breaks[i + 1] - breaks[i];
    if (!(len > 0)) continue;
    const size_t n = static_cast<size_t>(count(0.5 * (breaks[i] + breaks[i + 1])));
    if (out.size() <= n) out.resize(n + 1, 0.0);
    out[n] += len;
  }
  return out;
}

// Views in [a, b] of a sorted calendar.
int ViewsIn(const std::vector<double>& views, double a, double b) {
  if (b < a) return 0;
  return static_cast<int>(std::upper_bound(views.begin(), views.end(), b) -
                          std::lower_bound(views.begin(), views.end(), a));
}

// For a stay of `dwell` arriving uniformly in [start - dwell, end]: how long (seconds of
// arrival time) it covers n views, by n.
std::vector<double> CoverHistogram(const std::vector<double>& views, double start, double end,
                                   double dwell) {
  std::vector<double> breaks;
  for (double t : views) {
    breaks.push_back(t);
    breaks.push_back(t - dwell);
  }
  return HistogramOver(start - dwell, end, std::move(breaks),
                       [&](double a) { return ViewsIn(views, a, a + dwell); });
}

// For a visit seen from `first` to `last` and a stay of `dwell` covering both: the arrival
// times that allow it, grouped by how many views outside [first, last] the stay also covered
// (each a view in which the detector must have missed it).
std::vector<double> ExtraViewsHistogram(const std::vector<double>& views, double first, double last,
                                        double dwell) {
  std::vector<double> breaks;
  for (double t : views) {
    breaks.push_back(t);
    breaks.push_back(t - dwell);
  }
  return HistogramOver(last - dwell, first, std::move(breaks), [&](double a) {
    const int before = static_cast<int>(std::lower_bound(views.begin(), views.end(), first) -
                                        std::lower_bound(views.begin(), views.end(), a));
    const int after = static_cast<int>(std::upper_bound(views.begin(), views.end(), a + dwell) -
                                       std::upper_bound(views.begin(), views.end(), last));
    return std::max(0, before) + std::max(0, after);
  });
}

// sum_n hist[n] * q^n
double Weighted(const std::vector<double>& hist, double q) {
  double sum = 0.0, qn = 1.0;
  for (double h : hist) {
    sum += h * qn;
    qn *= q;
  }
  return sum;
}

double Seconds(TimePoint t) { return static_cast<double>(t.time_since_epoch().count()); }

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
      !(max_dwell_days > 0) || !(min_dwell_days > 0) || !(min_dwell_days < max_dwell_days) ||
      dwell_cells < 4 || !(min_detect_probability > 0 && min_detect_probability <= 1) ||
      detect_cells < 4 || !(detect_prior_a > 0) || !(detect_prior_b > 0) ||
      !(loading_share_prior > 0)) {
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
    for (TimePoint t : times) v.push_back(Seconds(t));
    std::sort(v.begin(), v.end());
    for (size_t i = 1; i < v.size(); ++i) gaps.push_back((v[i] - v[i - 1]) / 86400.0);
  }
  est.median_view_gap_days = Percentile(gaps, 0.5);
  if (result.visits.empty() || !result.period_start) return est;
  const double start = Seconds(*result.period_start);
  const double end = Seconds(*result.period_end);

  // Per visit: the views of its berth from first to last seen (it was there for all of them)
  // and in how many of those the detector found it. The ones it missed inside a visit, and
  // the ones it found, tell the detection probability p on a clear view.
  struct Seen {
    double first = 0, last = 0;
    int berth = 0;
    int detected = 0;  // views in [first, last] with a detection
    int missed = 0;    // views in [first, last] without one
  };
  std::vector<std::string> berth_names;
  std::vector<Seen> seen;
  double longest = 0.0;
  for (const Visit& v : result.visits) {
    Seen s;
    s.first = Seconds(v.first_seen);
    s.last = Seconds(v.last_seen);
    auto it = std::find(berth_names.begin(), berth_names.end(), v.berth);
    s.berth = static_cast<int>(it - berth_names.begin());
    if (it == berth_names.end()) berth_names.push_back(v.berth);
    const std::vector<double>& cal = views[v.berth];
    const int inside = ViewsIn(cal, s.first, s.last);
    // Views of the berth at the given sighting times.
    auto views_at = [&](const std::vector<TimePoint>& times) {
      std::set<double> hits;
      for (TimePoint t : times) {
        const double x = Seconds(t);
        if (std::binary_search(cal.begin(), cal.end(), x)) hits.insert(x);
      }
      return static_cast<int>(hits.size());
    };
    const int clean = views_at(v.seen);
    // no per-view record: every view inside showed it
    s.detected = v.seen.empty() ? inside : clean;
    // A view with only an unclean sighting (cloud edge, truncated hull) is not a detector
    // miss: the vessel was found there. Leave such views out of the detector's sample.
    const int unclean = std::max(0, views_at(v.sighted) - clean);
    s.detected = std::min(s.detected, inside - unclean);
    s.missed = std::max(0, inside - unclean - s.detected);
    // Reported: the views strictly between first and last seen (those two are detections by
    // construction, so only the views between are a fair sample of the detector).
    int ends = std::binary_search(cal.begin(), cal.end(), s.first) ? 1 : 0;
    if (s.last > s.first && std::binary_search(cal.begin(), cal.end(), s.last)) ++ends;
    ends = std::min(ends, s.detected);
    est.views_inside_visits += inside - unclean - ends;
    est.detections_inside_visits += s.detected - ends;
    longest = std::max(longest, s.last - s.first);
    seen.push_back(s);
  }
  const size_t n_berths = berth_names.size();
  std::vector<int> n_of_berth(n_berths, 0);
  for (const Seen& s : seen) ++n_of_berth[static_cast<size_t>(s.berth)];

  // Dwell cells, equal in log from min_dwell to max_dwell (or beyond the longest visit seen).
  const int cells = options.dwell_cells;
  const double d_min = options.min_dwell_days * 86400.0;
  const double d_max =
      std::max({2.0 * d_min, options.max_dwell_days * 86400.0, 1.5 * longest + d_min});
  std::vector<double> dwell(static_cast<size_t>(cells));
  for (int j = 0; j < cells; ++j) {
    dwell[static_cast<size_t>(j)] = d_min * std::pow(d_max / d_min, (j + 0.5) / cells);
  }
  // Detection probability cells.
  const int pcells = options.detect_cells;
  std::vector<double> pgrid(static_cast<size_t>(pcells));
  for (int k = 0; k < pcells; ++k) pgrid[static_cast<size_t>(k)] = (k + 0.5) / pcells;

  // cover[b][j]: arrival-time lengths by number of views covered; span[b][j]: all arrivals.
  std::vector<std::vector<std::vector<double>>> cover(n_berths);
  std::vector<std::vector<double>> span(n_berths);
  for (size_t b = 0; b < n_berths; ++b) {
    for (double d : dwell) {
      cover[b].push_back(CoverHistogram(views[berth_names[b]], start, end, d));
      span[b].push_back(end - start + d);
    }
  }
  // seen_p[b][k][j]: arrival-time length for which a stay of dwell j is detected at least
  // once (1 - (1-p)^n over the n views it covers).
  std::vector<std::vector<std::vector<double>>> seen_p(
      n_berths, std::vector<std::vector<double>>(static_cast<size_t>(pcells),
                                                 std::vector<double>(static_cast<size_t>(cells))));
  for (size_t b = 0; b < n_berths; ++b) {
    for (size_t k = 0; k < pgrid.size(); ++k) {
      for (size_t j = 0; j < dwell.size(); ++j) {
        const auto& h = cover[b][j];
        const double total = std::accumulate(h.begin(), h.end(), 0.0);
        seen_p[b][k][j] = std::max(0.0, total - Weighted(h, 1.0 - pgrid[k]));
      }
    }
  }
  // like[i][k][j]: what visit i's views say about a dwell j under detection probability k:
  // the arrival times that put the stay over [first, last], each weighted by the chance that
  // the detector missed the views the stay covered outside it. (With p = 1 that is the
  // trapezoid between "as seen" and "from the view before to the view after"; with p < 1 a
  // visit seen once may well have lasted over neighbouring views the detector missed.)
  std::vector<std::vector<std::vector<double>>> like(
      seen.size(),
      std::vector<std::vector<double>>(static_cast<size_t>(pcells),
                                       std::vector<double>(static_cast<size_t>(cells))));
  for (size_t i = 0; i < seen.size(); ++i) {
    const Seen& s = seen[i];
    const auto& cal = views[berth_names[static_cast<size_t>(s.berth)]];
    for (size_t j = 0; j < dwell.size(); ++j) {
      if (dwell[j] < s.last - s.first) continue;
      const std::vector<double> h = ExtraViewsHistogram(cal, s.first, s.last, dwell[j]);
      for (size_t k = 0; k < pgrid.size(); ++k) like[i][k][j] = Weighted(h, 1.0 - pgrid[k]);
    }
  }

  // Posterior over (dwell distribution, p): dwells log-normal with median exp(mu) and spread
  // sigma (flat over a grid of both; the widest is close to scale-free), p with a Beta prior.
  // Given them, the visits seen at a berth are a thinned Poisson sample: each contributes
  // its likelihood, divided by the chance that a visit is seen at all.
  std::vector<double> mus, sigmas = {0.15, 0.3, 0.5, 0.8, 1.2, 2.0};
  for (int m = 0; m < 16; ++m) mus.push_back(std::log(d_min) + std::log(d_max / d_min) * m / 15.0);
  struct Hyper {
    size_t k = 0;
    std::vector<double> w;  // dwell cell weights
    double log_post = 0.0;
    std::vector<double> seen_share;  // per berth: the share of visits seen
  };
  std::vector<Hyper> grid;
  for (double mu : mus) {
    for (double sg : sigmas) {
      std::vector<double> w(dwell.size());
      double wsum = 0.0;
      for (size_t j = 0; j < dwell.size(); ++j) {
        const double z = (std::log(dwell[j]) - mu) / sg;
        w[j] = std::exp(-0.5 * z * z);
        wsum += w[j];
      }
      for (double& x : w) x /= wsum;
      for (size_t k = 0; k < pgrid.size(); ++k) {
        Hyper h;
        h.k = k;
        h.w = w;
        const double p = pgrid[k];
        double lp = (options.detect_prior_a - 1.0) * std::log(p) +
                    (options.detect_prior_b - 1.0) * std::log1p(-p);
        for (size_t i = 0; i < seen.size(); ++i) {
          double l = 0.0;
          for (size_t j = 0; j < dwell.size(); ++j) l += w[j] * like[i][k][j];
          lp += seen[i].detected * std::log(p) + seen[i].missed * std::log1p(-p) +
                std::log(std::max(l, 1e-300));
        }
        for (size_t b = 0; b < n_berths; ++b) {
          double sp = 0.0, all = 0.0;
          for (size_t j = 0; j < dwell.size(); ++j) {
            sp += w[j] * seen_p[b][k][j];
            all += w[j] * span[b][j];
          }
          lp -= n_of_berth[b] * std::log(std::max(sp, 1e-300));
          h.seen_share.push_back(std::clamp(sp / all, options.min_detect_probability, 1.0));
        }
        h.log_post = lp;
        grid.push_back(std::move(h));
      }
    }
  }
  double best = -std::numeric_limits<double>::infinity();
  size_t map_index = 0;
  for (size_t g = 0; g < grid.size(); ++g) {
    if (grid[g].log_post > best) {
      best = grid[g].log_post;
      map_index = g;
    }
  }
  std::vector<double> post(grid.size());
  for (size_t g = 0; g < grid.size(); ++g) post[g] = std::exp(grid[g].log_post - best);
  const double post_sum = std::accumulate(post.begin(), post.end(), 0.0);
  std::vector<double> p_marginal(pgrid.size(), 0.0);
  for (size_t g = 0; g < grid.size(); ++g) p_marginal[grid[g].k] += post[g] / post_sum;
  {
    double mean = 0.0, cum = 0.0;
    bool low_set = false, high_set = false;
    for (size_t k = 0; k < pgrid.size(); ++k) {
      mean += p_marginal[k] * pgrid[k];
      cum += p_marginal[k];
      if (!low_set && cum >= 0.05) {
        est.detect_probability_low = pgrid[k];
        low_set = true;
      }
      if (!high_set && cum >= 0.95) {
        est.detect_probability_high = pgrid[k];
        high_set = true;
      }
    }
    est.detect_probability = mean;
  }
  // Dwell of each visit seen (posterior mean at the most probable grid point).
  {
    const Hyper& h = grid[map_index];
    std::vector<double> dw;
    for (size_t i = 0; i < seen.size(); ++i) {
      double num = 0.0, den = 0.0;
      for (size_t j = 0; j < dwell.size(); ++j) {
        num += h.w[j] * like[i][h.k][j] * dwell[j];
        den += h.w[j] * like[i][h.k][j];
      }
      if (den > 0) dw.push_back(num / den / 86400.0);
    }
    est.median_dwell_days = Percentile(dw, 0.5);
  }

  // Monte Carlo: (dwell distribution, p) from the posterior; per berth, the visits missed
  // are negative binomial: N - n ~ NB(n, share seen) under a scale-free prior on the rate.
  std::mt19937_64 rng(options.seed);
  std::discrete_distribution<size_t> pick(post.begin(), post.end());
  std::vector<double> totals;
  totals.reserve(static_cast<size_t>(options.iterations));
  double share_sum = 0.0;
  for (int it = 0; it < options.iterations; ++it) {
    const Hyper& h = grid[pick(rng)];
    double total = 0.0, expected = 0.0;
    for (size_t b = 0; b < n_berths; ++b) {
      const int n = n_of_berth[b];
      const double q = h.seen_share[b];
      total += n;
      expected += n / q;
      if (n == 0 || q >= 1.0) continue;
      std::gamma_distribution<double> rate(n, (1.0 - q) / q);
      std::poisson_distribution<long> missed(std::max(1e-12, rate(rng)));
      total += static_cast<double>(missed(rng));
    }
    share_sum += expected > 0 ? static_cast<double>(est.observed) / expected : 1.0;
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
  est.mean_detect_probability = share_sum / static_cast<double>(options.iterations);
  return est;
}

TransitionEstimate EstimateTransitions(const TallyResult& result, const CheckOptions& options) {
  options.Check();
  TransitionEstimate est;
  est.visits = static_cast<int>(result.visits.size());
  for (const Visit& v : result.visits) {
    const int d = VisitDirection(v);
    est.loading += d > 0 ? 1 : 0;
    est.discharging += d < 0 ? 1 : 0;
  }
  est.open = est.visits - est.loading - est.discharging;
  const double a = options.loading_share_prior + est.loading;
  const double b = options.loading_share_prior + est.discharging;
  est.loading_share = a / (a + b);
  est.mean = est.loading + est.open * est.loading_share;
  est.estimate = static_cast<int>(std::lround(est.mean));
  // Beta-binomial pmf of the open visits that loaded, then its central interval.
  const int n = est.open;
  const double log_beta_ab = std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b);
  std::vector<double> pmf(static_cast<size_t>(n) + 1);
  for (int k = 0; k <= n; ++k) {
    const double log_choose =
        std::lgamma(n + 1.0) - std::lgamma(k + 1.0) - std::lgamma(n - k + 1.0);
    const double log_beta = std::lgamma(k + a) + std::lgamma(n - k + b) - std::lgamma(n + a + b);
    pmf[static_cast<size_t>(k)] = std::exp(log_choose + log_beta - log_beta_ab);
  }
  const double tail = 0.5 * (1.0 - options.interval);
  double cdf = 0.0;
  est.low = -1;
  est.high = n;
  for (int k = 0; k <= n; ++k) {
    cdf += pmf[static_cast<size_t>(k)];
    if (est.low < 0 && cdf >= tail) est.low = k;
    if (cdf >= 1.0 - tail) {
      est.high = k;
      break;
    }
  }
  est.low = est.loading + std::max(est.low, 0);
  est.high = est.loading + est.high;
  return est;
}

namespace {
// `changed`: also say how many visits were seen to load and to discharge.
std::string TransitionWords(const TransitionEstimate& t, int pct, bool changed) {
  std::ostringstream w;
  if (changed) {
    w << t.loading << " of the " << t.visits << " visits were seen to load and " << t.discharging
      << " to discharge (their load states or freeboards changed); the other " << t.open;
  } else {
    w << "The other " << t.open << " visits";
  }
  w << " showed no change and may have gone either way. A terminal loads or discharges, so "
    << "they load with the share the visits that changed suggest ("
    << std::lround(100 * t.loading_share) << " %): about " << t.estimate
    << " visits arrived empty and left full (" << pct << " % interval " << t.low << "-" << t.high
    << ") and " << t.visits - t.estimate << " went full->empty.";
  return w.str();
}

std::string DirectionWords(const TallyResult& result) {
  std::ostringstream w;
  w << result.visits_loading << " visits were seen to load and " << result.visits_discharging
    << " to discharge, so ";
  if (result.load_direction > 0) {
    w << "the terminal loads (a vessel seen empty arrived empty, one seen full left full).";
  } else if (result.load_direction < 0) {
    w << "the terminal discharges (a vessel seen full arrived full, one seen empty left empty).";
  } else {
    w << "whether the terminal loads or discharges is not established and no state seen is "
         "taken for an arrival or departure state.";
  }
  return w.str();
}
}  // namespace

CheckResult CheckClaim(const std::vector<ClaimItem>& claim, const TallyResult& result,
                       const CheckOptions& options) {
  if (result.scenes.processed == 0) {
    // No view of any berth: zero visits seen says nothing about how many there were.
    throw NoDataError(kStage, "",
                      "no scene was processed (" + std::to_string(result.scenes.skipped) +
                          " skipped, " + std::to_string(result.scenes.failed) +
                          " failed): there is nothing to check the claim against");
  }
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
  const TransitionEstimate ways = EstimateTransitions(result, options);

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
  report << "What the calendar and the detector may have missed: a berth was seen every "
         << Days(e.median_view_gap_days) << " days (median gap between views) and the visits "
         << "seen lasted about " << Days(e.median_dwell_days) << " days. ";
  if (e.views_inside_visits > 0) {
    report << "Between the first and last sighting of the visits seen there were "
           << e.views_inside_visits << " more views of the berth, of which "
           << e.detections_inside_visits << " showed the vessel; ";
  } else {
    report << "No visit seen had a view of its berth between its first and last sighting, "
           << "so the detector's miss rate rests on the prior and the neighbouring views; ";
  }
  report << "the detector finds a vessel on a clear view with probability about "
         << static_cast<int>(std::lround(100 * e.detect_probability)) << " % ("
         << static_cast<int>(std::lround(100 * e.detect_probability_low)) << " to "
         << static_cast<int>(std::lround(100 * e.detect_probability_high))
         << " %), so a visit can be missed by falling between views or by being missed on "
         << "every view it covered. About "
         << static_cast<int>(std::lround(100 * e.mean_detect_probability))
         << " % of visits are seen at all, which gives an estimated total of " << e.median_total
         << " visits (" << pct << " % interval " << e.low_total << " to " << e.high_total << ").\n";

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
      // The transitions seen at both ends, and what every visit's states allow.
      std::map<std::string, int> known;
      int total_known = 0, allowed = 0, informative = 0;
      for (const Visit& visit : result.visits) {
        if (visit.arrival_state != LoadState::kUnknown &&
            visit.departure_state != LoadState::kUnknown) {
          ++known[visit.transition()];
          ++total_known;
        }
        if (visit.states.empty() && visit.arrival_state == LoadState::kUnknown &&
            visit.departure_state == LoadState::kUnknown) {
          continue;
        }
        ++informative;
        allowed += AllowsTransition(visit, item.value) ? 1 : 0;
      }
      int best = 0;
      for (const auto& [t, c] : known) best = std::max(best, c);
      const int count = known.count(item.value) ? known[item.value] : 0;
      const int against = informative - allowed;
      // With the terminal's two ways: the claimed one is the way most visits went.
      const bool two_way = item.value == "empty->full" || item.value == "full->empty";
      const bool loads = item.value == "empty->full";
      const double way_mean = loads ? ways.mean : ways.visits - ways.mean;
      const int way_seen = loads ? ways.loading : ways.discharging;
      const int other_seen = loads ? ways.discharging : ways.loading;
      const bool most = two_way && way_mean > 0.5 * ways.visits && way_seen > other_seen;
      v.consistent = (count > 0 && count == best && against < allowed) || most;
      why << "Claim pattern " << item.value << ": " << DirectionWords(result) << " Of the "
          << total_known << " visits whose arrival and departure states were both seen, ";
      bool first = true;
      for (const auto& [t, c] : known) {
        why << (first ? "" : ", ") << c << " were " << t;
        first = false;
      }
      if (known.empty()) why << "none";
      why << "; of the " << informative << " visits with a confident load state, " << allowed
          << " allow it and " << against << " do not";
      why << ". " << TransitionWords(ways, pct, false);
      why << (v.consistent ? " The claimed pattern is the most common, so it is consistent."
                           : " The claimed pattern is not the most common, so it is NOT "
                             "consistent.");
    } else {  // a transition count
      const double n = std::stod(item.value);
      int count = 0, allowed = 0;
      for (const Visit& visit : result.visits) {
        count += visit.transition() == item.key ? 1 : 0;
        allowed += AllowsTransition(visit, item.key) ? 1 : 0;
      }
      if (item.key == "empty->full" || item.key == "full->empty") {
        // The estimate's interval among the visits seen, plus that share of those missed.
        const bool loads = item.key == "empty->full";
        const int low = loads ? ways.low : ways.visits - ways.high;
        const int high_seen = loads ? ways.high : ways.visits - ways.low;
        const double way_mean = loads ? ways.mean : ways.visits - ways.mean;
        const double share = seen_visits > 0 ? way_mean / seen_visits : 0.0;
        const int more_missed = static_cast<int>(std::ceil(missed_high * share));
        const int high = high_seen + more_missed;
        v.consistent = Compare(low, high, item.op, n, options.approx_tolerance);
        why << "Claim " << OpWords(item.op) << " " << item.value << " visits " << item.key << ": "
            << count << " were seen at both ends. " << TransitionWords(ways, pct, true) << " About "
            << more_missed << " more may have been missed, so " << low << " to " << high
            << " are plausible" << (v.consistent ? "; consistent." : "; NOT consistent.");
      } else {
        const double share = seen_visits > 0 ? static_cast<double>(allowed) / seen_visits : 0.0;
        const int more_missed = static_cast<int>(std::ceil(missed_high * share));
        const int high = allowed + more_missed;
        v.consistent = Compare(count, high, item.op, n, options.approx_tolerance);
        why << "Claim " << OpWords(item.op) << " " << item.value << " visits " << item.key << ": "
            << count << " were seen at both ends, " << allowed - count
            << " more seen allow it (their states were seen at one end or not at all) and about "
            << more_missed << " more may have been missed, so " << count << " to " << high
            << " are plausible" << (v.consistent ? "; consistent." : "; NOT consistent.");
      }
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
