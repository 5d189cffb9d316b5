import { parseArgs } from 'node:util';
import { z } from 'zod';

const USAGE = `usage: node services/gateway/dist/main.js --model PATH [--tokenizer PATH] [--port P] [--host H]
  [--api-key KEY]... [--served-model-name NAME] [--max-model-len N] [--num-blocks N]
  [--dtype f32|bf16|q8_0] [--kv-dtype f32|bf16] [--max-num-seqs N] [--max-body-bytes N]
  [--rate-limit-rps R --rate-limit-burst B]`;

const int = (min: number) => z.coerce.number().int().min(min);

const Schema = z
  .object({
    model: z.string().min(1),
    tokenizer: z.string().min(1).optional(),
    port: int(0).max(65535).default(8000),
    host: z.string().min(1).default('127.0.0.1'),
    'api-key': z.array(z.string().min(1)).default([]),
    'served-model-name': z.string().min(1).optional(),
    'max-model-len': int(1).optional(),
    'num-blocks': int(1).optional(),
    dtype: z.enum(['f32', 'bf16', 'q8_0']).optional(),
    'kv-dtype': z.enum(['f32', 'bf16']).optional(),
    'max-num-seqs': int(1).optional(),
    'max-body-bytes': int(1).optional(),
    'rate-limit-rps': z.coerce.number().positive().optional(),
    'rate-limit-burst': int(1).optional(),
  })
  .strict();

/** The gateway command's settings, validated. */
export type MainConfig = z.infer<typeof Schema>;

/** A bad command line; the message says which flag and shows the usage. */
export class MainConfigError extends Error {
  override readonly name = 'MainConfigError';
}

/** Parses and validates the command line (flags, plus PDSERVE_API_KEY from the environment). */
export function parseMainConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): MainConfig {
  const str = { type: 'string' } as const;
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        ...Object.fromEntries(Object.keys(Schema.shape).map((k) => [k, str])),
        'api-key': { type: 'string', multiple: true },
      },
      strict: true,
    }));
  } catch (cause) {
    throw new MainConfigError(`${(cause as Error).message}\n${USAGE}`, { cause });
  }
  if (env.PDSERVE_API_KEY)
    values['api-key'] = [...((values['api-key'] as string[]) ?? []), env.PDSERVE_API_KEY];
  const r = Schema.safeParse(values);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new MainConfigError(`--${i.path.join('.')}: ${i.message}\n${USAGE}`);
  }
  if ((r.data['rate-limit-rps'] === undefined) !== (r.data['rate-limit-burst'] === undefined)) {
    throw new MainConfigError(`--rate-limit-rps and --rate-limit-burst go together\n${USAGE}`);
  }
  return r.data;
}
