#include "geo/raster_writer.h"

#include <gdal_priv.h>
#include <gtest/gtest.h>

#include "geo/error.h"
#include "tests/geo/geo_fixtures.h"
#include "tests/testing/testing.h"

namespace bw {
namespace {

using testing::TempDir;

struct Closer {
  void operator()(GDALDataset* d) const { GDALClose(GDALDataset::ToHandle(d)); }
};
std::unique_ptr<GDALDataset, Closer> OpenRaw(const std::string& path) {
  InitializeGdal();
  return std::unique_ptr<GDALDataset, Closer>(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER));
}

TEST(RasterWriter, WritesTiledCompressedGeoTiff) {
  TempDir dir;
  RasterWriteOptions o = testing::UtmOptions();
  o.nodata = 0;
  o.metadata = {{"SOURCE", "test"}};
  o.imagery_metadata = {{"SATELLITEID", "SIM-1"}};
  const std::string path = testing::WriteScene(dir.file("w.tif"), o, 600, 300, 4);
  auto ds = OpenRaw(path);
  ASSERT_NE(ds, nullptr);
  EXPECT_EQ(ds->GetRasterXSize(), 600);
  EXPECT_EQ(ds->GetRasterCount(), 4);
  int bx = 0, by = 0;
  ds->GetRasterBand(1)->GetBlockSize(&bx, &by);
  EXPECT_EQ(bx, 256);
  EXPECT_EQ(by, 256);
  EXPECT_STREQ(ds->GetMetadataItem("COMPRESSION", "IMAGE_STRUCTURE"), "DEFLATE");
  EXPECT_STREQ(ds->GetMetadataItem("PREDICTOR", "IMAGE_STRUCTURE"), "2");
  EXPECT_EQ(ds->GetRasterBand(1)->GetColorInterpretation(), GCI_RedBand);
  EXPECT_EQ(ds->GetRasterBand(3)->GetColorInterpretation(), GCI_BlueBand);
  EXPECT_STREQ(ds->GetRasterBand(4)->GetDescription(), "nir");
  EXPECT_EQ(ds->GetRasterBand(1)->GetRasterDataType(), GDT_UInt16);
  int has = 0;
  EXPECT_EQ(ds->GetRasterBand(2)->GetNoDataValue(&has), 0.0);
  EXPECT_TRUE(has);
  EXPECT_STREQ(ds->GetMetadataItem("SOURCE"), "test");
  EXPECT_STREQ(ds->GetMetadataItem("SATELLITEID", "IMAGERY"), "SIM-1");
  double gt[6];
  ASSERT_EQ(ds->GetGeoTransform(gt), CE_None);
  EXPECT_DOUBLE_EQ(gt[0], 500000.0);
  EXPECT_DOUBLE_EQ(gt[5], -0.5);
  ASSERT_NE(ds->GetSpatialRef(), nullptr);
  EXPECT_STREQ(ds->GetSpatialRef()->GetAuthorityCode(nullptr), "32653");
  uint16_t v = 0;
  ASSERT_EQ(
      ds->GetRasterBand(2)->RasterIO(GF_Read, 7, 5, 1, 1, &v, 1, 1, GDT_UInt16, 0, 0, nullptr),
      CE_None);
  EXPECT_EQ(v, 200 + 12);
}

TEST(RasterWriter, StreamsRowBlocks) {
  TempDir dir;
  RasterWriteOptions o = testing::UtmOptions();
  o.band_count = 3;
  o.cv_depth = CV_8U;
  {
    RasterWriter w(dir.file("s.tif"), 100, 90, o);
    for (int y0 = 0; y0 < 90; y0 += 30) {
      std::vector<cv::Mat> rows(3, cv::Mat(30, 100, CV_8U, cv::Scalar(y0 / 30 + 1)));
      w.WriteRows(y0, rows);
    }
  }  // destructor closes
  auto ds = OpenRaw(dir.file("s.tif"));
  ASSERT_NE(ds, nullptr);
  uint8_t v = 0;
  ASSERT_EQ(
      ds->GetRasterBand(3)->RasterIO(GF_Read, 50, 70, 1, 1, &v, 1, 1, GDT_Byte, 0, 0, nullptr),
      CE_None);
  EXPECT_EQ(v, 3);
}

TEST(RasterWriter, FloatUsesFloatingPointPredictorAndDescriptions) {
  TempDir dir;
  RasterWriteOptions o = testing::GeographicOptions();
  o.band_descriptions = {"red", "green", "blue"};
  WriteGeoTiff(dir.file("f.tif"), testing::PatternBands(40, 30, 3, CV_32F), o);
  auto ds = OpenRaw(dir.file("f.tif"));
  ASSERT_NE(ds, nullptr);
  EXPECT_EQ(ds->GetRasterBand(1)->GetRasterDataType(), GDT_Float32);
  EXPECT_STREQ(ds->GetMetadataItem("PREDICTOR", "IMAGE_STRUCTURE"), "3");
  EXPECT_STREQ(ds->GetRasterBand(2)->GetDescription(), "green");
}

TEST(RasterWriter, RejectsBadInput) {
  TempDir dir;
  RasterWriteOptions o = testing::UtmOptions();
  o.band_count = 3;
  RasterWriter w(dir.file("x.tif"), 10, 10, o);
  // Wrong band count, wrong depth, rows outside.
  EXPECT_THROW(w.WriteRows(0, std::vector<cv::Mat>(2, cv::Mat(10, 10, CV_16U))), Error);
  EXPECT_THROW(w.WriteRows(0, std::vector<cv::Mat>(3, cv::Mat(10, 10, CV_8U))), Error);
  EXPECT_THROW(w.WriteRows(5, std::vector<cv::Mat>(3, cv::Mat(10, 10, CV_16U))), Error);
  EXPECT_THROW(RasterWriter(dir.file("y.tif"), 0, 10, o), Error);
  EXPECT_THROW(RasterWriter("/nonexistent/dir/z.tif", 10, 10, o), Error);
  o.crs = "nonsense";
  EXPECT_THROW(RasterWriter(dir.file("w.tif"), 10, 10, o), Error);
}

}  // namespace
}  // namespace bw
