#include "geo/fleet.h"

#include <gtest/gtest.h>

#include "geo/error.h"
#include "tests/geo/geo_fixtures.h"
#include "tests/testing/testing.h"

namespace bw {
namespace {

using testing::TempDir;

constexpr const char* kHeader = "name,length_m,beam_m,depth_m,ballast_draft_m,laden_draft_m\n";

void ExpectFleetError(const std::string& text, const std::string& fragment) {
  TempDir dir;
  const std::string path = dir.file("fleet.csv");
  testing::WriteText(path, text);
  try {
    LoadFleet(path);
    ADD_FAILURE() << "loaded: " << text;
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find(fragment), std::string::npos) << msg;
  }
}

TEST(Fleet, LoadsRowsWithExtraColumnsInAnyOrder) {
  TempDir dir;
  const std::string path = dir.file("fleet.csv");
  testing::WriteText(path,
                     "imo,laden_draft_m,name,length_m,beam_m,depth_m,ballast_draft_m\n"
                     "9000001,11.5,\"Sea, Star\",183,32.2,18.2,6.0\n"
                     "\n"
                     "9000002,14.8,Ocean Pride,228.5,32.3,20.5,7.5\n");
  const Fleet f = LoadFleet(path);
  ASSERT_EQ(f.vessels.size(), 2u);
  EXPECT_EQ(f.vessels[0].name, "Sea, Star");
  EXPECT_DOUBLE_EQ(f.vessels[0].length_m, 183.0);
  EXPECT_DOUBLE_EQ(f.vessels[0].laden_draft_m, 11.5);
  EXPECT_DOUBLE_EQ(f.vessels[1].beam_m, 32.3);
  EXPECT_EQ(f.path, path);
}

TEST(Fleet, WriteThenLoadRoundTrips) {
  TempDir dir;
  Fleet f;
  f.vessels.push_back({"A \"quoted\", name", 183.0, 32.2, 18.2, 6.0, 11.5});
  f.vessels.push_back({"B", 250.0, 44.0, 24.0, 8.0, 15.25});
  WriteFleet(dir.file("f.csv"), f);
  const Fleet back = LoadFleet(dir.file("f.csv"));
  ASSERT_EQ(back.vessels.size(), 2u);
  EXPECT_EQ(back.vessels[0].name, "A \"quoted\", name");
  EXPECT_DOUBLE_EQ(back.vessels[1].laden_draft_m, 15.25);
}

TEST(Fleet, ErrorMissingColumn) {
  ExpectFleetError("name,length_m,beam_m,depth_m,ballast_draft_m\nA,1,1,1,1\n",
                   "lacks column 'laden_draft_m'");
}

TEST(Fleet, ErrorNonNumeric) {
  ExpectFleetError(std::string(kHeader) + "A,183,wide,18,6,11\n", "line 2: beam_m 'wide'");
  ExpectFleetError(std::string(kHeader) + "A,183,,18,6,11\n", "line 2: beam_m");
}

TEST(Fleet, ErrorNonPositive) {
  ExpectFleetError(std::string(kHeader) + "A,183,32,18,6,11\nB,-5,32,18,6,11\n",
                   "line 3: length_m must be positive");
}

TEST(Fleet, ErrorInconsistentDrafts) {
  ExpectFleetError(std::string(kHeader) + "A,183,32,18,12,11\n", "ballast_draft_m must be below");
  ExpectFleetError(std::string(kHeader) + "A,183,32,18,6,19\n", "laden_draft_m must be below");
}

TEST(Fleet, ErrorWrongFieldCountDuplicateEmpty) {
  ExpectFleetError(std::string(kHeader) + "A,183,32,18,6\n", "line 2: 5 fields");
  ExpectFleetError(std::string(kHeader) + "A,183,32,18,6,11\nA,183,32,18,6,11\n",
                   "line 3: duplicate name 'A'");
  ExpectFleetError(std::string(kHeader) + ",183,32,18,6,11\n", "empty name");
  ExpectFleetError("", "empty file");
}

TEST(Fleet, ErrorMissingFile) { EXPECT_THROW(LoadFleet("/nonexistent/fleet.csv"), InputError); }

}  // namespace
}  // namespace bw
