#include "geo/solar.h"

#include <gtest/gtest.h>

#include <cmath>

namespace bw {
namespace {

// Reda & Andreas (2004), NREL/TP-560-34302, Table A5.1 worked example:
// 2003-10-17 12:30:30 local (UTC-7), 39.742476 N, 105.1786 W, 1830.14 m, 820 mbar, 11 C,
// delta_t 67 s, delta_ut1 0 -> topocentric zenith 50.11162, azimuth 194.34024.
TEST(Solar, MatchesNrelSpaWorkedExample) {
  const TimePoint t = *ParseTime("2003-10-17T12:30:30-07:00");
  SolarOptions opt;
  opt.elevation_m = 1830.14;
  opt.pressure_mbar = 820.0;
  opt.temperature_c = 11.0;
  opt.delta_t_s = 67.0;
  opt.delta_ut1_s = 0.0;
  const SunPosition sun = ComputeSunPosition(t, {-105.1786, 39.742476}, opt);
  EXPECT_NEAR(sun.zenith_deg, 50.11162, 1e-4);
  EXPECT_NEAR(sun.azimuth_deg, 194.34024, 1e-4);
  EXPECT_NEAR(sun.elevation_deg, 90.0 - 50.11162, 1e-4);
}

// Sub-second input shifts the sun by the Earth's rotation rate (~15 deg/h).
TEST(Solar, FractionOfSecondIsUsed) {
  const TimePoint t = *ParseTime("2003-10-17T19:30:30Z");
  const SunPosition a = ComputeSunPosition(t, {-105.1786, 39.742476});
  const SunPosition b = ComputeSunPosition(t, {-105.1786, 39.742476}, {}, 0.5);
  EXPECT_GT(std::abs(a.azimuth_deg - b.azimuth_deg), 1e-4);
  EXPECT_LT(std::abs(a.azimuth_deg - b.azimuth_deg), 0.01);
}

struct Published {
  const char* utc;
  double lon, lat;
  double elevation_deg, azimuth_deg, tolerance_deg;
};

// Independent published values:
//  - The March 2024 equinox (2024-03-20 03:06 UTC, USNO): at that instant the sun is
//    overhead near the equator at the longitude where it is local apparent noon
//    (lon = -(03:06 UTC - 12:00 + equation of time -7.5 min) * 15 deg/h ~ 135.6 E).
//  - The June 2021 solstice (2021-06-21 03:32 UTC, USNO): declination +23.44 deg, sun
//    overhead near the Tropic of Cancer at lon ~ 128.5 E (equation of time -1.7 min).
//  - Local noon in Greenwich on the December 2022 solstice (2022-12-21 21:48 UTC solstice;
//    at 12:00 UTC the sun culminates at 90 - 51.477 - 23.44 = 15.08 deg, due south).
const Published kPublished[] = {
    {"2024-03-20T03:06:00Z", 135.6, 0.0, 89.6, 0.0, 0.7},
    {"2021-06-21T03:32:00Z", 128.5, 23.44, 89.6, 0.0, 0.7},
    {"2022-12-21T12:00:00Z", -0.0015, 51.4769, 15.09, 180.6, 0.3},
};

TEST(Solar, AgreesWithPublishedAstronomicalEvents) {
  for (const Published& p : kPublished) {
    const SunPosition sun = ComputeSunPosition(*ParseTime(p.utc), {p.lon, p.lat});
    EXPECT_NEAR(sun.elevation_deg, p.elevation_deg, p.tolerance_deg) << p.utc;
    if (p.elevation_deg < 89.0) {
      EXPECT_NEAR(sun.azimuth_deg, p.azimuth_deg, 1.0) << p.utc;
    }
  }
}

TEST(Solar, AzimuthConvention) {
  // Morning sun is in the east, afternoon in the west (northern mid-latitudes, March).
  const SunPosition morning = ComputeSunPosition(*ParseTime("2024-03-20T08:00:00Z"), {0, 45});
  const SunPosition evening = ComputeSunPosition(*ParseTime("2024-03-20T16:00:00Z"), {0, 45});
  EXPECT_GT(morning.azimuth_deg, 90.0 - 30.0);
  EXPECT_LT(morning.azimuth_deg, 180.0);
  EXPECT_GT(evening.azimuth_deg, 180.0);
  EXPECT_LT(evening.azimuth_deg, 270.0 + 30.0);
  // Southern hemisphere at local noon: the sun is to the north.
  const SunPosition south = ComputeSunPosition(*ParseTime("2024-06-21T12:00:00Z"), {0, -33.9});
  EXPECT_TRUE(south.azimuth_deg < 5.0 || south.azimuth_deg > 355.0) << south.azimuth_deg;
}

TEST(Solar, NightGivesNegativeElevation) {
  const SunPosition sun = ComputeSunPosition(*ParseTime("2024-03-20T00:00:00Z"), {0, 45});
  EXPECT_LT(sun.elevation_deg, -30.0);
}

}  // namespace
}  // namespace bw
