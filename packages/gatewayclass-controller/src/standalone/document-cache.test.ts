import { describe, expect, it } from '@jest/globals';
import { formatManifestError, parseManifests } from '../manifests/load.js';
import { DocumentCache } from './document-cache.js';

const svc = (name: string, port = 80): string => `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\nspec:\n  ports:\n  - port: ${port}\n`;

describe('DocumentCache', () => {
  it('parses only the documents that changed; the others keep their objects', () => {
    const cache = new DocumentCache();
    const first = cache.parse('f.yaml', [svc('a'), svc('b'), svc('c')].join('---\n'));
    const second = cache.parse('f.yaml', [svc('a'), svc('b', 81), svc('c'), svc('d')].join('---\n'));
    expect(second.objects.map((o) => o.metadata.name)).toEqual(['a', 'b', 'c', 'd']);
    expect(second.objects[0]).toBe(first.objects[0]);
    expect(second.objects[1]).not.toBe(first.objects[1]);
    expect(second.objects[2]).toBe(first.objects[2]);
    expect(second).toEqual(parseManifests([svc('a'), svc('b', 81), svc('c'), svc('d')].join('---\n'), 'f.yaml'));
    // Documents that moved (one inserted before them) keep their objects too.
    const third = cache.parse('f.yaml', [svc('z'), svc('a'), svc('c'), svc('b', 81)].join('---\n'));
    expect(third.objects.map((o) => o.metadata.name)).toEqual(['z', 'a', 'c', 'b']);
    expect(third.objects[1]).toBe(first.objects[0]);
    expect(third.objects[2]).toBe(first.objects[2]);
    expect(third.objects[3]).toBe(second.objects[1]);
  });

  it('keeps the objects of a document holding a List, or none, as it keeps one object', () => {
    const cache = new DocumentCache();
    const list = `apiVersion: v1\nkind: List\nitems:\n- ${svc('x').trimEnd().replace(/\n/g, '\n  ')}\n- ${svc('y').trimEnd().replace(/\n/g, '\n  ')}\n`;
    const text = (extra: string): string => ['# nothing here\n', list, svc('a'), extra].join('---\n');
    const first = cache.parse('l.yaml', text(svc('b')));
    expect(first.objects.map((o) => o.metadata.name)).toEqual(['x', 'y', 'a', 'b']);
    const second = cache.parse('l.yaml', text(svc('b', 81)));
    expect(second.objects.slice(0, 3)).toEqual(first.objects.slice(0, 3));
    second.objects.slice(0, 3).forEach((o, i) => expect(o).toBe(first.objects[i]));
    expect(second).toEqual(parseManifests(text(svc('b', 81)), 'l.yaml'));
  });

  it('reports a broken document as a whole-file parse does: file, line, document', () => {
    const cache = new DocumentCache();
    cache.parse('f.yaml', [svc('a'), svc('b')].join('---\n'));
    const broken = [svc('a'), svc('b').replace('port: 80', 'port: eighty')].join('---\n');
    const parsed = cache.parse('f.yaml', broken);
    expect(parsed).toEqual(parseManifests(broken, 'f.yaml'));
    expect(formatManifestError(parsed.errors[0]!)).toBe('f.yaml:15 (document 2): spec.ports[0].port: expected an integer, got string "eighty"');
  });

  it('parses whole what a split at --- lines would misread', () => {
    const cache = new DocumentCache();
    for (const text of [`%YAML 1.2\n---\n${svc('a')}`, `${svc('a')}...\n---\n${svc('b')}`, `--- ${JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'j' }, spec: {} })}\n---\n${svc('b')}`]) {
      expect(cache.parse('g.yaml', text)).toEqual(parseManifests(text, 'g.yaml'));
    }
  });
});
