import type { DType } from './types.js';

/** GGUF's magic 'GGUF' as a little-endian uint32, and the default tensor data alignment. */
export const GGUF_MAGIC = 0x46554747;
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** Metadata value types, in GGUF's numbering (the index is the on-disk type id). */
export const GGUF_VALUE_TYPES = [
  'u8',
  'i8',
  'u16',
  'i16',
  'u32',
  'i32',
  'f32',
  'bool',
  'string',
  'array',
  'u64',
  'i64',
  'f64',
] as const;
export type GgufValueType = (typeof GGUF_VALUE_TYPES)[number];

/**
 * One metadata value with its GGUF type. Numbers are JS numbers (u64/i64 as bigint); arrays hold
 * their item type, and numeric arrays come back as plain number arrays.
 */
export type GgufValue =
  | { type: Exclude<GgufValueType, 'array' | 'string' | 'bool' | 'u64' | 'i64'>; value: number }
  | { type: 'u64' | 'i64'; value: bigint }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | {
      type: 'array';
      itemType: Exclude<GgufValueType, 'array'>;
      value: (number | bigint | boolean | string)[];
    };

/** Ordered GGUF metadata. */
export type GgufMetadata = Map<string, GgufValue>;

/** ggml tensor type ids for the dtypes we read and write. */
export const GGML_TYPE_OF: Record<DType, number> = { f32: 0, f16: 1, q8_0: 8, bf16: 30 };
export const DTYPE_OF_GGML: Record<number, DType> = { 0: 'f32', 1: 'f16', 8: 'q8_0', 30: 'bf16' };

/** A tensor as listed in a GGUF header: dims innermost first, offset relative to the data section. */
export interface GgufTensorInfo {
  name: string;
  dims: number[];
  ggmlType: number;
  offset: number;
}

/** A parsed GGUF header. */
export interface GgufHeader {
  version: number;
  metadata: GgufMetadata;
  tensorInfos: GgufTensorInfo[];
  alignment: number;
  /** Absolute file offset of the tensor data section. */
  dataOffset: number;
}
