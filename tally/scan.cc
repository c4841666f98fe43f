#include "tally/scan.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <thread>

#include "geo/error.h"
#include "tally/store.h"

namespace bw {

namespace fs = std::filesystem;

namespace {

constexpr const char* kStage = "tally.scan";

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool IsRasterName(const fs::path& p) {
  static const std::set<std::string> kExt = {".tif", ".tiff", ".vrt", ".jp2",
                                             ".img", ".ntf",  ".nitf"};
  const std::string name = Lower(p.filename().string());
  if (name.ends_with(".aux.xml") || name.ends_with(".ovr") || name.ends_with(".msk")) {
    return false;
  }
  return kExt.count(Lower(p.extension().string())) > 0;
}

// The raster asset href of one STAC item, or empty.
std::string PickAsset(const nlohmann::json& item) {
  if (!item.contains("assets") || !item["assets"].is_object()) return {};
  const auto& assets = item["assets"];
  for (const char* key : {"visual", "analytic", "image", "data", "ortho_visual"}) {
    if (assets.contains(key) && assets[key].contains("href")) {
      return assets[key]["href"].get<std::string>();
    }
  }
  for (const auto& [key, asset] : assets.items()) {
    if (!asset.is_object() || !asset.contains("href")) continue;
    const std::string href = asset["href"].get<std::string>();
    const std::string type = asset.value("type", "");
    if (type.find("image/tiff") != std::string::npos ||
        type.find("image/jp2") != std::string::npos || IsRasterName(fs::path(href))) {
      return href;
    }
  }
  return {};
}

std::vector<std::string> ReadStac(const fs::path& json_path) {
  std::ifstream in(json_path);
  nlohmann::json doc;
  try {
    in >> doc;
  } catch (const std::exception& e) {
    throw InputError(kStage, json_path.string(), std::string("not valid JSON: ") + e.what());
  }
  std::vector<nlohmann::json> items;
  const std::string type = doc.value("type", "");
  if (type == "FeatureCollection" && doc.contains("features") && doc["features"].is_array()) {
    for (const auto& f : doc["features"]) items.push_back(f);
  } else if (type == "Feature") {
    items.push_back(doc);
  } else {
    throw InputError(kStage, json_path.string(),
                     "not a STAC ItemCollection or Item (no FeatureCollection/Feature type)");
  }
  std::vector<std::string> out;
  const fs::path base = json_path.parent_path();
  for (const auto& item : items) {
    std::string href = PickAsset(item);
    if (href.empty()) {
      throw InputError(
          kStage, json_path.string(),
          "STAC item '" + item.value("id", std::string("?")) + "' has no raster asset");
    }
    if (href.starts_with("file://")) href = href.substr(7);
    fs::path p(href);
    if (p.is_relative()) p = base / p;
    out.push_back(p.lexically_normal().string());
  }
  return out;
}

}  // namespace

std::string ContentHash(const std::string& path) {
  // read(2) into one reused buffer: no stream layer, and the page cache is copied once.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError(kStage, path, "cannot read the file");
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  struct StateDeleter {
    void operator()(XXH3_state_t* s) const { XXH3_freeState(s); }
  };
  const std::unique_ptr<XXH3_state_t, StateDeleter> state(XXH3_createState());
  if (state == nullptr || XXH3_64bits_reset(state.get()) != XXH_OK) {
    ::close(fd);
    throw Error(kStage, path, "out of memory for the content hash");
  }
  thread_local std::vector<char> buffer(1 << 20);
  for (;;) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      throw InputError(kStage, path, "read error");
    }
    if (n == 0) break;
    XXH3_64bits_update(state.get(), buffer.data(), static_cast<size_t>(n));
  }
  ::close(fd);
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx",
                static_cast<unsigned long long>(XXH3_64bits_digest(state.get())));
  return text;
}

std::string LegacyContentHash(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(kStage, path, "cannot read the file");
  std::uint64_t h = 14695981039346656037ULL;
  constexpr std::uint64_t kPrime = 1099511628211ULL;
  std::vector<char> buffer(1 << 20);
  std::uint64_t size = 0;
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const std::streamsize n = in.gcount();
    const auto* p = reinterpret_cast<const unsigned char*>(buffer.data());
    for (std::streamsize i = 0; i < n; ++i) {
      h ^= p[i];
      h *= kPrime;
    }
    size += static_cast<std::uint64_t>(n);
  }
  if (in.bad()) throw InputError(kStage, path, "read error");
  for (int i = 0; i < 8; ++i) {
    h ^= (size >> (8 * i)) & 0xff;
    h *= kPrime;
  }
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(h));
  return text;
}

std::vector<std::string> CollectSceneFiles(const std::vector<std::string>& inputs) {
  std::vector<std::string> out;
  for (const std::string& input : inputs) {
    std::error_code ec;
    const fs::path p(input);
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> found;
      for (auto it = fs::recursive_directory_iterator(
               p, fs::directory_options::follow_directory_symlink, ec);
           it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (ec) break;
        if (it->is_regular_file(ec) && IsRasterName(it->path())) {
          found.push_back(it->path().lexically_normal().string());
        }
      }
      if (found.empty()) spdlog::warn("{}: no scene files under '{}'", kStage, input);
      out.insert(out.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(p, ec)) {
      if (Lower(p.extension().string()) == ".json") {
        auto items = ReadStac(p);
        out.insert(out.end(), items.begin(), items.end());
      } else {
        out.push_back(p.lexically_normal().string());
      }
    } else {
      throw InputError(kStage, input, "no such file or folder");
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void ScanOptions::Check() const {
  if (threads < 0 || threads > 1024) {
    throw InputError(kStage, "", "--threads must be between 0 and 1024");
  }
}

namespace {

struct Outcome {
  size_t index = 0;
  SceneRecord record;
  SceneDetections observations;
  bool already_stored = false;
  std::string legacy_hash;  // the store's legacy key of this file, to re-key (Store::Rekey)
};

// What the workers read of the store (read-only while they run).
struct StoredKeys {
  std::set<std::string> hashes;          // Store::stored_hashes
  std::set<std::string> legacy;          // Store::legacy_hashes
  std::set<std::string> legacy_current;  // Store::legacy_hashes_current
};

Outcome RunOne(const std::string& path, size_t index, const StoredKeys& stored,
               const SceneDetector& detector) {
  Outcome o;
  o.index = index;
  o.record.path = path;
  o.record.scene_id = fs::path(path).stem().string();
  try {
    o.record.content_hash = ContentHash(path);
  } catch (const std::exception& e) {
    // Unreadable: record it under a hash of its path so that the row is unique.
    o.record.content_hash = kUnreadablePrefix + path;
    o.record.status = SceneStatus::kFailed;
    o.record.error = e.what();
    return o;
  }
  if (stored.hashes.count(o.record.content_hash)) {
    o.already_stored = true;
    return o;
  }
  if (!stored.legacy.empty()) {
    // A store written before the hash changed: find this file under its old key. Stored
    // by this detector version, it is only re-keyed; by another, detected again.
    try {
      const std::string legacy = LegacyContentHash(path);
      if (stored.legacy.count(legacy)) o.legacy_hash = legacy;
      if (stored.legacy_current.count(legacy)) {
        o.already_stored = true;
        return o;
      }
    } catch (const std::exception&) {
      // Read it once already: a failure now is the detector's to report.
    }
  }
  try {
    o.observations = detector(path);
    if (!o.observations.datetime_known || o.observations.datetime == TimePoint{}) {
      o.record.status = SceneStatus::kSkipped;
      o.record.error = "no acquisition time (no STAC sidecar, IMAGERY or TIFF datetime)";
    } else {
      o.record.datetime = o.observations.datetime;
      if (!o.observations.scene_id.empty()) o.record.scene_id = o.observations.scene_id;
      o.record.status = SceneStatus::kProcessed;
    }
  } catch (const NoDataError& e) {
    o.record.status = SceneStatus::kSkipped;
    o.record.error = e.what();
  } catch (const std::exception& e) {
    o.record.status = SceneStatus::kFailed;
    o.record.error = e.what();
  }
  if (o.record.status != SceneStatus::kProcessed) o.observations = SceneDetections{};
  return o;
}

}  // namespace

ScanSummary ScanScenes(const std::vector<std::string>& scene_files, const std::string& db_path,
                       const SceneDetector& detector, const ScanOptions& options,
                       const std::function<void(const ScanProgress&)>& progress) {
  options.Check();
  Store store = Store::Open(db_path);
  const StoredKeys stored{store.stored_hashes(), store.legacy_hashes(),
                          store.legacy_hashes_current()};

  ScanSummary summary;
  summary.counts.total = static_cast<int>(scene_files.size());
  const auto start = std::chrono::steady_clock::now();
  int workers =
      options.threads > 0 ? options.threads : static_cast<int>(std::thread::hardware_concurrency());
  workers = std::clamp(workers, 1, std::max(1, static_cast<int>(scene_files.size())));

  std::mutex mutex;
  std::condition_variable ready;
  std::deque<Outcome> queue;
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(workers));
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&] {
      for (;;) {
        const size_t i = next.fetch_add(1);
        if (i >= scene_files.size() || stop.load()) return;
        Outcome o = RunOne(scene_files[i], i, stored, detector);
        {
          std::lock_guard lock(mutex);
          queue.push_back(std::move(o));
        }
        ready.notify_one();
      }
    });
  }

  std::set<std::string> committed;
  try {
    for (size_t received = 0; received < scene_files.size(); ++received) {
      Outcome o;
      {
        std::unique_lock lock(mutex);
        ready.wait(lock, [&] { return !queue.empty(); });
        o = std::move(queue.front());
        queue.pop_front();
      }
      ScanProgress& c = summary.counts;
      if (!o.legacy_hash.empty()) store.Rekey(o.legacy_hash, o.record.content_hash);
      if (o.already_stored || store.Has(o.record.content_hash) ||
          committed.count(o.record.content_hash)) {
        ++c.already_stored;
      } else {
        store.CommitScene(o.record, o.observations);
        committed.insert(o.record.content_hash);
        switch (o.record.status) {
          case SceneStatus::kProcessed:
            ++c.processed;
            break;
          case SceneStatus::kFailed:
            ++c.failed;
            break;
          case SceneStatus::kSkipped:
            ++c.skipped;
            break;
        }
        if (o.record.status != SceneStatus::kProcessed) {
          summary.failures.push_back({o.record.path, ToString(o.record.status), o.record.error});
          spdlog::info("{}: {} {}: {}", kStage, ToString(o.record.status), o.record.path,
                       o.record.error);
        }
      }
      ++c.done;
      c.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (progress) progress(c);
    }
  } catch (...) {
    stop = true;
    for (auto& t : threads) t.join();
    throw;
  }
  for (auto& t : threads) t.join();
  std::sort(summary.failures.begin(), summary.failures.end(),
            [](const ScanFailure& a, const ScanFailure& b) { return a.path < b.path; });
  return summary;
}

}  // namespace bw

namespace bw {

std::string FormatScanProgress(const ScanProgress& p) {
  const double rate = p.elapsed_s > 0 ? p.done / p.elapsed_s : 0.0;
  const int left = p.total - p.done;
  const long eta = rate > 0 ? std::lround(left / rate) : 0;
  char buf[160];
  std::snprintf(buf, sizeof(buf), "scan %d/%d scenes  %.2f scenes/s  ETA %ld:%02ld  (%d failed)",
                p.done, p.total, rate, eta / 60, eta % 60, p.failed);
  return buf;
}

std::string FormatScanSummary(const ScanSummary& s) {
  const ScanProgress& c = s.counts;
  char buf[256];
  std::snprintf(buf, sizeof(buf),
                "scan: %d scenes: %d processed, %d failed, %d skipped, %d already stored "
                "(%.1f s)\n",
                c.total, c.processed, c.failed, c.skipped, c.already_stored, c.elapsed_s);
  std::string out = buf;
  for (const ScanFailure& f : s.failures) {
    out += "  " + f.status + ": " + f.path + ": " + f.error + "\n";
  }
  return out;
}

}  // namespace bw

namespace bw {
void StoreFleet(const std::string& db_path, const Fleet& fleet) {
  Store store = Store::Open(db_path);
  store.WriteFleet(fleet);
}
}  // namespace bw
