// NREL Solar Position Algorithm (Reda & Andreas 2004, NREL/TP-560-34302, rev. 2008).
// Step numbers in the comments refer to section 3 of the report; the periodic-term tables
// are its Tables A4.2 (Earth heliocentric terms) and A4.3 (nutation terms).
#include "geo/solar.h"

#include <array>
#include <cmath>
#include <numbers>

namespace bw {
namespace {

struct Term {
  double a, b, c;
};

// Table A4.2: L0..L5, B0..B1, R0..R4 (A, B, C) with term = A cos(B + C * JME).
constexpr Term kL0[] = {{175347046.0, 0, 0},
                        {3341656.0, 4.6692568, 6283.07585},
                        {34894.0, 4.6261, 12566.1517},
                        {3497.0, 2.7441, 5753.3849},
                        {3418.0, 2.8289, 3.5231},
                        {3136.0, 3.6277, 77713.7715},
                        {2676.0, 4.4181, 7860.4194},
                        {2343.0, 6.1352, 3930.2097},
                        {1324.0, 0.7425, 11506.7698},
                        {1273.0, 2.0371, 529.691},
                        {1199.0, 1.1096, 1577.3435},
                        {990, 5.233, 5884.927},
                        {902, 2.045, 26.298},
                        {857, 3.508, 398.149},
                        {780, 1.179, 5223.694},
                        {753, 2.533, 5507.553},
                        {505, 4.583, 18849.228},
                        {492, 4.205, 775.523},
                        {357, 2.92, 0.067},
                        {317, 5.849, 11790.629},
                        {284, 1.899, 796.298},
                        {271, 0.315, 10977.079},
                        {243, 0.345, 5486.778},
                        {206, 4.806, 2544.314},
                        {205, 1.869, 5573.143},
                        {202, 2.458, 6069.777},
                        {156, 0.833, 213.299},
                        {132, 3.411, 2942.463},
                        {126, 1.083, 20.775},
                        {115, 0.645, 0.98},
                        {103, 0.636, 4694.003},
                        {102, 0.976, 15720.839},
                        {102, 4.267, 7.114},
                        {99, 6.21, 2146.17},
                        {98, 0.68, 155.42},
                        {86, 5.98, 161000.69},
                        {85, 1.3, 6275.96},
                        {85, 3.67, 71430.7},
                        {80, 1.81, 17260.15},
                        {79, 3.04, 12036.46},
                        {75, 1.76, 5088.63},
                        {74, 3.5, 3154.69},
                        {74, 4.68, 801.82},
                        {70, 0.83, 9437.76},
                        {62, 3.98, 8827.39},
                        {61, 1.82, 7084.9},
                        {57, 2.78, 6286.6},
                        {56, 4.39, 14143.5},
                        {56, 3.47, 6279.55},
                        {52, 0.19, 12139.55},
                        {52, 1.33, 1748.02},
                        {51, 0.28, 5856.48},
                        {49, 0.49, 1194.45},
                        {41, 5.37, 8429.24},
                        {41, 2.4, 19651.05},
                        {39, 6.17, 10447.39},
                        {37, 6.04, 10213.29},
                        {37, 2.57, 1059.38},
                        {36, 1.71, 2352.87},
                        {36, 1.78, 6812.77},
                        {33, 0.59, 17789.85},
                        {30, 0.44, 83996.85},
                        {30, 2.74, 1349.87},
                        {25, 3.16, 4690.48}};
constexpr Term kL1[] = {{628331966747.0, 0, 0},
                        {206059.0, 2.678235, 6283.07585},
                        {4303.0, 2.6351, 12566.1517},
                        {425.0, 1.59, 3.523},
                        {119.0, 5.796, 26.298},
                        {109.0, 2.966, 1577.344},
                        {93, 2.59, 18849.23},
                        {72, 1.14, 529.69},
                        {68, 1.87, 398.15},
                        {67, 4.41, 5507.55},
                        {59, 2.89, 5223.69},
                        {56, 2.17, 155.42},
                        {45, 0.4, 796.3},
                        {36, 0.47, 775.52},
                        {29, 2.65, 7.11},
                        {21, 5.34, 0.98},
                        {19, 1.85, 5486.78},
                        {19, 4.97, 213.3},
                        {17, 2.99, 6275.96},
                        {16, 0.03, 2544.31},
                        {16, 1.43, 2146.17},
                        {15, 1.21, 10977.08},
                        {12, 2.83, 1748.02},
                        {12, 3.26, 5088.63},
                        {12, 5.27, 1194.45},
                        {12, 2.08, 4694},
                        {11, 0.77, 553.57},
                        {10, 1.3, 6286.6},
                        {10, 4.24, 1349.87},
                        {9, 2.7, 242.73},
                        {9, 5.64, 951.72},
                        {8, 5.3, 2352.87},
                        {6, 2.65, 9437.76},
                        {6, 4.67, 4690.48}};
constexpr Term kL2[] = {
    {52919.0, 0, 0},   {8720.0, 1.0721, 6283.0758}, {309.0, 0.867, 12566.152}, {27, 0.05, 3.52},
    {16, 5.19, 26.3},  {16, 3.68, 155.42},          {10, 0.76, 18849.23},      {9, 2.06, 77713.77},
    {7, 0.83, 775.52}, {5, 4.66, 1577.34},          {4, 1.03, 7.11},           {4, 3.44, 5573.14},
    {3, 5.14, 796.3},  {3, 6.05, 5507.55},          {3, 1.19, 242.73},         {3, 6.12, 529.69},
    {3, 0.31, 398.15}, {3, 2.28, 553.57},           {2, 4.38, 5223.69},        {2, 3.75, 0.98}};
constexpr Term kL3[] = {{289.0, 5.844, 6283.076}, {35, 0, 0},      {17, 5.49, 12566.15},
                        {3, 5.2, 155.42},         {1, 4.72, 3.52}, {1, 5.3, 18849.23},
                        {1, 5.97, 242.73}};
constexpr Term kL4[] = {{114.0, 3.142, 0}, {8, 4.13, 6283.08}, {1, 3.84, 12566.15}};
constexpr Term kL5[] = {{1, 3.14, 0}};
constexpr Term kB0[] = {{280.0, 3.199, 84334.662},
                        {102.0, 5.422, 5507.553},
                        {80, 3.88, 5223.69},
                        {44, 3.7, 2352.87},
                        {32, 4, 1577.34}};
constexpr Term kB1[] = {{9, 3.9, 5507.55}, {6, 1.73, 5223.69}};
constexpr Term kR0[] = {{100013989.0, 0, 0},
                        {1670700.0, 3.0984635, 6283.07585},
                        {13956.0, 3.05525, 12566.1517},
                        {3084.0, 5.1985, 77713.7715},
                        {1628.0, 1.1739, 5753.3849},
                        {1576.0, 2.8469, 7860.4194},
                        {925.0, 5.453, 11506.77},
                        {542.0, 4.564, 3930.21},
                        {472.0, 3.661, 5884.927},
                        {346.0, 0.964, 5507.553},
                        {329.0, 5.9, 5223.694},
                        {307.0, 0.299, 5573.143},
                        {243.0, 4.273, 11790.629},
                        {212.0, 5.847, 1577.344},
                        {186.0, 5.022, 10977.079},
                        {175.0, 3.012, 18849.228},
                        {110.0, 5.055, 5486.778},
                        {98, 0.89, 6069.78},
                        {86, 5.69, 15720.84},
                        {86, 1.27, 161000.69},
                        {65, 0.27, 17260.15},
                        {63, 0.92, 529.69},
                        {57, 2.01, 83996.85},
                        {56, 5.24, 71430.7},
                        {49, 3.25, 2544.31},
                        {47, 2.58, 775.52},
                        {45, 5.54, 9437.76},
                        {43, 6.01, 6275.96},
                        {39, 5.36, 4694},
                        {38, 2.39, 8827.39},
                        {37, 0.83, 19651.05},
                        {37, 4.9, 12139.55},
                        {36, 1.67, 12036.46},
                        {35, 1.84, 2942.46},
                        {33, 0.24, 7084.9},
                        {32, 0.18, 5088.63},
                        {32, 1.78, 398.15},
                        {28, 1.21, 6286.6},
                        {28, 1.9, 6279.55},
                        {26, 4.59, 10447.39}};
constexpr Term kR1[] = {{103019.0, 1.10749, 6283.07585},
                        {1721.0, 1.0644, 12566.1517},
                        {702.0, 3.142, 0},
                        {32, 1.02, 18849.23},
                        {31, 2.84, 5507.55},
                        {25, 1.32, 5223.69},
                        {18, 1.42, 1577.34},
                        {10, 5.91, 10977.08},
                        {9, 1.42, 6275.96},
                        {9, 0.27, 5486.78}};
constexpr Term kR2[] = {
    {4359.0, 5.7846, 6283.0758}, {124.0, 5.579, 12566.152}, {12, 3.14, 0},
    {9, 3.63, 77713.77},         {6, 1.87, 5573.14},        {3, 5.47, 18849.23}};
constexpr Term kR3[] = {{145.0, 4.273, 6283.076}, {7, 3.92, 12566.15}};
constexpr Term kR4[] = {{4, 2.56, 6283.08}};

// Table A4.3: multipliers of X0..X4 and the coefficients (a, b, c, d) of
// delta_psi = sum (a + b JCE) sin(arg), delta_eps = sum (c + d JCE) cos(arg), in 0.0001".
struct NutationTerm {
  int y[5];
  double a, b, c, d;
};
constexpr NutationTerm kNutation[] = {
    {{0, 0, 0, 0, 1}, -171996, -174.2, 92025, 8.9},
    {{-2, 0, 0, 2, 2}, -13187, -1.6, 5736, -3.1},
    {{0, 0, 0, 2, 2}, -2274, -0.2, 977, -0.5},
    {{0, 0, 0, 0, 2}, 2062, 0.2, -895, 0.5},
    {{0, 1, 0, 0, 0}, 1426, -3.4, 54, -0.1},
    {{0, 0, 1, 0, 0}, 712, 0.1, -7, 0},
    {{-2, 1, 0, 2, 2}, -517, 1.2, 224, -0.6},
    {{0, 0, 0, 2, 1}, -386, -0.4, 200, 0},
    {{0, 0, 1, 2, 2}, -301, 0, 129, -0.1},
    {{-2, -1, 0, 2, 2}, 217, -0.5, -95, 0.3},
    {{-2, 0, 1, 0, 0}, -158, 0, 0, 0},
    {{-2, 0, 0, 2, 1}, 129, 0.1, -70, 0},
    {{0, 0, -1, 2, 2}, 123, 0, -53, 0},
    {{2, 0, 0, 0, 0}, 63, 0, 0, 0},
    {{0, 0, 1, 0, 1}, 63, 0.1, -33, 0},
    {{2, 0, -1, 2, 2}, -59, 0, 26, 0},
    {{0, 0, -1, 0, 1}, -58, -0.1, 32, 0},
    {{0, 0, 1, 2, 1}, -51, 0, 27, 0},
    {{-2, 0, 2, 0, 0}, 48, 0, 0, 0},
    {{0, 0, -2, 2, 1}, 46, 0, -24, 0},
    {{2, 0, 0, 2, 2}, -38, 0, 16, 0},
    {{0, 0, 2, 2, 2}, -31, 0, 13, 0},
    {{0, 0, 2, 0, 0}, 29, 0, 0, 0},
    {{-2, 0, 1, 2, 2}, 29, 0, -12, 0},
    {{0, 0, 0, 2, 0}, 26, 0, 0, 0},
    {{-2, 0, 0, 2, 0}, -22, 0, 0, 0},
    {{0, 0, -1, 2, 1}, 21, 0, -10, 0},
    {{0, 2, 0, 0, 0}, 17, -0.1, 0, 0},
    {{2, 0, -1, 0, 1}, 16, 0, -8, 0},
    {{-2, 2, 0, 2, 2}, -16, 0.1, 7, 0},
    {{0, 1, 0, 0, 1}, -15, 0, 9, 0},
    {{-2, 0, 1, 0, 1}, -13, 0, 7, 0},
    {{0, -1, 0, 0, 1}, -12, 0, 6, 0},
    {{0, 0, 2, -2, 0}, 11, 0, 0, 0},
    {{2, 0, -1, 2, 1}, -10, 0, 5, 0},
    {{2, 0, 1, 2, 2}, -8, 0, 3, 0},
    {{0, 1, 0, 2, 2}, 7, 0, -3, 0},
    {{-2, 1, 1, 0, 0}, -7, 0, 0, 0},
    {{0, -1, 0, 2, 2}, -7, 0, 3, 0},
    {{2, 0, 0, 2, 1}, -7, 0, 3, 0},
    {{2, 0, 1, 0, 0}, 6, 0, 0, 0},
    {{-2, 0, 2, 2, 2}, 6, 0, -3, 0},
    {{-2, 0, 1, 2, 1}, 6, 0, -3, 0},
    {{2, 0, -2, 0, 1}, -6, 0, 3, 0},
    {{2, 0, 0, 0, 1}, -6, 0, 3, 0},
    {{0, -1, 1, 0, 0}, 5, 0, 0, 0},
    {{-2, -1, 0, 2, 1}, -5, 0, 3, 0},
    {{-2, 0, 0, 0, 1}, -5, 0, 3, 0},
    {{0, 0, 2, 2, 1}, -5, 0, 3, 0},
    {{-2, 0, 2, 0, 1}, 4, 0, 0, 0},
    {{-2, 1, 0, 2, 1}, 4, 0, 0, 0},
    {{0, 0, 1, -2, 0}, 4, 0, 0, 0},
    {{-1, 0, 1, 0, 0}, -4, 0, 0, 0},
    {{-2, 1, 0, 0, 0}, -4, 0, 0, 0},
    {{1, 0, 0, 0, 0}, -4, 0, 0, 0},
    {{0, 0, 1, 2, 0}, 3, 0, 0, 0},
    {{0, 0, -2, 2, 2}, -3, 0, 0, 0},
    {{-1, -1, 1, 0, 0}, -3, 0, 0, 0},
    {{0, 1, 1, 0, 0}, -3, 0, 0, 0},
    {{0, -1, 1, 2, 2}, -3, 0, 0, 0},
    {{2, -1, -1, 2, 2}, -3, 0, 0, 0},
    {{0, 0, 3, 2, 2}, -3, 0, 0, 0},
    {{2, -1, 0, 2, 2}, -3, 0, 0, 0},
};

constexpr double kPi = std::numbers::pi;
double Rad(double deg) { return deg * kPi / 180.0; }
double Deg(double rad) { return rad * 180.0 / kPi; }
double Wrap360(double deg) {
  double d = std::fmod(deg, 360.0);
  return d < 0 ? d + 360.0 : d;
}

template <size_t N>
double SumTerms(const Term (&terms)[N], double jme) {
  double s = 0.0;
  for (const Term& t : terms) s += t.a * std::cos(t.b + t.c * jme);
  return s;
}

// Step 3.2.4: sum_i S_i JME^i / 1e8.
double Series(std::initializer_list<double> sums, double jme) {
  double total = 0.0, power = 1.0;
  for (double s : sums) {
    total += s * power;
    power *= jme;
  }
  return total / 1e8;
}

double Cubic(double a, double b, double c, double d, double x) {
  return ((a * x + b) * x + c) * x + d;
}

}  // namespace

SunPosition ComputeSunPosition(TimePoint utc, LonLat where, const SolarOptions& options,
                               double utc_seconds_fraction) {
  // 3.1 Julian day (UT1) from Unix time, and the ephemeris scales.
  const double unix_s = static_cast<double>(utc.time_since_epoch().count()) + utc_seconds_fraction +
                        options.delta_ut1_s;
  const double jd = unix_s / 86400.0 + 2440587.5;
  const double jde = jd + options.delta_t_s / 86400.0;
  const double jc = (jd - 2451545.0) / 36525.0;
  const double jce = (jde - 2451545.0) / 36525.0;
  const double jme = jce / 10.0;

  // 3.2 Earth heliocentric longitude, latitude (degrees) and radius vector (AU).
  const double l_deg =
      Wrap360(Deg(Series({SumTerms(kL0, jme), SumTerms(kL1, jme), SumTerms(kL2, jme),
                          SumTerms(kL3, jme), SumTerms(kL4, jme), SumTerms(kL5, jme)},
                         jme)));
  const double b_deg = Deg(Series({SumTerms(kB0, jme), SumTerms(kB1, jme)}, jme));
  const double r_au = Series({SumTerms(kR0, jme), SumTerms(kR1, jme), SumTerms(kR2, jme),
                              SumTerms(kR3, jme), SumTerms(kR4, jme)},
                             jme);

  // 3.3 Geocentric longitude and latitude.
  const double theta_deg = Wrap360(l_deg + 180.0);
  const double beta_deg = -b_deg;

  // 3.4 Nutation in longitude and obliquity.
  const std::array<double, 5> x = {Cubic(1.0 / 189474.0, -0.0019142, 445267.11148, 297.85036, jce),
                                   Cubic(-1.0 / 300000.0, -0.0001603, 35999.05034, 357.52772, jce),
                                   Cubic(1.0 / 56250.0, 0.0086972, 477198.867398, 134.96298, jce),
                                   Cubic(1.0 / 327270.0, -0.0036825, 483202.017538, 93.27191, jce),
                                   Cubic(1.0 / 450000.0, 0.0020708, -1934.136261, 125.04452, jce)};
  double sum_psi = 0.0, sum_eps = 0.0;
  for (const NutationTerm& t : kNutation) {
    double arg = 0.0;
    for (int j = 0; j < 5; ++j) arg += x[j] * t.y[j];
    arg = Rad(arg);
    sum_psi += (t.a + t.b * jce) * std::sin(arg);
    sum_eps += (t.c + t.d * jce) * std::cos(arg);
  }
  const double delta_psi_deg = sum_psi / 36000000.0;
  const double delta_eps_deg = sum_eps / 36000000.0;

  // 3.5 True obliquity of the ecliptic.
  const double u = jme / 10.0;
  const double eps0_arcsec =
      84381.448 +
      u * (-4680.93 +
           u * (-1.55 +
                u * (1999.25 +
                     u * (-51.38 +
                          u * (-249.67 +
                               u * (-39.05 + u * (7.12 + u * (27.87 + u * (5.79 + u * 2.45)))))))));
  const double eps_deg = eps0_arcsec / 3600.0 + delta_eps_deg;

  // 3.6-3.7 Aberration correction and apparent sun longitude.
  const double delta_tau_deg = -20.4898 / (3600.0 * r_au);
  const double lambda_deg = theta_deg + delta_psi_deg + delta_tau_deg;

  // 3.8 Apparent sidereal time at Greenwich.
  const double nu0_deg = Wrap360(280.46061837 + 360.98564736629 * (jd - 2451545.0) +
                                 jc * jc * (0.000387933 - jc / 38710000.0));
  const double nu_deg = nu0_deg + delta_psi_deg * std::cos(Rad(eps_deg));

  // 3.9-3.10 Geocentric right ascension and declination.
  const double lambda = Rad(lambda_deg), eps = Rad(eps_deg), beta = Rad(beta_deg);
  const double alpha_deg = Wrap360(Deg(std::atan2(
      std::sin(lambda) * std::cos(eps) - std::tan(beta) * std::sin(eps), std::cos(lambda))));
  const double delta =
      std::asin(std::sin(beta) * std::cos(eps) + std::cos(beta) * std::sin(eps) * std::sin(lambda));

  // 3.11 Observer local hour angle (longitude positive east).
  const double h_deg = Wrap360(nu_deg + where.lon_deg - alpha_deg);

  // 3.12 Topocentric right ascension (parallax correction) and declination.
  const double xi = Rad(8.794 / (3600.0 * r_au));
  const double phi = Rad(where.lat_deg);
  const double u_angle = std::atan(0.99664719 * std::tan(phi));
  const double e_ratio = options.elevation_m / 6378140.0;
  const double xx = std::cos(u_angle) + e_ratio * std::cos(phi);
  const double yy = 0.99664719 * std::sin(u_angle) + e_ratio * std::sin(phi);
  const double h = Rad(h_deg);
  const double denom = std::cos(delta) - xx * std::sin(xi) * std::cos(h);
  const double delta_alpha = std::atan2(-xx * std::sin(xi) * std::sin(h), denom);
  const double delta_prime =
      std::atan2((std::sin(delta) - yy * std::sin(xi)) * std::cos(delta_alpha), denom);

  // 3.13 Topocentric local hour angle.
  const double h_prime = h - delta_alpha;

  // 3.14 Topocentric zenith angle with atmospheric refraction.
  const double e0_deg = Deg(std::asin(std::sin(phi) * std::sin(delta_prime) +
                                      std::cos(phi) * std::cos(delta_prime) * std::cos(h_prime)));
  constexpr double kSunRadiusDeg = 0.26667;
  constexpr double kRefractionAtSunriseDeg = 0.5667;
  double delta_e_deg = 0.0;
  if (e0_deg >= -(kSunRadiusDeg + kRefractionAtSunriseDeg)) {
    delta_e_deg = (options.pressure_mbar / 1010.0) * (283.0 / (273.0 + options.temperature_c)) *
                  1.02 / (60.0 * std::tan(Rad(e0_deg + 10.3 / (e0_deg + 5.11))));
  }
  const double e_deg = e0_deg + delta_e_deg;

  // 3.15 Topocentric azimuth, measured from north, eastward.
  const double gamma = std::atan2(
      std::sin(h_prime), std::cos(h_prime) * std::sin(phi) - std::tan(delta_prime) * std::cos(phi));
  SunPosition out;
  out.elevation_deg = e_deg;
  out.zenith_deg = 90.0 - e_deg;
  out.azimuth_deg = Wrap360(Deg(gamma) + 180.0);
  return out;
}

}  // namespace bw
