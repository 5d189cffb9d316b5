export {
  AgentKvConnector,
  type AgentKvConnectorOptions,
  type AgentKvConnectorStats,
} from './agent-kv-connector.js';
export { AgentLink, type AgentLinkOptions } from './agent-link.js';
export {
  type KvAgentInfo,
  type KvAttach,
  type KvCancel,
  type KvInstanceRef,
  type KvOpen,
  type KvStage,
  type KvTransferNotice,
  kvAgentInfoCodec,
  kvInstanceRefCodec,
  kvTransferNoticeCodec,
} from './agent-messages.js';
export { AgentRegistration, listKvAgents } from './agent-registration.js';
export { blockChecksum } from './block-checksum.js';
export { createNatsKvConnector } from './create-nats-kv-connector.js';
export { DirectCopyRegistry, DirectCopyTransport } from './direct-copy-transport.js';
export { InMemoryKvBus, InMemoryKvNetwork } from './in-memory-bus.js';
export { KvAgent, type KvAgentOptions, type KvAgentStats } from './kv-agent.js';
export type { KvBus, KvBusHeaders, KvBusSubscription } from './kv-bus.js';
export { KvHandshakeMismatchError, transferError } from './kv-connector-errors.js';
export type {
  KvTransferEndInfo,
  KvTransferObserver,
  KvTransferStartInfo,
} from './kv-transfer-observer.js';
export type {
  KvBlockSink,
  KvSendItem,
  KvSendJob,
  KvSendResult,
  KvTransport,
  KvTransportKind,
} from './kv-transport.js';
export { NatsChunkTransport, type NatsChunkTransportOptions } from './nats-chunk-transport.js';
export { NatsKvBus } from './nats-kv-bus.js';
export { type KvDataOp, type KvFaultAction, TransportTestFaults } from './transport-test-faults.js';
export { UcxKvTransport, type UcxKvTransportOptions, type UcxKvTransportStats } from './ucx-transport.js';
export type { KvPeerRef, KvPoolLayoutWire, KvTransferTarget } from './wire-types.js';
