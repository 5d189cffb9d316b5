/**
 * Short, common English words that byte-pair tokenizers of the Llama, Mistral, Qwen and GPT
 * families encode as one token each when preceded by a space. Prompts are made of them so that
 * a prompt of N words is roughly N tokens on those tokenizers (small vocabularies split them:
 * see PromptBuilder's calibration).
 */
export const PROMPT_WORDS: readonly string[] = (
  'the of and to in is was for on that with as by at from it be this are or his had not but an ' +
  'have one all were which they she her their has been who will more would there when if so no ' +
  'up out about into than them can only other new some could time these two may first then do ' +
  'any like my now over such our man me even most made after also did many before must through ' +
  'back years where much your way well down should because each just those people how too little ' +
  'state good very make world still own see men work long get here between both life being under ' +
  'never day same another know while last might us great old year off come since against go came ' +
  'right used take three small house place part found water light food city road tree river ' +
  'story book game plan idea price music table paper money color night morning power group point ' +
  'family school friend garden window market forest summer winter answer number letter question ' +
  'green blue red black white happy quick quiet bright early simple strong clear warm cold open ' +
  'run walk read write sing play help move turn call ask show try keep start bring hold stand ' +
  'learn change follow begin grow build send carry watch cover'
).split(' ');
