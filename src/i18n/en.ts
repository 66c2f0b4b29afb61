// Every sentence Latchkey says to people, in English, the language every other one follows:
// locales/en.json, one key per sentence in a section per page, `{{name}}` marking a parameter and
// `_one`/`_other` a counted phrase (i18next's format). `{{product}}` is the operator's product name.
import en from '../../locales/en.json' with { type: 'json' };

export { en };
export type Catalogue = typeof en;
