import { fileURLToPath } from 'node:url';

/** The repository root (cli/dist/serve/ is three levels below it). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The built main of each pdserve service, run with this Node. */
export const SERVICE_MAINS = {
  gateway: fileURLToPath(new URL('../../../services/gateway/dist/main.js', import.meta.url)),
  router: fileURLToPath(new URL('../../../services/router/dist/main.js', import.meta.url)),
  prefill: fileURLToPath(new URL('../../../services/prefill/dist/main.js', import.meta.url)),
  decode: fileURLToPath(new URL('../../../services/decode/dist/main.js', import.meta.url)),
  kvConnector: fileURLToPath(new URL('../../../services/kv-connector/dist/main.js', import.meta.url)),
} as const;

/** The default model of `pdserve serve`. */
export const DEFAULT_MODEL = fileURLToPath(
  new URL('../../../models/stories260K/stories260K.bin', import.meta.url),
);
