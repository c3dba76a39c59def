#!/usr/bin/env python3
"""Carries translations over to the messages lupdate left unfinished.

When a string moves to another translation context (or lupdate dropped it as obsolete), its
French is still in an older catalogue. This fills every unfinished message of TS whose source
text (with the same comment and the same numerus) has a finished translation in one of the
FROM catalogues: a JSON entry first, else the same context's, else the most common one. It prints the
source texts whose old translations disagree (review them) and what is left to translate.

Typical run, after new strings were added (the catalogue in git still holds the old French):
    git show HEAD:translations/mldeck_fr.ts > /tmp/old_fr.ts
    cmake --build <build> --target mldeck_update_translations
    translations/carry_translations.py translations/mldeck_fr.ts --from /tmp/old_fr.ts
    cmake --build <build> --target mldeck_update_translations   # lupdate's own formatting again
A FROM file may also be JSON: {"source text": "traduction" or ["forme 1", "forme 2"]}, for new
strings translated by hand. --check only lists the unfinished messages (exit 1 when there are).
"""
import argparse
import json
import sys
import xml.etree.ElementTree as ET


def message_key(message):
    comment = message.findtext('comment') or ''
    return (message.findtext('source') or '', comment, message.get('numerus') == 'yes')


def is_finished(message):
    tr = message.find('translation')
    if tr is None or tr.get('type') in ('unfinished', 'obsolete', 'vanished'):
        return False
    forms = tr.findall('numerusform')
    texts = [f.text or '' for f in forms] if forms else [tr.text or '']
    return all(t.strip() for t in texts)


def translation_of(message):
    tr = message.find('translation')
    forms = tr.findall('numerusform')
    return [f.text or '' for f in forms] if forms else tr.text or ''


def load_known(paths):
    """{key: {context: translation}} from finished messages of .ts files, and JSON maps."""
    known = {}
    for path in paths:
        if path.endswith('.json'):
            with open(path, encoding='utf-8') as f:
                for source, text in json.load(f).items():
                    key = (source, '', isinstance(text, list))
                    known.setdefault(key, {})['(json)'] = text
            continue
        for context in ET.parse(path).getroot().iter('context'):
            name = context.findtext('name')
            for message in context.iter('message'):
                if is_finished(message):
                    known.setdefault(message_key(message), {}).setdefault(name, translation_of(message))
    return known


def most_common(translations):
    texts = [json.dumps(t, ensure_ascii=False) for t in translations]
    return json.loads(max(texts, key=texts.count))


def fill(message, text):
    tr = message.find('translation')
    tr.attrib.pop('type', None)
    if isinstance(text, list):
        forms = tr.findall('numerusform')
        for form, value in zip(forms, text):
            form.text = value
    else:
        tr.text = text


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('ts')
    parser.add_argument('--from', dest='sources', action='append', default=[])
    parser.add_argument('--check', action='store_true')
    args = parser.parse_args()

    tree = ET.parse(args.ts)
    known = load_known(args.sources)
    filled, left, disagreements = 0, [], []
    for context in tree.getroot().iter('context'):
        name = context.findtext('name')
        for message in context.iter('message'):
            if is_finished(message):
                continue
            key = message_key(message)
            candidates = known.get(key, {})
            if args.check or not candidates:
                left.append(f'{name} | {key[0]}')
                continue
            text = candidates.get('(json)') or candidates.get(name) or most_common(candidates.values())
            if len({json.dumps(v, ensure_ascii=False) for v in candidates.values()}) > 1:
                disagreements.append((name, key[0], candidates))
            fill(message, text)
            filled += 1

    if not args.check:
        with open(args.ts, 'w', encoding='utf-8') as f:
            f.write('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n')
            f.write(ET.tostring(tree.getroot(), encoding='unicode'))
            f.write('\n')
        print(f'{args.ts}: {filled} messages filled')
    for name, source, candidates in disagreements:
        print(f'review ({name}): {source!r} had several translations:')
        for ctx, text in candidates.items():
            print(f'    {ctx}: {text!r}')
    for line in left:
        print(f'unfinished: {line}')
    print(f'{len(left)} unfinished')
    return 1 if args.check and left else 0


if __name__ == '__main__':
    sys.exit(main())
