/**
 * The tar streams the PVC tools exchange with a container, as `kubectl cp` does: one file packed
 * to send (padded to whole 10 KiB records, as tar itself writes them, so a tar reading a pipe sees
 * the archive end without waiting for the pipe to close), and the first file of an archive
 * unpacked. tar-stream does the format; it is loaded on first use.
 */

/** Packs one regular file under `name` (a relative path; tar creates its directories on extraction). */
export async function packOne(name: string, content: Buffer, mode = 0o644): Promise<Buffer> {
  const { pack } = await import('tar-stream');
  const archive = pack();
  const chunks: Buffer[] = [];
  archive.on('data', (chunk) => chunks.push(chunk as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    archive.on('end', resolve);
    archive.on('error', reject);
  });
  archive.entry({ name, size: content.length, mode, mtime: new Date(), type: 'file' }, content);
  archive.finalize();
  await done;
  const bytes = Buffer.concat(chunks);
  const RECORD = 10240;
  const padded = Buffer.alloc(Math.ceil(bytes.length / RECORD) * RECORD);
  bytes.copy(padded);
  return padded;
}

/** The content of the first regular file in an archive, or undefined when it holds none. */
export async function unpackOne(archive: Buffer): Promise<Buffer | undefined> {
  const { extract } = await import('tar-stream');
  const reader = extract();
  let found: Buffer | undefined;
  const done = new Promise<void>((resolve, reject) => {
    reader.on('finish', resolve);
    reader.on('error', reject);
  });
  reader.on('entry', (header, stream, next) => {
    const parts: Buffer[] = [];
    stream.on('data', (chunk) => {
      if (!found && header.type === 'file') parts.push(chunk as Buffer);
    });
    stream.on('end', () => {
      if (!found && header.type === 'file') found = Buffer.concat(parts);
      next();
    });
    stream.resume();
  });
  reader.end(archive);
  await done;
  return found;
}
