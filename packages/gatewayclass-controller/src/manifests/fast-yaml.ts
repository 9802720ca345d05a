// The fast path of manifest parsing: js-yaml builds plain values directly, about ten times faster
// than the `yaml` package's document model, which the loader keeps for files with a problem (it
// knows each node's line). Both must read a valid file the same way, so plain scalars resolve by
// the YAML 1.2 core schema exactly as `yaml` resolves them (no timestamps, no merge keys, no
// underscores in numbers, `yes`/`no` are strings); load.test.ts compares the two on every
// manifest in the repository.
import jsyaml from 'js-yaml';

const scalar = (tag: string, test: RegExp, construct: (s: string) => unknown): jsyaml.Type =>
  new jsyaml.Type(`tag:yaml.org,2002:${tag}`, {
    kind: 'scalar',
    resolve: (data: unknown) => typeof data === 'string' && test.test(data),
    construct: (data: string) => construct(data),
  });

const INT = /^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$/;
const FLOAT = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+|[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*))$/;

function toInt(s: string): number {
  if (s.startsWith('0o')) return parseInt(s.slice(2), 8);
  if (s.startsWith('0x')) return parseInt(s.slice(2), 16);
  return parseInt(s, 10);
}

function toFloat(s: string): number {
  if (/nan$/i.test(s)) return NaN;
  if (/inf$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  return parseFloat(s);
}

const CORE_1_2 = jsyaml.FAILSAFE_SCHEMA.extend({
  implicit: [
    scalar('null', /^(?:~|[Nn]ull|NULL)?$/, () => null),
    scalar('bool', /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/, (s) => s[0] === 't' || s[0] === 'T'),
    scalar('int', INT, toInt),
    scalar('float', FLOAT, toFloat),
  ],
});

// An anchor or alias outside quotes. js-yaml shares aliased values without limit, where `yaml`
// counts them (a "billion laughs" file is an error there): such files take the exact path.
const ANCHOR_OR_ALIAS = /(?:^|[\s,[{])[&*][^\s,[\]{}]/m;

/**
 * Every document's value, or undefined when this path cannot vouch for the file (a syntax error,
 * duplicate keys, anchors, tags other than the core ones): the caller parses it exactly instead.
 */
export function loadAllFast(text: string): unknown[] | undefined {
  if (ANCHOR_OR_ALIAS.test(text)) return undefined;
  try {
    return jsyaml.loadAll(text, null, { schema: CORE_1_2 });
  } catch {
    return undefined;
  }
}
