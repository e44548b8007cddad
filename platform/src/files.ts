import { link, mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';

/**
 * Creates `file` with `content` unless it exists, atomically: the content is written to a temporary file and
 * linked into place, so a concurrent reader never sees half a file and the first of several racing processes
 * wins. Returns false when the file was already there.
 */
export async function createFileOnce(file: string, content: string): Promise<boolean> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
  await writeFile(temp, content, { mode: 0o600 });
  try {
    await link(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return false;
  } finally {
    await unlink(temp);
  }
}

/** Replaces `file` atomically (write, then rename over it). */
export async function replaceFile(file: string, content: string): Promise<void> {
  const temp = `${file}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
  await writeFile(temp, content, { mode: 0o600 });
  await rename(temp, file);
}
