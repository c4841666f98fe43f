// Sun position from time and place: the NREL Solar Position Algorithm (Reda & Andreas 2004,
// NREL/TP-560-34302), uncertainty +/-0.0003 deg for years -2000..6000.
#pragma once

#include "geo/types.h"

namespace bw {

struct SunPosition {
  double zenith_deg = 0.0;     // topocentric zenith angle, refraction-corrected
  double elevation_deg = 0.0;  // 90 - zenith_deg
  double azimuth_deg = 0.0;    // clockwise from true north, from the observer to the sun
};

struct SolarOptions {
  double elevation_m = 0.0;        // observer height above the ellipsoid/sea level
  double pressure_mbar = 1013.25;  // for refraction
  double temperature_c = 15.0;     // for refraction
  double delta_t_s = 69.0;         // TT - UT1
  double delta_ut1_s = 0.0;        // UT1 - UTC, |x| < 1
};

// REQUIRES: -90 <= lat_deg <= 90.  `utc_seconds_fraction` adds sub-second precision.
SunPosition ComputeSunPosition(TimePoint utc, LonLat where, const SolarOptions& options = {},
                               double utc_seconds_fraction = 0.0);

}  // namespace bw
