export { benchLinear, measureFmaPeak, measureReadBandwidth } from './bench-primitives.js';
export { type CpuInfo, cpuInfo } from './cpu.js';
export { crc32, crc32Accelerated, crc32PoolBlocks } from './crc32.js';
export { bf16ToF32, dequantizeQ8_0, f16ToF32, f32ToBf16, f32ToF16, quantizeQ8_0 } from './dtype-convert.js';
export { type KvDtype, KvPool, type KvPoolLayout, type KvPoolOptions } from './kv-pool.js';
export { type DType, Linear, type LinearStore, quantizeQ8_0Native, sourceBytes } from './linear.js';
export {
  type AttentionBatchInput,
  argmax,
  opsIsa,
  pagedAttention,
  type RopeOptions,
  type RopeStyle,
  rmsnorm,
  rope,
  softmax,
  swiglu,
  writeKv,
} from './ops.js';
export { type SamplingBatchInput, type SamplingBatchOutput, sampleBatch, samplingIsa } from './sampling.js';
export { type ForwardBatch, type NativeModelConfig, type NativeTensor, Transformer } from './transformer.js';
export {
  blockRanges,
  type UcxConnectOptions,
  UcxEndpoint,
  type UcxEndpointInfo,
  UcxError,
  type UcxErrorCode,
  type UcxLane,
  UcxMemory,
  type UcxMessage,
  type UcxOpOptions,
  type UcxRange,
  type UcxRecvOptions,
  UcxRemoteMemory,
  UcxWorker,
  type UcxWorkerOptions,
} from './ucx.js';
export {
  measureUcxBandwidth,
  type UcxBenchMode,
  type UcxBenchOptions,
  type UcxBenchPoint,
  type UcxBenchResult,
} from './ucx-bench.js';
