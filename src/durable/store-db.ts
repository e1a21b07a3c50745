/**
 * The durable runs' database as the queries of Baton's tables use it: a pool for the runs' work,
 * a pool of its own for the workers' signs of life, and a query that names the database (without
 * its password) in its errors.
 */
import type { Pool, QueryResult } from 'pg'
import { databaseError } from './store-errors.js'

export interface StoreDb {
  readonly pool: Pool
  /** Connections of their own for signs of life: busy runs must not hold them up. */
  readonly liveness: Pool
  /** The database's URL fit to print (see `redactUrl`). */
  readonly where: string
  /** Runs a query on `pool` (the main one unless told); a failure is a `DATABASE` error naming the database. */
  query(text: string, values: unknown[], pool?: Pool): Promise<QueryResult>
}

export function storeDb(pool: Pool, liveness: Pool, where: string): StoreDb {
  return {
    pool,
    liveness,
    where,
    async query(text, values, on = pool) {
      for (let tries = 1; ; tries++) {
        try {
          return await on.query(text, values)
        } catch (error) {
          // One statement, rolled back whole to break a deadlock (DBOS's own transactions on
          // its queue take the same rows) or a conflict: it is safe to run again.
          const code = (error as { code?: string }).code
          if (tries < 4 && (code === '40P01' || code === '40001')) {
            await new Promise((resolve) => setTimeout(resolve, 20 * tries * Math.random()))
            continue
          }
          throw databaseError(error, where)
        }
      }
    },
  }
}
