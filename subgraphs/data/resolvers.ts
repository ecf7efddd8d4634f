import type pg from 'pg';
import type { Resolvers, University } from '../../schema/generated/data-types.js';
import { badInput } from '../../src/errors/safe-error.js';

/** Upper bound on `limit` (CONTRACT §5: default 100, capped). */
export const MAX_LIMIT = 1000;

const COLUMNS = `university_id AS "universityId", name, city, country, founded_year AS "foundedYear"`;

/** Resolvers of the hand-written foundation schema; the data-subgraph issue generates these from the catalog. */
export function dataResolvers(pool: pg.Pool): Resolvers {
  return {
    Query: {
      universities: async (_root, { limit, offset }) => {
        const take = limit ?? 100;
        const skip = offset ?? 0;
        if (take < 0 || take > MAX_LIMIT) throw badInput(`limit must be between 0 and ${MAX_LIMIT}`);
        if (skip < 0) throw badInput('offset must not be negative');
        const { rows } = await pool.query<University>({
          name: 'universities-list',
          text: `SELECT ${COLUMNS} FROM universities ORDER BY university_id LIMIT $1 OFFSET $2`,
          values: [take, skip],
        });
        return rows;
      },
      universitiesByPk: async (_root, { universityId }) => findUniversity(pool, universityId),
    },
    University: {
      __resolveReference: async (reference) => findUniversity(pool, Number(reference.universityId)),
    },
  };
}

async function findUniversity(pool: pg.Pool, universityId: number): Promise<University | null> {
  const { rows } = await pool.query<University>({
    name: 'universities-by-pk',
    text: `SELECT ${COLUMNS} FROM universities WHERE university_id = $1`,
    values: [universityId],
  });
  return rows[0] ?? null;
}
