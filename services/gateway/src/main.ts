#!/usr/bin/env node
import { LocalBackend } from './local-backend.js';
import { MainConfigError, parseMainConfig } from './main-config.js';
import { startGateway } from './start-gateway.js';

/** The gateway command: an OpenAI-compatible server over the engine in this process. */
async function main(): Promise<void> {
  const cfg = parseMainConfig(process.argv.slice(2));
  const backend = LocalBackend.load({
    modelPath: cfg.model,
    ...(cfg.tokenizer === undefined ? {} : { tokenizerPath: cfg.tokenizer }),
    ...(cfg['served-model-name'] === undefined ? {} : { servedModelName: cfg['served-model-name'] }),
    ...(cfg['max-model-len'] === undefined ? {} : { maxModelLen: cfg['max-model-len'] }),
    ...(cfg['num-blocks'] === undefined ? {} : { numBlocks: cfg['num-blocks'] }),
    ...(cfg.dtype === undefined ? {} : { dtype: cfg.dtype }),
    ...(cfg['kv-dtype'] === undefined ? {} : { kvDtype: cfg['kv-dtype'] }),
    ...(cfg['max-num-seqs'] === undefined ? {} : { maxNumSeqs: cfg['max-num-seqs'] }),
  });
  const rps = cfg['rate-limit-rps'];
  const burst = cfg['rate-limit-burst'];
  const gateway = await startGateway({
    backend,
    port: cfg.port,
    host: cfg.host,
    apiKeys: cfg['api-key'],
    ...(cfg['max-body-bytes'] === undefined ? {} : { maxBodyBytes: cfg['max-body-bytes'] }),
    ...(rps === undefined || burst === undefined ? {} : { rateLimit: { requestsPerSecond: rps, burst } }),
  });
  process.stdout.write(`gateway: serving ${backend.model.name} at ${gateway.url}\n`);
  const stop = async () => {
    await gateway.close();
    backend.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  // Named errors (bad flags, a model that does not load) say what is wrong; anything else shows its stack.
  const named = error instanceof Error && error.name !== 'Error';
  const text = named ? `${error.name}: ${error.message}` : String((error as Error)?.stack ?? error);
  process.stderr.write(`gateway: ${error instanceof MainConfigError ? error.message : text}\n`);
  process.exit(error instanceof MainConfigError ? 2 : 1);
});
