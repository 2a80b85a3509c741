/**
 * The Info-ZIP Unicode path extra field (0x7075): a second name for an entry, which some
 * readers take instead of the name field (yauzl, 7-Zip when its CRC-32 matches) and others
 * ignore (Python's zipfile, streaming readers). An archive whose two names differ is read as
 * two different trees, so such a field is accepted only when it names the entry as its name
 * field does.
 */
import yauzl from 'yauzl';

/** The extra field's id. */
export const UNICODE_PATH_FIELD = 0x7075;

/** yauzl's name decoder, untyped upstream: CP437, or UTF-8 under flag bit 11. */
const decoder = yauzl as unknown as {
  getFileNameLowLevel(
    flags: number,
    raw: Buffer,
    extraFields: readonly { id: number; data: Buffer }[],
    strictFileNames: boolean,
  ): string;
};

/**
 * Why the Unicode path fields among `fields` are refused for an entry named `raw` under
 * general purpose `flags`, or undefined when each of them gives the same name. A field
 * agrees when its UTF-8 name is the name field's bytes (Info-ZIP on Unix writes UTF-8 names
 * without flag 11) or the name field as decoded under its flags (CP437 or UTF-8). A field of
 * an unknown version, or too short to hold a name, is refused: another reader may take it.
 */
export function unicodePathProblem(
  raw: Buffer,
  flags: number,
  fields: readonly { readonly id: number; readonly data: Buffer }[],
): string | undefined {
  const own = decoder.getFileNameLowLevel(flags, raw, [], true);
  for (const field of fields) {
    if (field.id !== UNICODE_PATH_FIELD) continue;
    if (field.data.length < 5 || field.data.readUInt8(0) !== 1) {
      return 'its Unicode path extra field (0x7075) is not one this reader knows';
    }
    const name = field.data.subarray(5);
    if (!name.equals(raw) && name.toString('utf8') !== own) {
      return 'its Unicode path extra field (0x7075) names it otherwise than its name field';
    }
  }
  return undefined;
}
