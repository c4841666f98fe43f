// Hull cues -> freeboard -> load (stub; being implemented).
#include "detection/freeboard.h"

namespace bw {}  // namespace bw
