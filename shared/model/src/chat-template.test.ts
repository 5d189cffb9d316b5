import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyChatTemplate, ChatTemplateError, DEFAULT_CHAT_TEMPLATE } from './chat-template.js';

const messages = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'Hi!' },
];

test('default template: role lines and an assistant prompt', () => {
  assert.equal(
    applyChatTemplate(DEFAULT_CHAT_TEMPLATE, messages, { addGenerationPrompt: true }),
    'system: Be brief.\nuser: Hi!\nassistant:',
  );
  assert.equal(applyChatTemplate(DEFAULT_CHAT_TEMPLATE, messages), 'system: Be brief.\nuser: Hi!\n');
});

test('ChatML-style template with bos/eos tokens and extra variables', () => {
  const chatml =
    "{{ bos_token }}{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}{% endfor %}" +
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}{% if tools %}{{ tools | length }}{% endif %}";
  assert.equal(
    applyChatTemplate(chatml, messages.slice(1), {
      addGenerationPrompt: true,
      bosToken: '<s>',
      extra: { tools: [1, 2] },
    }),
    '<s><|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n2',
  );
});

test('template errors are ChatTemplateErrors with a cause', () => {
  assert.throws(
    () => applyChatTemplate('{% for %}', messages),
    (e) => e instanceof ChatTemplateError && e.cause !== undefined,
  );
  const raising =
    "{% if messages[0]['role'] == 'system' %}{{ raise_exception('no system role') }}{% endif %}";
  assert.throws(
    () => applyChatTemplate(raising, messages),
    (e) => e instanceof ChatTemplateError && /no system role/.test(e.message),
  );
});
