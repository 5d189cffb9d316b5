import { Template } from '@huggingface/jinja';

/** One chat message as chat templates see it (OpenAI's fields; extra fields are passed through). */
export interface ChatMessage {
  role: string;
  content: string | null;
  [key: string]: unknown;
}

/** Options of applyChatTemplate; `extra` adds template variables (tools, documents, ...). */
export interface ChatTemplateOptions {
  addGenerationPrompt?: boolean;
  bosToken?: string;
  eosToken?: string;
  extra?: Record<string, unknown>;
}

/** A template that does not parse or that fails while rendering (e.g. its raise_exception). */
export class ChatTemplateError extends Error {
  override readonly name = 'ChatTemplateError';
}

/**
 * The template used for models that ship none (llama2.c models, random benchmark models): one
 * "role: content" line per message, then "assistant:" when a generation prompt is asked for. It adds
 * no BOS; the tokenizer's addBos does that.
 */
export const DEFAULT_CHAT_TEMPLATE =
  "{% for message in messages %}{{ message['role'] + ': ' + message['content'] }}\n{% endfor %}" +
  "{% if add_generation_prompt %}{{ 'assistant:' }}{% endif %}";

const cache = new Map<string, Template>();

function compile(template: string): Template {
  let t = cache.get(template);
  if (!t) {
    try {
      t = new Template(template);
    } catch (cause) {
      throw new ChatTemplateError('chat template does not parse', { cause });
    }
    if (cache.size > 32) cache.clear();
    cache.set(template, t);
  }
  return t;
}

/** Renders a Jinja chat template (HF conventions: messages, add_generation_prompt, bos_token, eos_token). */
export function applyChatTemplate(
  template: string,
  messages: ChatMessage[],
  options: ChatTemplateOptions = {},
): string {
  const t = compile(template);
  try {
    return t.render({
      ...options.extra,
      messages,
      add_generation_prompt: options.addGenerationPrompt ?? false,
      bos_token: options.bosToken ?? '',
      eos_token: options.eosToken ?? '',
    });
  } catch (cause) {
    throw new ChatTemplateError(`chat template failed: ${(cause as Error)?.message ?? cause}`, { cause });
  }
}
