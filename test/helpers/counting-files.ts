/**
 * An extraction's `createFile` that counts what reaches the files, as the disk would see it:
 * for tests that hold the byte limit to the bytes actually written.
 */
import { createWriteStream } from 'node:fs';
import { Writable } from 'node:stream';

/**
 * Files created exclusively, as the default does, counting the files made and the bytes
 * written; `onCreate` runs as each is created, with the count so far.
 */
export function countingFiles(onCreate: (files: number) => void = () => undefined) {
  const written = { bytes: 0, files: 0 };
  const createFile = (path: string, mode: number) => {
    written.files++;
    onCreate(written.files);
    const file = createWriteStream(path, { flags: 'wx', mode });
    const counted = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        written.bytes += chunk.length;
        file.write(chunk, (error) => callback(error ?? undefined));
      },
      final(callback) {
        file.end(() => callback());
      },
      destroy(error, callback) {
        file.destroy();
        callback(error);
      },
    });
    file.on('error', (error) => counted.destroy(error));
    return counted;
  };
  return { written, createFile };
}
