/**
 * A directory's listing, kept compact for the whole run: a name per entry, five numbers per
 * file in one typed array, link targets aside. An entry's object is made when it is asked for
 * and dropped after: a tree of many files costs little more than its names.
 */
import type { ListedFile } from './zip-file-data.js';

/** An entry of the listing, as asked for. */
export type Listed =
  | ({ readonly kind: 'file' } & ListedFile)
  | { readonly kind: 'directory'; readonly name: string }
  | { readonly kind: 'symlink'; readonly name: string; readonly target: Buffer };

const FILE = 0;
const DIRECTORY = 1;
const SYMLINK = 2;
/** Numbers kept per entry: device, inode, size, mode, modification time. */
const FIELDS = 5;

/** The entries of a directory in the order they are zipped. */
export class Listing {
  readonly #names: string[] = [];
  #kinds = new Uint8Array(1024);
  #numbers = new Float64Array(1024 * FIELDS);
  readonly #targets = new Map<number, Buffer>();

  get length(): number {
    return this.#names.length;
  }

  /** Its links, in order. */
  get links(): { readonly name: string; readonly target: Buffer }[] {
    return [...this.#targets].map(([index, target]) => ({
      name: this.#names[index] ?? '',
      target,
    }));
  }

  addFile(file: ListedFile): void {
    const index = this.#add(file.name, FILE);
    this.#numbers.set([file.dev, file.ino, file.size, file.mode, file.mtimeMs], index * FIELDS);
  }

  addDirectory(name: string): void {
    this.#add(name, DIRECTORY);
  }

  addSymlink(name: string, target: Buffer): void {
    this.#targets.set(this.#add(name, SYMLINK), target);
  }

  /** The entry at `index` (made now). */
  at(index: number): Listed {
    const name = this.#names[index] ?? '';
    const kind = this.#kinds[index];
    if (kind === DIRECTORY) return { kind: 'directory', name };
    if (kind === SYMLINK) {
      return { kind: 'symlink', name, target: this.#targets.get(index) ?? Buffer.alloc(0) };
    }
    const at = index * FIELDS;
    const number = (field: number) => this.#numbers[at + field] ?? 0;
    return {
      kind: 'file',
      name,
      dev: number(0),
      ino: number(1),
      size: number(2),
      mode: number(3),
      mtimeMs: number(4),
    };
  }

  /** The file at `index`, or undefined when the entry is not a file. */
  fileAt(index: number): ListedFile | undefined {
    const each = this.at(index);
    return each.kind === 'file' ? each : undefined;
  }

  #add(name: string, kind: number): number {
    const index = this.#names.length;
    if (index === this.#kinds.length) {
      const kinds = new Uint8Array(index * 2);
      kinds.set(this.#kinds);
      this.#kinds = kinds;
      const numbers = new Float64Array(index * 2 * FIELDS);
      numbers.set(this.#numbers);
      this.#numbers = numbers;
    }
    this.#names.push(name);
    this.#kinds[index] = kind;
    return index;
  }
}
