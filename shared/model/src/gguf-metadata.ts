import type { GgufMetadata, GgufValue, GgufValueType } from './gguf-types.js';

/** Typed access to GGUF metadata and constructors for values to write. */
export const GgufMeta = {
  number(md: GgufMetadata, key: string): number | undefined {
    const v = md.get(key);
    if (!v || v.type === 'array' || v.type === 'string') return undefined;
    return Number(v.value);
  },

  string(md: GgufMetadata, key: string): string | undefined {
    const v = md.get(key);
    return v?.type === 'string' ? v.value : undefined;
  },

  bool(md: GgufMetadata, key: string): boolean | undefined {
    const v = md.get(key);
    return v?.type === 'bool' ? v.value : undefined;
  },

  array(md: GgufMetadata, key: string): (number | bigint | boolean | string)[] | undefined {
    const v = md.get(key);
    return v?.type === 'array' ? v.value : undefined;
  },

  u32: (value: number): GgufValue => ({ type: 'u32', value }),
  i32: (value: number): GgufValue => ({ type: 'i32', value }),
  f32: (value: number): GgufValue => ({ type: 'f32', value }),
  flag: (value: boolean): GgufValue => ({ type: 'bool', value }),
  str: (value: string): GgufValue => ({ type: 'string', value }),
  arr: (itemType: Exclude<GgufValueType, 'array'>, value: (number | string)[]): GgufValue => ({
    type: 'array',
    itemType,
    value,
  }),
};
