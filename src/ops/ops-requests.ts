import { z } from 'zod';
import { opsBadInput } from './ops-error.js';

/** A host name, an IPv4 address or an IPv6 address: letters, digits, `.`, `-`, `:` (no URL, no spaces). */
const host = z.string().trim().min(1).max(253).regex(/^[A-Za-z0-9.:-]+$/, 'a host name or IP address');
const port = z.number().int().min(1).max(65_535);
const node = z.string().trim().min(1).max(80);

/** The bodies the operations API accepts; unknown fields are refused (a typo must not go unnoticed). */
export const OpsRequests = {
  addNode: z.strictObject({ host: host.nullish(), port: port.nullish(), start: z.boolean().nullish() }),
  createBackup: z.strictObject({ node }),
  restoreNode: z.strictObject({
    node,
    backupId: z.string().regex(/^\d{8}T\d{9}Z$/, 'a backup id as backups(node) lists them (YYYYMMDDTHHMMSSmmmZ)').nullish(),
    targetTime: z.string().max(40).nullish(),
  }),
  none: z.strictObject({}),
} as const;

/** Parses a body, or throws BAD_USER_INPUT naming the first problem. */
export function parseRequest<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  throw opsBadInput(`invalid request: ${where}${issue.message}`);
}
