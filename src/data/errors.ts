// Typed errors for everything that can be wrong with a dataset file. The message is written for the
// person who picked the file: it names the file (and the record, where there is one), says what was
// expected, and what to do next. The UI shows `message`; code paths branch on `code`.

export type DatasetErrorCode =
  | 'empty' // zero bytes
  | 'not-gzip' // neither gzip nor a plain tar
  | 'corrupt-gzip' // gzip header fine, compressed data damaged
  | 'not-tar' // decompressed bytes are not a tar archive (bad header checksum, garbage)
  | 'truncated' // the stream ends early (incomplete download)
  | 'no-cifar-files' // a valid tar without the CIFAR-10 binary batches
  | 'duplicate-file' // the same batch twice in one archive
  | 'bad-batch-size' // a batch whose size is not a positive multiple of 3073
  | 'bad-label' // a label byte outside 0..9
  | 'unsafe-path' // a tar entry with an absolute name or a `..` segment
  | 'too-large' // an entry (declared size) or the whole archive (unpacked bytes) far larger than CIFAR-10
  | 'read-failed' // the source itself failed mid-way (connection dropped, file changed on disk)
  | 'fetch-failed' // a URL could not be read
  | 'cache-failed'; // the browser refused to store the decoded dataset

export class DatasetError extends Error {
  override name = 'DatasetError';
  readonly code: DatasetErrorCode;
  /** The file inside the archive (or the archive itself) the error is about, when known. */
  readonly file?: string;
  /** 0-based record (image) index inside `file`, for record-level errors. */
  readonly record?: number;
  /** What to do, where it is more specific than the code's general advice. */
  readonly advice?: string;

  constructor(
    code: DatasetErrorCode,
    message: string,
    details: { file?: string; record?: number; cause?: unknown; advice?: string } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.file = details.file;
    this.record = details.record;
    this.advice = details.advice;
  }
}

export const isDatasetError = (e: unknown): e is DatasetError => e instanceof DatasetError;
