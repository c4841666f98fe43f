#include "geo/types.h"

#include <cctype>
#include <cstdio>

namespace bw {
namespace {

// Reads exactly `n` digits at text[pos]; advances pos.
bool ReadDigits(const std::string& text, size_t& pos, int n, int& out) {
  if (pos + n > text.size()) return false;
  int v = 0;
  for (int i = 0; i < n; ++i) {
    const char c = text[pos + i];
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  pos += n;
  return true;
}

bool Expect(const std::string& text, size_t& pos, const char* accepted) {
  if (pos >= text.size()) return false;
  for (const char* a = accepted; *a != '\0'; ++a) {
    if (text[pos] == *a) {
      ++pos;
      return true;
    }
  }
  return false;
}

}  // namespace

std::optional<TimePoint> ParseTime(const std::string& raw) {
  // Trim surrounding blanks and quotes.
  size_t b = 0, e = raw.size();
  while (b < e && (std::isspace(static_cast<unsigned char>(raw[b])) || raw[b] == '"')) ++b;
  while (e > b && (std::isspace(static_cast<unsigned char>(raw[e - 1])) || raw[e - 1] == '"')) --e;
  const std::string text = raw.substr(b, e - b);
  size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!ReadDigits(text, pos, 4, year) || !Expect(text, pos, "-:/") ||
      !ReadDigits(text, pos, 2, month) || !Expect(text, pos, "-:/") ||
      !ReadDigits(text, pos, 2, day)) {
    return std::nullopt;
  }
  if (pos < text.size()) {
    if (!Expect(text, pos, "Tt ") || !ReadDigits(text, pos, 2, hour) || !Expect(text, pos, ":") ||
        !ReadDigits(text, pos, 2, minute)) {
      return std::nullopt;
    }
    if (pos < text.size() && text[pos] == ':') {
      ++pos;
      if (!ReadDigits(text, pos, 2, second)) return std::nullopt;
    }
    if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
      ++pos;
      size_t digits = 0;
      while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
        ++pos;
        ++digits;
      }
      if (digits == 0) return std::nullopt;
    }
  }
  int offset_s = 0;
  if (pos < text.size()) {
    const char c = text[pos];
    if (c == 'Z' || c == 'z') {
      ++pos;
    } else if (c == '+' || c == '-') {
      ++pos;
      int oh = 0, om = 0;
      if (!ReadDigits(text, pos, 2, oh)) return std::nullopt;
      if (pos < text.size() && text[pos] == ':') ++pos;
      if (pos < text.size() && !ReadDigits(text, pos, 2, om)) return std::nullopt;
      if (oh > 23 || om > 59) return std::nullopt;
      offset_s = (c == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    } else {
      return std::nullopt;
    }
  }
  if (pos != text.size()) return std::nullopt;
  if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{year},
                                        std::chrono::month{static_cast<unsigned>(month)},
                                        std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return std::nullopt;
  const TimePoint t = std::chrono::sys_days{ymd} + std::chrono::hours{hour} +
                      std::chrono::minutes{minute} + std::chrono::seconds{second} -
                      std::chrono::seconds{offset_s};
  return t;
}

std::string FormatTime(TimePoint t) {
  const auto days = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd{days};
  const std::chrono::hh_mm_ss hms{t - days};
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

}  // namespace bw
