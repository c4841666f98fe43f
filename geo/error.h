// berthwatch's one exception family. Every message names the stage, the file and the
// problem, e.g. "geo.scene: 'x.tif': no geotransform", so that main() can print it as one
// line. Libraries throw these at a stage's entry, never inside per-pixel loops.
#pragma once

#include <stdexcept>
#include <string>

namespace bw {

class Error : public std::runtime_error {
 public:
  // stage: dotted stage name ("geo.scene", "tally.store"); file: may be empty.
  Error(std::string stage, std::string file, const std::string& what);

  const std::string& stage() const { return stage_; }
  const std::string& file() const { return file_; }
  // The problem alone, without stage and file.
  const std::string& problem() const { return problem_; }

 private:
  std::string stage_;
  std::string file_;
  std::string problem_;
};

// Bad user input: unreadable, malformed or inconsistent files and arguments.
class InputError : public Error {
 public:
  using Error::Error;
};

// An input that is valid but does not contain what the stage needs (a scene that misses
// the terminal, an all-cloud or all-nodata window). Batches record it as "skipped".
class NoDataError : public Error {
 public:
  using Error::Error;
};

}  // namespace bw
