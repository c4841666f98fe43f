// placeholder until the imaging kernels land
namespace bw {}
