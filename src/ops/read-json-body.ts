import type { IncomingMessage } from 'node:http';
import { opsBadInput } from './ops-error.js';

/** An operation's JSON body (an empty body is `{}`); too large or not JSON: BAD_USER_INPUT. */
export function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > limit) return reject(opsBadInput(`the request body is larger than ${limit} bytes`, 413));
      const text = Buffer.concat(chunks).toString('utf8').trim();
      if (text === '') return resolve({});
      try {
        resolve(JSON.parse(text) as unknown);
      } catch {
        reject(opsBadInput('the request body is not JSON'));
      }
    });
    req.on('error', reject);
  });
}
