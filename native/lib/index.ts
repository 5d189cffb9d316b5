export { type CpuInfo, cpuInfo } from './cpu.js';
