// Real imagery, issue 4's targets (label `target`): F1 >= 0.85 against the hand-labelled
// vessels of the Sentinel-2 ports. What is reached today is guarded in real_floor_test.cc.
#include <gtest/gtest.h>

#include "tests/detection/sen2ships.h"

namespace bw {
namespace {

void ExpectTarget(const std::string& port) {
  BW_REQUIRE_REAL_DATA(real);
  Evaluation e;
  ASSERT_NO_FATAL_FAILURE(testing::DetectPort(real, port, &e));
  EXPECT_GE(e.f1, 0.85);
}

TEST(Sen2Ships, Honolulu) { ExpectTarget("honolulu"); }
TEST(Sen2Ships, Casablanca) { ExpectTarget("casablanca"); }

}  // namespace
}  // namespace bw
