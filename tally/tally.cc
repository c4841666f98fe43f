// placeholder until tally lands
namespace bw {}
