import { applyChatTemplate, type ChatMessage, DEFAULT_CHAT_TEMPLATE } from '@pdserve/model';
import type { ChatRequestMessage } from './chat-request.js';
import type { ServedModel } from './serving-backend.js';
import type { TokenizedPrompt } from './tokenized-prompt.js';

/** Options of chatPrompt (vLLM's request fields). */
export interface ChatPromptOptions {
  addGenerationPrompt?: boolean;
  /** undefined: add BOS unless the rendered text already starts with the BOS text. */
  addSpecialTokens?: boolean;
  templateKwargs?: Record<string, unknown>;
}

/**
 * Renders chat messages with the model's chat template (else DEFAULT_CHAT_TEMPLATE) and tokenizes
 * the text. Text content parts are joined with newlines, as vLLM does. Special-token text in the
 * rendered prompt (the template's BOS, role markers) is parsed to its ids.
 */
export function chatPrompt(
  messages: readonly ChatRequestMessage[],
  model: ServedModel,
  options: ChatPromptOptions = {},
): TokenizedPrompt {
  const text = applyChatTemplate(model.chatTemplate ?? DEFAULT_CHAT_TEMPLATE, messages.map(toChatMessage), {
    addGenerationPrompt: options.addGenerationPrompt ?? true,
    ...(model.bosToken === undefined ? {} : { bosToken: model.bosToken }),
    ...(model.eosToken === undefined ? {} : { eosToken: model.eosToken }),
    ...(options.templateKwargs === undefined ? {} : { extra: options.templateKwargs }),
  });
  const startsWithBos =
    model.bosToken !== undefined && model.bosToken !== '' && text.startsWith(model.bosToken);
  const addBos = options.addSpecialTokens ?? !startsWithBos;
  return { tokenIds: model.tokenizer.encode(text, { addBos }), text };
}

function toChatMessage(m: ChatRequestMessage): ChatMessage {
  const content =
    m.content == null
      ? null
      : typeof m.content === 'string'
        ? m.content
        : m.content.map((part) => part.text ?? '').join('\n');
  const out: ChatMessage = { role: m.role, content };
  if ('name' in m && m.name != null) out.name = m.name;
  if ('tool_call_id' in m && m.tool_call_id != null) out.tool_call_id = m.tool_call_id;
  return out;
}
