#include <gtest/gtest.h>

#include "geo/types.h"

namespace bw {
namespace {

using std::chrono::sys_days;
using namespace std::chrono_literals;

TimePoint At(int y, unsigned m, unsigned d, int hh, int mm, int ss) {
  return sys_days{std::chrono::year{y} / m / d} + std::chrono::hours{hh} +
         std::chrono::minutes{mm} + std::chrono::seconds{ss};
}

TEST(ParseTime, Rfc3339Utc) {
  EXPECT_EQ(ParseTime("2024-03-07T01:23:45Z"), At(2024, 3, 7, 1, 23, 45));
}

TEST(ParseTime, OffsetsAreConvertedToUtc) {
  EXPECT_EQ(ParseTime("2024-03-07T10:23:45+09:00"), At(2024, 3, 7, 1, 23, 45));
  EXPECT_EQ(ParseTime("2003-10-17T12:30:30-07:00"), At(2003, 10, 17, 19, 30, 30));
  EXPECT_EQ(ParseTime("2024-03-07T01:23:45+0000"), At(2024, 3, 7, 1, 23, 45));
}

TEST(ParseTime, FractionsAreDropped) {
  EXPECT_EQ(ParseTime("2024-03-07T01:23:45.987654Z"), At(2024, 3, 7, 1, 23, 45));
}

TEST(ParseTime, SpaceAndTiffFormsAreUtc) {
  EXPECT_EQ(ParseTime("2024-03-07 01:23:45"), At(2024, 3, 7, 1, 23, 45));
  EXPECT_EQ(ParseTime("2024:03:07 01:23:45"), At(2024, 3, 7, 1, 23, 45));
  EXPECT_EQ(ParseTime("2024-03-07"), At(2024, 3, 7, 0, 0, 0));
}

TEST(ParseTime, RejectsGarbage) {
  EXPECT_FALSE(ParseTime(""));
  EXPECT_FALSE(ParseTime("yesterday"));
  EXPECT_FALSE(ParseTime("2024-13-07T01:23:45Z"));
  EXPECT_FALSE(ParseTime("2024-02-30T01:23:45Z"));
  EXPECT_FALSE(ParseTime("2024-03-07T25:23:45Z"));
  EXPECT_FALSE(ParseTime("2024-03-07T01:23:45Zjunk"));
}

TEST(FormatTime, RoundTrips) {
  const TimePoint t = At(1999, 12, 31, 23, 59, 58);
  EXPECT_EQ(FormatTime(t), "1999-12-31T23:59:58Z");
  EXPECT_EQ(ParseTime(FormatTime(t)), t);
}

}  // namespace
}  // namespace bw
