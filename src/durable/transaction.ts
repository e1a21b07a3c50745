import type { Pool, PoolClient } from 'pg'

/** Runs `work` in a transaction on a connection of `pool`: committed if it returns, rolled back if it throws. */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect()
  // A connection the server drops while it is checked out (between two queries of `work`)
  // emits 'error', which unheard would take the process down: its next query fails instead.
  const dropped = () => {}
  client.on('error', dropped)
  try {
    await client.query('BEGIN')
    const result = await work(client)
    await client.query('COMMIT')
    return result
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {})
    throw error
  } finally {
    client.off('error', dropped)
    client.release()
  }
}
