export { onProcessExit } from './exit-cleanup.js';
export { freePort } from './free-port.js';
export {
  ManagedProcess,
  type ManagedProcessOptions,
  type ProcessExit,
  ProcessStartError,
} from './managed-process.js';
export {
  findNatsServer,
  type NatsServerHandle,
  NatsServerNotFoundError,
  type NatsServerOptions,
  NatsServerStartError,
  startNatsServer,
} from './nats-server.js';
export { PortWaitTimeoutError, type WaitForPortOptions, waitForPort } from './wait-for-port.js';
