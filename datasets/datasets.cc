// placeholder until the renderer lands
namespace bw {}
